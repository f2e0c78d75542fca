// GIMP drawables as the engine's image source, and a temporary GEGL buffer as its sink (the plug-in streams).
import CGimp
import SRCNN
import SRCNNPluginCore

/// The image's selection bounds, or nil when nothing is selected.
func selectionBounds(_ image: gint32) -> PixelRect? {
    var nonEmpty: gboolean = 0, x1: gint = 0, y1: gint = 0, x2: gint = 0, y2: gint = 0
    guard gimp_selection_bounds(image, &nonEmpty, &x1, &y1, &x2, &y2) != 0, nonEmpty != 0 else { return nil }
    return PixelRect(x: Int(x1), y: Int(y1), width: Int(x2 - x1), height: Int(y2 - y1))
}

/// The part of `image` a job of `mode` turns into its result: the whole image, or a new image's selection bounds.
func jobRegion(_ image: gint32, mode: OutputMode) -> JobRegion {
    JobRegion.of(mode: mode, imageWidth: Int(gimp_image_width(image)), imageHeight: Int(gimp_image_height(image)),
                 selection: mode == .newImage ? selectionBounds(image) : nil)
}

/// The babl float format of a drawable's channels ("R'G'B'A float", "Y' float", ...): what the engine reads.
func floatFormatName(isRGB: Bool, hasAlpha: Bool) -> String {
    (isRGB ? "R'G'B'" : "Y'") + (hasAlpha ? "A" : "") + " float"
}

/// A rectangle of a layer's pixels, rows on request (non-premultiplied float, as `srcnn upscale` reads a file).
/// Its GEGL buffer is read on GIMP's thread (`main`); the worker only deinterleaves.
final class DrawableSource: ImageSource {
    let buffer: OpaquePointer
    let main: MainThreadCalls
    let x0: Int, y0: Int
    let width: Int, height: Int, channels: Int
    let format: OpaquePointer?

    /// On GIMP's thread. `area`: the rectangle read, in the layer's coordinates (inside the layer).
    init(_ drawable: gint32, area: PixelRect, main: MainThreadCalls) throws {
        (x0, y0, width, height) = (area.x, area.y, area.width, area.height)
        let isRGB = gimp_drawable_is_rgb(drawable) != 0, hasAlpha = gimp_drawable_has_alpha(drawable) != 0
        channels = (isRGB ? 3 : 1) + (hasAlpha ? 1 : 0)
        format = babl_format(floatFormatName(isRGB: isRGB, hasAlpha: hasAlpha))
        guard let b = gimp_drawable_get_buffer(drawable) else { throw PluginError(message: "cannot read the drawable") }
        buffer = b
        self.main = main
    }

    /// On GIMP's thread, after the run.
    func close() { g_object_unref(UnsafeMutableRawPointer(buffer)) }

    func readRows(_ rows: Range<Int>) throws -> [Plane] {
        let c = channels, w = width, n = rows.count
        var data = [Float](repeating: 0, count: w * n * c)
        try data.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress!
            try main.run {
                var rect = GeglRectangle(x: gint(self.x0), y: gint(self.y0 + rows.lowerBound), width: gint(w),
                                         height: gint(n))
                gegl_buffer_get(self.buffer, &rect, 1.0, self.format, p, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE)
            }
        }
        return data.withUnsafeBufferPointer { Plane.deinterleaving($0, width: w, height: n, channels: c) }
    }
}

/// A layer's result, held in a temporary GEGL buffer of the layer's own pixel format (GEGL swaps its tiles to
/// disk past its cache size, so no layer is ever whole in our RAM) until it is copied into the layer at the end.
final class LayerResult: ImageSink {
    let buffer: OpaquePointer
    let main: MainThreadCalls
    let width: Int, height: Int, channels: Int
    let floatFormat: OpaquePointer?

    /// On GIMP's thread: an empty buffer of `width` x `height` in `drawable`'s format.
    init(for drawable: gint32, width: Int, height: Int, main: MainThreadCalls) throws {
        let isRGB = gimp_drawable_is_rgb(drawable) != 0, hasAlpha = gimp_drawable_has_alpha(drawable) != 0
        channels = (isRGB ? 3 : 1) + (hasAlpha ? 1 : 0)
        floatFormat = babl_format(floatFormatName(isRGB: isRGB, hasAlpha: hasAlpha))
        var rect = GeglRectangle(x: 0, y: 0, width: gint(width), height: gint(height))
        guard let b = gegl_buffer_new(&rect, gimp_drawable_get_format(drawable)) else {
            throw PluginError(message: "cannot create a buffer for the result")
        }
        buffer = b
        self.width = width
        self.height = height
        self.main = main
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(buffer)) }

    /// Rows clamped to 0...1 (float layers would keep out-of-range values; integer ones are clamped by babl
    /// anyway) and converted to the layer's format as they are stored.
    func writeRows(_ rows: Range<Int>, _ planes: [Plane]) throws {
        let c = channels, w = width, n = rows.count
        guard planes.count == c else { throw PluginError(message: "internal error: \(planes.count) planes for \(c)") }
        var strip = [Float](repeating: 0, count: w * n * c)
        strip.withUnsafeMutableBufferPointer { Plane.interleave(planes, into: $0.baseAddress!, clampedTo: 0...1) }
        try strip.withUnsafeBytes { raw in
            let p = raw.baseAddress!
            try main.run {
                var rect = GeglRectangle(x: 0, y: gint(rows.lowerBound), width: gint(w), height: gint(n))
                gegl_buffer_set(self.buffer, &rect, 0, self.floatFormat, p, GEGL_AUTO_ROWSTRIDE)
            }
        }
    }
}
