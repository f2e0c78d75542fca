// The GIMP 2.10 adapter: PDB registration and the run procedure, exported with @_cdecl for the C shim
// (Plugin/shim/main.c). Pixels go through GEGL buffers in babl float formats; the result is written
// through the shadow buffer at the very end, inside one undo group.
import CGimp
import Foundation
import SRCNN

let procedureName = "plug-in-srcnn-upscale"

/// What the user chose (also the "last values" GIMP remembers between runs).
struct Settings: Equatable {
    var scale: Double = 2
    var weights: String = ""

    var serialized: [UInt8] { Array("\(scale)\n\(weights)".utf8) }
    init() {}
    init?(serialized bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let nl = text.firstIndex(of: "\n"), let s = Double(text[..<nl]) else { return nil }
        scale = s
        weights = String(text[text.index(after: nl)...])
    }
}

/// A plug-in failure: the message GIMP shows (and prints in batch mode).
struct PluginError: Error { var message: String }

// MARK: - query

@_cdecl("srcnn_plugin_query")
public func srcnnPluginQuery() {
    let args: [(GimpPDBArgType, String, String)] = [
        (GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }"),
        (GIMP_PDB_IMAGE, "image", "Input image (it grows by the scale factor)"),
        (GIMP_PDB_DRAWABLE, "drawable", "The layer upscaled with bicubic + SRCNN (the rest of the image: GIMP's cubic scale)"),
        (GIMP_PDB_FLOAT, "scale", "Scale factor, 1 to 8 (any real value)"),
        (GIMP_PDB_STRING, "weights", "SRCNN weights (.safetensors); \"\" = the shipped model nearest the scale"),
    ]
    let params = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: args.count)
    for (i, a) in args.enumerated() {
        params[i] = GimpParamDef(type: a.0, name: strdup(a.1), description: strdup(a.2))
    }
    gimp_install_procedure(
        procedureName,
        "Upscale the image with SRCNN super-resolution",
        "Scales the whole image by the factor with cubic interpolation; the drawable itself is upscaled from its "
            + "original pixels as `srcnn upscale` does: MATLAB-compatible bicubic, then SRCNN (Dong et al. 2014) on "
            + "the luma; chroma and alpha stay bicubic. Weights: a .safetensors file, or \"\" for the "
            + "shipped model nearest the scale (plug-ins/srcnn-upscale/weights/).",
        "SRCNN Upscale contributors", "SRCNN Upscale contributors", "2026",
        "SRCNN Upscale…", "RGB*, GRAY*", GIMP_PLUGIN,
        gint(args.count), 0, params, nil)
    gimp_plugin_menu_register(procedureName, "<Image>/Filters/Enhance")
}

// MARK: - run

/// Return values live in static storage, as GIMP expects.
private let returnValues = UnsafeMutablePointer<GimpParam>.allocate(capacity: 2)
private var returnMessage: UnsafeMutablePointer<CChar>?

@_cdecl("srcnn_plugin_run")
public func srcnnPluginRun(_ name: UnsafePointer<CChar>?, _ nparams: gint, _ param: UnsafePointer<GimpParam>?,
                           _ nreturnVals: UnsafeMutablePointer<gint>?, _ returnVals: UnsafeMutablePointer<UnsafeMutablePointer<GimpParam>?>?) {
    var status = GIMP_PDB_SUCCESS
    var message: String?
    // From the menu GIMP passes only run-mode, image and drawable (interactive or repeat: the dialog or the
    // last values supply the rest); a non-interactive call must pass all five.
    let nonInteractive = nparams >= 1 && param != nil && param![0].data.d_int32 == Int32(GIMP_RUN_NONINTERACTIVE.rawValue)
    if param == nil || nparams < 3 || nparams > 5 || (nonInteractive && nparams != 5) {
        status = GIMP_PDB_CALLING_ERROR
        message = "\(procedureName) takes 5 arguments (run-mode, image, drawable, scale, weights), got \(nparams)"
    } else {
        do {
            try run(param!, count: Int(nparams))
        } catch let e as PluginError {
            status = GIMP_PDB_EXECUTION_ERROR
            message = e.message
        } catch {
            status = GIMP_PDB_EXECUTION_ERROR
            message = "\(error)"
        }
    }
    returnValues[0].type = GIMP_PDB_STATUS
    returnValues[0].data.d_status = status
    if let message {
        let full = "SRCNN Upscale: " + message
        free(returnMessage)
        returnMessage = strdup(full)
        returnValues[1].type = GIMP_PDB_STRING
        returnValues[1].data.d_string = returnMessage
        nreturnVals?.pointee = 2
    } else {
        nreturnVals?.pointee = 1
    }
    returnVals?.pointee = returnValues
}

