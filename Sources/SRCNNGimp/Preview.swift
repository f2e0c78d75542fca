// The dialog's preview: the part of the active layer's result the preview shows, rendered on a worker thread with
// the engine's PreviewRenderer (the same pixels the run writes), so the dialog never waits for it.
//
// The dialog (C) calls `preview_start` when a setting or the view changes (the running preview is cancelled) and
// `preview_poll` from a GTK timer; the poll also runs the drawable reads the worker hands to GIMP's thread.
import CGimp
import Glibc
import SRCNN
import SRCNNHost
import SRCNNPluginCore
import Synchronization

/// One preview being computed.
private final class PreviewJob: @unchecked Sendable {
    let id: Int32
    let cancel = CancelFlag()
    let width: Int, height: Int
    /// RGB, 8 bits, width × height: the model's side and the bicubic side.
    let result = Mutex<Result<(upscaled: [UInt8], bicubic: [UInt8]), Error>?>(nil)
    let source: DrawableSource
    init(id: Int32, width: Int, height: Int, source: DrawableSource) {
        self.id = id; self.width = width; self.height = height; self.source = source
    }
}

/// The preview state of the dialog that is open (one per plug-in process; GIMP's thread only).
final class PreviewController {
    nonisolated(unsafe) static var current: PreviewController?

    let image: gint32, drawable: gint32
    let main = MainThreadCalls()
    private var job: PreviewJob?
    /// Jobs cancelled or finished whose source must still be released (on GIMP's thread, once they are done).
    private var retired: [PreviewJob] = []
    private var renderers: [String: PreviewRenderer] = [:]
    private var layerSizes: [String: (Int, Int)?] = [:]
    private var nextID: Int32 = 1

    init(image: gint32, drawable: gint32) { self.image = image; self.drawable = drawable }

    /// Starts the preview of the active layer's result for these settings, the view centred at (cx, cy) (fractions
    /// of the layer's result), at most pw × ph pixels. Returns the job's id and the rectangle it covers in the
    /// layer's result, with that result's size; throws a message for the dialog to show instead.
    func start(settings: Settings, outWidth: Int, outHeight: Int, cx: Double, cy: Double, pw: Int, ph: Int) throws
        -> (id: Int32, x: Int, y: Int, w: Int, h: Int, layerWidth: Int, layerHeight: Int) {
        job?.cancel.cancel()
        if let j = job { retired.append(j) }
        job = nil
        guard gimp_item_is_valid(drawable) != 0, gimp_item_is_layer(drawable) != 0, gimp_item_is_group(drawable) == 0,
              gimp_drawable_is_indexed(drawable) == 0 else {
            throw PluginError(message: "no preview: the active drawable is not a normal RGB or grey layer")
        }
        var selection: PixelRect? = nil
        var nonEmpty: gboolean = 0, x1: gint = 0, y1: gint = 0, x2: gint = 0, y2: gint = 0
        if settings.output == .newImage, gimp_selection_bounds(image, &nonEmpty, &x1, &y1, &x2, &y2) != 0, nonEmpty != 0 {
            selection = PixelRect(x: Int(x1), y: Int(y1), width: Int(x2 - x1), height: Int(y2 - y1))
        }
        let region = JobRegion.of(mode: settings.output, imageWidth: Int(gimp_image_width(image)),
                                  imageHeight: Int(gimp_image_height(image)), selection: selection)
        guard let part = region.part(ofLayer: layerRect(drawable)) else {
            throw PluginError(message: "no preview: the active layer lies outside the selection")
        }
        let key = "\(region.area) \(region.crops) \(outWidth) \(outHeight)"
        if layerSizes[key] == nil {
            layerSizes[key] = try scaledLayerSizes(region: region, parts: [part], newWidth: outWidth,
                                                   newHeight: outHeight)[0]
        }
        guard let (lw, lh) = layerSizes[key]!, lw > 0, lh > 0 else {
            throw PluginError(message: "no preview: the layer vanishes at this size")
        }
        let scale = settings.exactSize == nil ? settings.scale
            : max(1, Double(outWidth) / Double(region.area.width), Double(outHeight) / Double(region.area.height))
        let path = try resolveWeights(settings.weights, scale: scale)
        if renderers[path] == nil {
            do { renderers[path] = PreviewRenderer(model: try SRModel(contentsOf: path)) } catch {
                throw PluginError(message: "cannot use weights \(path): \(error)")
            }
        }
        let renderer = renderers[path]!
        let w = min(pw, lw), h = min(ph, lh)
        let x = min(lw - w, max(0, Int((cx * Double(lw)).rounded()) - w / 2))
        let y = min(lh - h, max(0, Int((cy * Double(lh)).rounded()) - h / 2))
        let source = try DrawableSource(drawable, area: part.source, main: main)
        let id = nextID
        nextID += 1
        let j = PreviewJob(id: id, width: w, height: h, source: source)
        job = j
        startThread {
            let r = Result { () throws -> (upscaled: [UInt8], bicubic: [UInt8]) in
                let pair = try renderer.render(source: source, width: lw, height: lh, x: x, y: y, w: w, h: h,
                                               cancel: j.cancel)
                return (upscaled: rgb8(pair.upscaled, w, h, x, y), bicubic: rgb8(pair.bicubic, w, h, x, y))
            }
            j.result.withLock { $0 = r }
        }
        return (id, x, y, w, h, lw, lh)
    }

    /// On the dialog's timer: runs the worker's drawable reads, releases finished jobs' sources, and reports job
    /// `id`: nil while it runs, else its pixels or its error.
    func poll(_ id: Int32) -> Result<(upscaled: [UInt8], bicubic: [UInt8]), Error>? {
        main.drain()
        retired.removeAll { j in
            guard j.result.withLock({ $0 != nil }) else { return false }
            j.source.close()
            return true
        }
        guard let j = job, j.id == id, let r = j.result.withLock({ $0 }) else { return nil }
        return r
    }

    /// When the dialog closes: cancels the preview and waits for the worker (its reads still need this thread).
    func finish() {
        job?.cancel.cancel()
        if let j = job { retired.append(j) }
        job = nil
        while !retired.isEmpty {
            _ = poll(-1)
            if !retired.isEmpty { usleep(5_000) }
        }
    }
}

/// Planes (Y', Y'A, R'G'B' or R'G'B'A) as 8-bit RGB; transparency over a grey checkerboard in the result's
/// coordinates (x0, y0: the rectangle's corner), as GIMP shows it.
private func rgb8(_ planes: [Plane], _ w: Int, _ h: Int, _ x0: Int, _ y0: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: w * h * 3)
    let colour = planes.count >= 3, alpha = planes.count == 2 || planes.count == 4
    for y in 0..<h {
        for x in 0..<w {
            let i = y * w + x
            let a = alpha ? min(1, max(0, planes[planes.count - 1].data[i])) : 1
            let check: Float = ((x0 + x) / 8 + (y0 + y) / 8) % 2 == 0 ? 0.6 : 0.4
            for c in 0..<3 {
                let v = min(1, max(0, planes[colour ? c : 0].data[i]))
                out[i * 3 + c] = UInt8((255 * (v * a + check * (1 - a))).rounded())
            }
        }
    }
    return out
}
