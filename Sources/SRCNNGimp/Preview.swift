// The dialog's preview: the part of the active layer's result the preview shows, rendered on a worker thread with
// the engine's PreviewRenderer (the same pixels the run writes), so the dialog never waits for it.
//
// The dialog (C) calls `preview_start` when a setting or the view changes (the running preview is cancelled; the
// rows it needs are read there, on GIMP's thread) and `preview_poll` from a GTK timer.
import CGimp
import Glibc
import SRCNN
import SRCNNHost
import SRCNNPluginCore
import Synchronization

/// A finished preview: both sides as 8-bit RGB, and the run's estimate.
struct PreviewPixels { var upscaled: [UInt8], bicubic: [UInt8], estimate: String }

/// One preview being computed.
private final class PreviewJob: @unchecked Sendable {
    let id: Int32
    let cancel = CancelFlag()
    let width: Int, height: Int
    /// RGB, 8 bits, width × height: the model's side and the bicubic side.
    let result = Mutex<Result<PreviewPixels, Error>?>(nil)
    init(id: Int32, width: Int, height: Int) { self.id = id; self.width = width; self.height = height }
}

/// The preview state of the dialog that is open (one per plug-in process; GIMP's thread only).
final class PreviewController {
    nonisolated(unsafe) static var current: PreviewController?

    let image: gint32, drawable: gint32
    private var job: PreviewJob?
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
        job = nil
        guard gimp_item_is_valid(drawable) != 0, gimp_item_is_layer(drawable) != 0, gimp_item_is_group(drawable) == 0,
              gimp_drawable_is_indexed(drawable) == 0 else {
            throw PluginError(message: "no preview: the active drawable is not a normal RGB or grey layer")
        }
        let region = jobRegion(image, mode: settings.output)
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
        // What the whole run makes: each target layer's part, scaled as the region is (the estimate's size).
        let fx = Double(outWidth) / Double(region.area.width), fy = Double(outHeight) / Double(region.area.height)
        let targets = settings.allLayers ? pixelLayers(of: image) : [drawable]
        var outputPixels = 0, outputBytes = 0
        for t in targets {
            guard let p = region.part(ofLayer: layerRect(t)) else { continue }
            let n = Int(Double(p.source.width) * fx * Double(p.source.height) * fy)
            outputPixels += n
            outputBytes += n * Int(babl_format_get_bytes_per_pixel(gimp_drawable_get_format(t)))
        }
        let bytesPerPixel = max(1, outputBytes / max(1, outputPixels)), totalPixels = outputPixels
        // The rows the render reads, read here on GIMP's thread (libgimp is not thread-safe): the worker never waits.
        let main = MainThreadCalls()
        let drawableSource = try DrawableSource(drawable, area: part.source, main: main)
        defer { drawableSource.close() }
        let rows = try renderer.sourceRows(sourceWidth: part.source.width, sourceHeight: part.source.height,
                                           channels: drawableSource.channels, width: lw, height: lh,
                                           x: x, y: y, w: w, h: h)
        let source = RowWindowSource(planes: try drawableSource.readRows(rows), rows: rows, width: part.source.width,
                                     height: part.source.height)
        let id = nextID
        nextID += 1
        let j = PreviewJob(id: id, width: w, height: h)
        job = j
        startThread {
            let r = Result { () throws -> PreviewPixels in
                let pair = try renderer.render(source: source, width: lw, height: lh, x: x, y: y, w: w, h: h,
                                               cancel: j.cancel)
                let estimate = RunEstimate(modelPixels: pair.workPixels,
                                           modelSeconds: pair.modelSeconds, outputPixels: totalPixels,
                                           bytesPerPixel: bytesPerPixel)
                return PreviewPixels(upscaled: rgb8(pair.upscaled, w, h, x, y), bicubic: rgb8(pair.bicubic, w, h, x, y),
                                     estimate: estimate.text)
            }
            j.result.withLock { $0 = r }
        }
        return (id, x, y, w, h, lw, lh)
    }

    /// On the dialog's timer: job `id`'s result, nil while it runs.
    func poll(_ id: Int32) -> Result<PreviewPixels, Error>? {
        guard let j = job, j.id == id, let r = j.result.withLock({ $0 }) else { return nil }
        return r
    }

    /// When the dialog closes: cancels the preview (its worker stops at its next tile; it holds nothing of GIMP's).
    func finish() {
        job?.cancel.cancel()
        job = nil
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

/// CLOCK_MONOTONIC in seconds.
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