private func run(_ param: UnsafePointer<GimpParam>, count: Int) throws {
    // GIMP 2.10 plug-ins initialise GEGL (and babl) themselves before touching drawable buffers.
    gegl_init(nil, nil)
    let runMode = GimpRunMode(rawValue: GimpRunMode.RawValue(param[0].data.d_int32))
    let image = param[1].data.d_image
    let drawable = param[2].data.d_drawable
    var settings = Settings()
    switch runMode {
    case GIMP_RUN_NONINTERACTIVE:
        settings.scale = param[3].data.d_float
        settings.weights = param[4].data.d_string.map { String(cString: $0) } ?? ""
    default:
        if let last = loadLastValues() {
            settings = last
        } else if runMode == GIMP_RUN_INTERACTIVE, count == 5, (1...8).contains(param[3].data.d_float) {
            // First interactive run from a script: the dialog starts from the arguments it passed.
            settings.scale = param[3].data.d_float
            settings.weights = param[4].data.d_string.map { String(cString: $0) } ?? ""
        }
        if runMode == GIMP_RUN_INTERACTIVE {
            guard let chosen = try showDialog(settings, image: image) else { return }   // cancelled: nothing done
            settings = chosen
        }
    }
    try upscale(image: image, drawable: drawable, settings: settings)
    // Remembered after every successful run, so Filters → Repeat (RUN-WITH-LAST-VALS) repeats it.
    saveLastValues(settings)
    if runMode != GIMP_RUN_NONINTERACTIVE { gimp_displays_flush() }
}

func loadLastValues() -> Settings? {
    let size = gimp_procedural_db_get_data_size(procedureName)
    guard size > 0 && size < 1 << 16 else { return nil }
    var bytes = [UInt8](repeating: 0, count: Int(size))
    guard bytes.withUnsafeMutableBytes({ gimp_procedural_db_get_data(procedureName, $0.baseAddress) }) != 0 else { return nil }
    return Settings(serialized: bytes)
}

func saveLastValues(_ s: Settings) {
    let bytes = s.serialized
    _ = bytes.withUnsafeBytes { gimp_procedural_db_set_data(procedureName, $0.baseAddress, guint32(bytes.count)) }
}

// MARK: - weights

/// The folder of the plug-in executable (GIMP runs plug-ins/srcnn-upscale/srcnn-upscale).
func pluginFolder() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().path
}

/// Folders searched for shipped weights (srcnn-x2.safetensors, ...).
func weightsFolders() -> [String] {
    var dirs: [String] = []
    if let env = ProcessInfo.processInfo.environment["SRCNN_WEIGHTS_DIR"], !env.isEmpty { dirs.append(env) }
    dirs.append(pluginFolder() + "/weights")
    return dirs
}

/// Shipped models as (scale, path), sorted by scale.
func shippedModels() -> [(scale: Double, path: String)] { ShippedWeights.find(in: weightsFolders()) }

func resolveWeights(_ explicit: String, scale: Double) throws -> String {
    if !explicit.isEmpty { return explicit }
    guard let best = ShippedWeights.nearest(to: scale, in: weightsFolders()) else {
        throw PluginError(message: "no shipped weights found (looked in \(weightsFolders().joined(separator: ", "))); "
                          + "pass a weights file (.safetensors)")
    }
    return best
}

// MARK: - the upscale

/// Checks everything that can fail before the image is touched, computes the layer's result from its original
/// pixels exactly as `srcnn upscale` does (the engine's `Upscaler`: MATLAB bicubic of each plane to the layer's
/// final size, SRCNN on Y), and only then scales the image (GIMP's cubic, for everything else) and writes the
/// layer, in one undo step. If the user cancels (GIMP kills
/// the plug-in) while SRCNN runs, the image has not been touched.
func upscale(image: gint32, drawable: gint32, settings: Settings) throws {
    let scale = settings.scale
    guard scale.isFinite, scale >= 1, scale <= 8 else {
        throw PluginError(message: "scale \(scale) is out of range (1 to 8)")
    }
    guard gimp_image_is_valid(image) != 0, gimp_item_is_valid(drawable) != 0,
          gimp_item_get_image(drawable) == image else {
        throw PluginError(message: "invalid image or drawable")
    }
    if gimp_image_base_type(image) == GIMP_INDEXED || gimp_drawable_is_indexed(drawable) != 0 {
        throw PluginError(message: "indexed images are not supported: convert to RGB first (Image → Mode → RGB)")
    }
    if gimp_item_is_group(drawable) != 0 {
        throw PluginError(message: "the active layer is a layer group: select a normal layer")
    }
    if gimp_item_is_layer_mask(drawable) != 0 {
        throw PluginError(message: "the active drawable is a layer mask: select the layer itself")
    }
    if gimp_item_is_layer(drawable) == 0 {
        throw PluginError(message: "the active drawable is a channel: select a layer")
    }
    let path = try resolveWeights(settings.weights, scale: scale)
    let network: Network
    do {
        network = try Network(contentsOf: path)
        try network.validate()
    } catch {
        throw PluginError(message: "cannot use weights \(path): \(error)")
    }
    let width = Int(gimp_image_width(image)), height = Int(gimp_image_height(image))
    let newWidth = max(1, Int((Double(width) * scale).rounded())), newHeight = max(1, Int((Double(height) * scale).rounded()))
    guard newWidth <= 262_144, newHeight <= 262_144 else {
        throw PluginError(message: "the result (\(newWidth)×\(newHeight)) would exceed GIMP's maximum image size")
    }
    gimp_progress_init("SRCNN upscale ×\(String(format: "%g", scale))…")

    // 1. The layer's size after the image scale, and its original pixels (non-premultiplied float).
    let (layerWidth, layerHeight) = try scaledLayerSize(image: image, drawable: drawable, newWidth: newWidth, newHeight: newHeight)
    var original: Pixels? = try Pixels(reading: drawable)
    let isRGB = original!.isRGB, hasAlpha = original!.hasAlpha
    var planes = original!.planes
    original = nil
    gimp_progress_update(0.05)

    // 2. Exactly `srcnn upscale`: the engine's MATLAB bicubic of each plane (Y'/chroma, alpha) to the layer's
    //    final size, then SRCNN on Y (the long part; nothing has been written yet).
    let upscaler = Upscaler(network: network)
    let upscaled: [Plane]
    if layerWidth > 0, layerHeight > 0, !planes.isEmpty, planes[0].width > 0, planes[0].height > 0 {
        let source = planes
        planes.removeAll()
        upscaled = try runWithProgress(from: 0.05, to: 0.95) { progress in
            var input = source
            return try upscaler.upscale(&input, width: layerWidth, height: layerHeight, progress: progress)
        }
    } else {
        upscaled = (0..<planes.count).map { _ in Plane(width: layerWidth, height: layerHeight) }
    }

    // 3. Now the image: one undo group, cubic scale (other layers, masks and channels follow), the layer
    //    written through its shadow buffer.
    gimp_image_undo_group_start(image)
    defer { gimp_image_undo_group_end(image) }
    try scaleImage(image, newWidth, newHeight)
    guard Int(gimp_drawable_width(drawable)) == layerWidth, Int(gimp_drawable_height(drawable)) == layerHeight else {
        throw PluginError(message: "the layer's scaled size differs from the expected \(layerWidth)×\(layerHeight)")
    }
    try Pixels.write(upscaled, isRGB: isRGB, hasAlpha: hasAlpha, to: drawable)
    gimp_progress_update(1)
}

/// The size GIMP gives the layer when the image is scaled to newWidth×newHeight. A layer covering the image
/// exactly gets the image's size; any other layer's size (GIMP rounds offsets and edges separately) is read
/// from an empty stand-in of the same size and offsets in a small temporary 8-bit grey image, scaled the same way.
func scaledLayerSize(image: gint32, drawable: gint32, newWidth: Int, newHeight: Int) throws -> (Int, Int) {
    let width = Int(gimp_image_width(image)), height = Int(gimp_image_height(image))
    let lw = Int(gimp_drawable_width(drawable)), lh = Int(gimp_drawable_height(drawable))
    var ox: gint = 0, oy: gint = 0
    _ = gimp_drawable_offsets(drawable, &ox, &oy)
    if ox == 0, oy == 0, lw == width, lh == height { return (newWidth, newHeight) }
    let tmp = gimp_image_new(gint(width), gint(height), GIMP_GRAY)
    guard tmp > 0 else { throw PluginError(message: "cannot create a temporary image") }
    defer { gimp_image_delete(tmp) }
    _ = gimp_image_undo_disable(tmp)
    let standIn = gimp_layer_new(tmp, "size", gint(lw), gint(lh), GIMP_GRAY_IMAGE, 100, GIMP_LAYER_MODE_NORMAL)
    guard standIn > 0, gimp_image_insert_layer(tmp, standIn, 0, 0) != 0 else {
        throw PluginError(message: "cannot create a temporary layer")
    }
    _ = gimp_layer_set_offsets(standIn, ox, oy)
    try scaleImage(tmp, newWidth, newHeight)
    guard gimp_item_is_valid(standIn) != 0 else {
        throw PluginError(message: "the layer would vanish at this scale")
    }
    return (Int(gimp_drawable_width(standIn)), Int(gimp_drawable_height(standIn)))
}

/// gimp-image-scale with cubic interpolation (the user's interpolation setting is restored after).
func scaleImage(_ image: gint32, _ width: Int, _ height: Int) throws {
    guard width != Int(gimp_image_width(image)) || height != Int(gimp_image_height(image)) else { return }
    gimp_context_push()
    gimp_context_set_interpolation(GIMP_INTERPOLATION_CUBIC)
    let ok = gimp_image_scale(image, gint(width), gint(height))
    gimp_context_pop()
    guard ok != 0 else { throw PluginError(message: "gimp-image-scale to \(width)×\(height) failed") }
}

/// A drawable's pixels as interleaved floats in a babl format ("R'G'B'A float", "Y' float", ...).
struct Pixels {
    var width: Int
    var height: Int
    var isRGB: Bool
    var hasAlpha: Bool
    var data: [Float]

    var channels: Int { (isRGB ? 3 : 1) + (hasAlpha ? 1 : 0) }
    var formatName: String { (isRGB ? "R'G'B'" : "Y'") + (hasAlpha ? "A" : "") + " float" }

    init(reading drawable: gint32) throws {
        width = Int(gimp_drawable_width(drawable))
        height = Int(gimp_drawable_height(drawable))
        isRGB = gimp_drawable_is_rgb(drawable) != 0
        hasAlpha = gimp_drawable_has_alpha(drawable) != 0
        data = [Float](repeating: 0, count: width * height * ((isRGB ? 3 : 1) + (hasAlpha ? 1 : 0)))
        guard width > 0, height > 0 else { return }
        guard let buffer = gimp_drawable_get_buffer(drawable) else { throw PluginError(message: "cannot read the drawable") }
        defer { g_object_unref(UnsafeMutableRawPointer(buffer)) }
        var rect = GeglRectangle(x: 0, y: 0, width: gint(width), height: gint(height))
        let format = babl_format(formatName)
        data.withUnsafeMutableBytes {
            gegl_buffer_get(buffer, &rect, 1.0, format, $0.baseAddress, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE)
        }
    }

    /// One plane per channel, in order (R', G', B' or Y', then alpha).
    var planes: [Plane] {
        let c = channels, n = width * height
        return (0..<c).map { k in
            var p = Plane(width: width, height: height)
            for i in 0..<n { p.data[i] = data[i * c + k] }
            return p
        }
    }

    /// Planes (Y' / R'G'B', then alpha) written through the shadow buffer in strips of rows (no full
    /// interleaved copy), clamped to 0...1 (float drawables would keep out-of-range values; integer ones are
    /// clamped by babl anyway), merged with undo, then the display updated.
    static func write(_ planes: [Plane], isRGB: Bool, hasAlpha: Bool, to drawable: gint32) throws {
        let c = (isRGB ? 3 : 1) + (hasAlpha ? 1 : 0)
        guard planes.count == c else { throw PluginError(message: "internal error: \(planes.count) planes for \(c) channels") }
        let width = planes[0].width, height = planes[0].height
        guard width > 0, height > 0 else { return }
        guard let shadow = gimp_drawable_get_shadow_buffer(drawable) else { throw PluginError(message: "cannot write the drawable") }
        let format = babl_format((isRGB ? "R'G'B'" : "Y'") + (hasAlpha ? "A" : "") + " float")
        let stripRows = max(1, min(height, (1 << 18) / (width * c)))   // 1 MiB strips
        var strip = [Float](repeating: 0, count: width * stripRows * c)
        var y0 = 0
        while y0 < height {
            let rows = min(stripRows, height - y0), base = y0 * width
            for (k, p) in planes.enumerated() {
                p.data.withUnsafeBufferPointer { src in
                    for i in 0..<(rows * width) { strip[i * c + k] = min(max(src[base + i], 0), 1) }
                }
            }
            var rect = GeglRectangle(x: 0, y: gint(y0), width: gint(width), height: gint(rows))
            strip.withUnsafeBytes { gegl_buffer_set(shadow, &rect, 0, format, $0.baseAddress, GEGL_AUTO_ROWSTRIDE) }
            y0 += rows
        }
        gegl_buffer_flush(shadow)
        g_object_unref(UnsafeMutableRawPointer(shadow))
        gimp_drawable_merge_shadow(drawable, 1)
        gimp_drawable_update(drawable, 0, 0, gint(width), gint(height))
    }
}

private final class WorkerBox<T>: @unchecked Sendable {
    let lock = NSLock()
    var fraction = 0.0
    var result: Result<T, Error>?
}

/// Runs `work` on a worker thread; this (GIMP's) thread forwards its progress (0...1, mapped to from...to),
/// since libgimp is not thread-safe.
func runWithProgress<T>(from: Double, to: Double, _ work: @escaping @Sendable (@escaping ProgressHandler) throws -> T) throws -> T {
    let box = WorkerBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        let r = Result { try work({ f in box.lock.lock(); box.fraction = f; box.lock.unlock() }) }
        box.lock.lock(); box.result = r; box.lock.unlock()
        done.signal()
    }
    thread.stackSize = 8 << 20
    thread.start()
    var last = -1.0
    while done.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
        box.lock.lock(); let f = box.fraction; box.lock.unlock()
        if f - last >= 0.01 { gimp_progress_update(from + (to - from) * f); last = f }
    }
    box.lock.lock(); defer { box.lock.unlock() }
    return try box.result!.get()
}
