// The GIMP 2.10 adapter: PDB registration and the run procedure, exported with @_cdecl for the C shim
// (Plugin/shim/main.c). Pixels go through GEGL buffers in babl float formats; the result is written
// through the shadow buffer at the very end, inside one undo group.
import CGimp
import FoundationEssentials
import Glibc
import SRCNN
import SRCNNGimpUI
import SRCNNHost
import SRCNNPluginCore

let procedureName = "plug-in-srcnn-upscale"
let toSizeProcedureName = "plug-in-srcnn-upscale-to-size"
let newImageProcedureName = "plug-in-srcnn-upscale-new-image"
let helpDomain = "org.srcnn-upscale.help"

/// The procedure's arguments (after run-mode, image and drawable).
let argumentCount = 6

/// A plug-in failure: the message GIMP shows (and prints in batch mode).
struct PluginError: Error { var message: String }

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
    // last values supply the rest); a non-interactive call must pass all six (five, from callers written
    // before the layers argument existed, means the active layer).
    let nonInteractive = nparams >= 1 && param != nil && param![0].data.d_int32 == Int32(GIMP_RUN_NONINTERACTIVE.rawValue)
    let called = name.map { String(cString: $0) } ?? procedureName
    let helper = [procedureName, toSizeProcedureName, newImageProcedureName].contains(called) ? nil : called
    var newImage: gint32?
    /// Runs `body`, turning a failure into an execution error with its message.
    func executing(_ body: () throws -> Void) {
        do { try body() } catch let e as PluginError {
            status = GIMP_PDB_EXECUTION_ERROR
            message = e.message
        } catch {
            status = GIMP_PDB_EXECUTION_ERROR
            message = "\(error)"
        }
    }
    if called == newImageProcedureName {
        if let param, nparams == 6 {
            executing { newImage = try runNewImage(param) }
        } else {
            status = GIMP_PDB_CALLING_ERROR
            message = "\(newImageProcedureName) takes 6 arguments (run-mode, image, drawable, scale, weights, layers), "
                + "got \(nparams)"
        }
    } else if called == toSizeProcedureName {
        if let param, nparams == 7 {
            executing { try runToSize(param) }
        } else {
            status = GIMP_PDB_CALLING_ERROR
            message = "\(toSizeProcedureName) takes 7 arguments (run-mode, image, drawable, width, height, weights, "
                + "layers), got \(nparams)"
        }
    } else if called == commitProcedure, let param {
        executing { newImage = try runCommit(param, count: Int(nparams)) ?? -1 }
    } else if let helper, let param {
        executing {
            if try !runBatchHelper(helper, param, count: Int(nparams)) {
                status = GIMP_PDB_CALLING_ERROR
                message = "unknown procedure \(helper)"
            }
        }
    } else if param == nil || nparams < 3 || nparams > gint(argumentCount) || (nonInteractive && nparams < 5) {
        status = GIMP_PDB_CALLING_ERROR
        message = "\(procedureName) takes \(argumentCount) arguments (run-mode, image, drawable, scale, weights, layers), got \(nparams)"
    } else {
        executing { try run(param!, count: Int(nparams)) }
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
    } else if let newImage {
        returnValues[1].type = GIMP_PDB_IMAGE
        returnValues[1].data.d_image = newImage
        nreturnVals?.pointee = 2
    } else {
        nreturnVals?.pointee = 1
    }
    returnVals?.pointee = returnValues
}

/// What every upscaling procedure sets up first, on GIMP's thread.
private func prepareProcess() {
    // GIMP 2.10 plug-ins initialise GEGL (and babl) themselves before touching drawable buffers.
    gegl_init(nil, nil)
    noteMainThread()
    if let warning = HostEnvironment.applyKernelChoice() { fputs("srcnn-upscale: \(warning)\n", stderr) }
    // Results wait in GEGL buffers until the end; past this cache their tiles swap to disk, so the plug-in's
    // memory does not grow with the image (GEGL's default cache is sized for GIMP itself).
    srcnn_gegl_limit_tile_cache(128 << 20)
}

private func run(_ param: UnsafePointer<GimpParam>, count: Int) throws {
    prepareProcess()
    let runMode = GimpRunMode(rawValue: GimpRunMode.RawValue(param[0].data.d_int32))
    let image = param[1].data.d_image
    let drawable = param[2].data.d_drawable
    var settings = Settings()
    switch runMode {
    case GIMP_RUN_NONINTERACTIVE:
        settings.scale = param[3].data.d_float
        settings.weights = param[4].data.d_string.map { String(cString: $0) } ?? ""
        if count == 6 {
            let mode = param[5].data.d_int32
            guard mode == 0 || mode == 1 else {
                throw PluginError(message: "layers must be 0 (the active layer) or 1 (all layers), got \(mode)")
            }
            settings.allLayers = mode == 1
        }
    default:
        if let last = loadLastValues() {
            settings = last
        } else if runMode == GIMP_RUN_INTERACTIVE, count >= 5, (1...8).contains(param[3].data.d_float) {
            // First interactive run from a script: the dialog starts from the arguments it passed.
            settings.scale = param[3].data.d_float
            settings.weights = param[4].data.d_string.map { String(cString: $0) } ?? ""
            if count == 6 { settings.allLayers = param[5].data.d_int32 == 1 }
        }
        if runMode == GIMP_RUN_INTERACTIVE {
            guard let chosen = try showDialog(settings, image: image, drawable: drawable) else { return }   // cancelled: nothing done
            settings = chosen
        }
    }
    if runMode == GIMP_RUN_NONINTERACTIVE { settings.output = .resize }   // this procedure's contract
    _ = try upscale(image: image, drawable: drawable, settings: settings,
                    size: settings.exactSize.map { ($0.width, $0.height) }, display: runMode != GIMP_RUN_NONINTERACTIVE)
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
func weightsFolders() -> [String] { ShippedWeights.searchFolders([pluginFolder() + "/weights"]) }

/// The weights file for the `weights` argument: "" or "srcnn" = the shipped SRCNN model nearest the scale,
/// "fsrcnn" = the shipped FSRCNN model for it (the smallest native scale at or above it), "srcnn-photo" and
/// "fsrcnn-photo" the same for the photo weights (JPEG, noisy input), else a file path.
func resolveWeights(_ explicit: String, scale: Double) throws -> String {
    do {
        if let model = ShippedModel(name: explicit) {
            return try ShippedWeights.resolve(nil, model: model, scale: scale, folders: weightsFolders())
        }
        return try ShippedWeights.resolve(explicit, scale: scale, folders: weightsFolders())
    } catch {
        throw PluginError(message: "\(error)")
    }
}

// MARK: - the upscale

/// Checks everything that can fail before the image is touched, computes each target layer's result from its
/// original pixels exactly as `srcnn upscale` does (the engine's `Upscaler`: MATLAB bicubic of each plane to
/// the layer's final size, SRCNN on Y), and only then scales the image (GIMP's cubic, for everything else) and
/// writes the layers, in one undo step. If the user cancels (GIMP kills the plug-in) while SRCNN runs, the
/// image has not been touched. Each result waits in a GEGL buffer (swapped to disk past the tile cache) until the end.
/// The to-size procedure: non-interactive, nothing remembered.
private func runToSize(_ param: UnsafePointer<GimpParam>) throws {
    prepareProcess()
    let w = Int(param[3].data.d_int32), h = Int(param[4].data.d_int32)
    guard w >= 0, h >= 0, w > 0 || h > 0 else {
        throw PluginError(message: "width and height must be positive (one may be 0 to keep the aspect ratio), got \(w)×\(h)")
    }
    var settings = Settings()
    settings.weights = param[5].data.d_string.map { String(cString: $0) } ?? ""
    let mode = param[6].data.d_int32
    guard mode == 0 || mode == 1 else { throw PluginError(message: "layers must be 0 or 1, got \(mode)") }
    settings.allLayers = mode == 1
    _ = try upscale(image: param[1].data.d_image, drawable: param[2].data.d_drawable, settings: settings,
                    size: (w > 0 ? w : nil, h > 0 ? h : nil))
}

/// The new-image procedure: returns the new image (shown when run interactively).
private func runNewImage(_ param: UnsafePointer<GimpParam>) throws -> gint32 {
    prepareProcess()
    var settings = Settings()
    settings.scale = param[3].data.d_float
    settings.weights = param[4].data.d_string.map { String(cString: $0) } ?? ""
    let mode = param[5].data.d_int32
    guard mode == 0 || mode == 1 else { throw PluginError(message: "layers must be 0 or 1, got \(mode)") }
    settings.allLayers = mode == 1
    settings.output = .newImage
    let interactive = param[0].data.d_int32 != Int32(GIMP_RUN_NONINTERACTIVE.rawValue)
    guard let made = try upscale(image: param[1].data.d_image, drawable: param[2].data.d_drawable,
                                 settings: settings, display: interactive) else {
        throw PluginError(message: "no image was made")
    }
    if interactive { gimp_displays_flush() }
    return made
}

/// `size`: an exact result size (a nil side follows the aspect ratio) instead of `settings.scale`. With
/// `settings.output == .newImage` the result is a new image (shown when `display`), returned; else nil.
func upscale(image: gint32, drawable: gint32, settings: Settings, size: (Int?, Int?)? = nil,
             display: Bool = false) throws -> gint32? {
    let started = monotonicSeconds()
    guard gimp_image_is_valid(image) != 0 else { throw PluginError(message: "invalid image or drawable") }
    // The part of the image that becomes the result: the whole image, or a new image's selection bounds.
    let region = jobRegion(image, mode: settings.output)
    let width = region.area.width, height = region.area.height
    let (newWidth, newHeight): (Int, Int)
    if let size {
        (newWidth, newHeight) = SizeRule.size(width: width, height: height, targetWidth: size.0, targetHeight: size.1)
    } else {
        do { try settings.validate() } catch { throw PluginError(message: "\(error)") }
        (newWidth, newHeight) = (SizeRule.side(width, scale: settings.scale), SizeRule.side(height, scale: settings.scale))
    }
    do { try SizeRule.checkOutput(width: newWidth, height: newHeight) } catch { throw PluginError(message: "\(error)") }
    // The factor the model is chosen for (the larger one for an exact size, at least 1).
    let scale = size == nil ? settings.scale : max(1, Double(newWidth) / Double(width), Double(newHeight) / Double(height))
    // With all layers the drawable is not used (a script may pass -1 for an image without an active layer).
    guard settings.allLayers || (gimp_item_is_valid(drawable) != 0 && gimp_item_get_image(drawable) == image) else {
        throw PluginError(message: "invalid image or drawable")
    }
    if gimp_image_base_type(image) == GIMP_INDEXED || (!settings.allLayers && gimp_drawable_is_indexed(drawable) != 0) {
        throw PluginError(message: "indexed images are not supported: convert to RGB first (Image → Mode → RGB)")
    }
    let targets: [gint32]
    if settings.allLayers {
        targets = pixelLayers(of: image)
        guard !targets.isEmpty else { throw PluginError(message: "the image has no pixel layers") }
    } else {
        if gimp_item_is_group(drawable) != 0 {
            throw PluginError(message: "the active layer is a layer group: select a normal layer (or choose all layers)")
        }
        if gimp_item_is_layer_mask(drawable) != 0 {
            throw PluginError(message: "the active drawable is a layer mask: select the layer itself")
        }
        if gimp_item_is_layer(drawable) == 0 {
            throw PluginError(message: "the active drawable is a channel: select a layer")
        }
        targets = [drawable]
    }
    let path = try resolveWeights(settings.weights, scale: scale)
    let model: SRModel
    do {
        model = try SRModel(contentsOf: path)
    } catch {
        throw PluginError(message: "cannot use weights \(path): \(error)")
    }
    // Which model ran is said where the user looks (the progress bar) and in the log (scripts, tests).
    let modelName = path.split(separator: "/").last.map(String.init) ?? path
    let family = model.familyName.uppercased()
    gimp_progress_init(size == nil ? "\(family) upscale ×\(formatG(scale)) (\(modelName))…"
                                    : "\(family) upscale to \(newWidth)×\(newHeight) (\(modelName))…")
    fputs("srcnn-upscale: ×\(formatG(scale)) with \(path)\n", stderr)

    // 1. Each layer's part inside the region and its size after the image scale (nil: the crop or the scale
    //    removes the layer).
    let parts = targets.map { region.part(ofLayer: layerRect($0)) }
    let sizes = try scaledLayerSizes(region: region, parts: parts, newWidth: newWidth, newHeight: newHeight)
    if !settings.allLayers, sizes[0] == nil {
        throw PluginError(message: parts[0] == nil ? "the active layer lies outside the selection"
                                                   : "the layer would vanish at this scale")
    }
    let work = targets.indices.compactMap { i in
        sizes[i].map { (layer: targets[i], source: parts[i]!.source, width: $0.0, height: $0.1) }
    }
    let plan = ProgressPlan(layerPixels: work.map { $0.width * $0.height })
    gimp_progress_update(ProgressPlan.prepared)

    // 2. Exactly `srcnn upscale`, layer by layer: the engine's MATLAB bicubic of each plane (Y'/chroma, alpha)
    //    to the layer's final size, then SRCNN on Y (the long part; nothing has been written yet).
    var results: [(layer: gint32, result: LayerResult)] = []
    for (i, item) in work.enumerated() {
        let (w, h) = (item.width, item.height)
        let main = MainThreadCalls()
        let result = try LayerResult(for: item.layer, width: w, height: h, main: main)
        if w > 0, h > 0, !item.source.isEmpty {
            // Streamed: the engine asks for the layer's rows as it needs them and hands over finished bands,
            // which go into the result buffer (both on GIMP's thread, through `main`).
            let source = try DrawableSource(item.layer, area: item.source, main: main)
            defer { source.close() }
            let r = plan.range(ofLayer: i)
            try runWithProgress(from: r.lowerBound, to: r.upperBound, main: main,
                                report: { gimp_progress_update($0) }) { progress in
                try model.bands(source: source, width: w, height: h, progress: progress).run(into: result)
            }
        }
        results.append((item.layer, result))
    }

    // 3. The results go to a job folder (a full disk fails here, the image untouched); then the progress ends, so
    //    GIMP's Cancel has nothing left to kill, and a process of its own scales the image (or makes the new one)
    //    and writes the layers in one undo group (Commit.swift): a kill of this process from here on does not stop it.
    gimp_progress_update(ProgressPlan.computed)
    let computed = monotonicSeconds()
    let target: JobTarget = settings.output == .newImage ? .newImage(region.area, crop: region.crops, display: display) : .resize
    let job = try writeJob(results, target: target)
    results.removeAll()
    gimp_progress_update(ProgressPlan.written)
    gimp_progress_end()
    var args = [GimpParam](repeating: GimpParam(), count: 5)
    args[0].type = GIMP_PDB_INT32; args[0].data.d_int32 = Int32(GIMP_RUN_NONINTERACTIVE.rawValue)
    args[1].type = GIMP_PDB_IMAGE; args[1].data.d_image = image
    args[2].type = GIMP_PDB_INT32; args[2].data.d_int32 = gint32(newWidth)
    args[3].type = GIMP_PDB_INT32; args[3].data.d_int32 = gint32(newHeight)
    let jobC = strdup(job)
    defer { free(jobC) }
    args[4].type = GIMP_PDB_STRING; args[4].data.d_string = jobC
    var n: gint = 0
    let values = gimp_run_procedure2(commitProcedure, &n, gint(args.count), &args)
    defer { gimp_destroy_params(values, n) }
    guard let values, n >= 1, values[0].data.d_status == GIMP_PDB_SUCCESS else {
        removeJobFolder(job)
        let why = (values != nil && n >= 2 && values![1].type == GIMP_PDB_STRING)
            ? values![1].data.d_string.map { String(cString: $0) } ?? "" : ""
        throw PluginError(message: why.isEmpty ? "the image could not be written" : why)
    }
    // The time each part took, for the estimate's check (Tests/Benchmarks/estimate.sh) and curious users.
    let now = monotonicSeconds()
    fputs("srcnn-upscale: done in \(formatG(now - started)) s (to the results \(formatG(computed - started)) s, "
          + "writing \(formatG(now - computed)) s)\n", stderr)
    guard case .newImage = target else { return nil }
    guard n >= 2, values[1].type == GIMP_PDB_IMAGE else { throw PluginError(message: "the new image is missing") }
    return values[1].data.d_image
}

/// A layer's bounds in image coordinates.
func layerRect(_ layer: gint32) -> PixelRect {
    var ox: gint = 0, oy: gint = 0
    _ = gimp_drawable_offsets(layer, &ox, &oy)
    return PixelRect(x: Int(ox), y: Int(oy), width: Int(gimp_drawable_width(layer)), height: Int(gimp_drawable_height(layer)))
}

/// Every layer that holds pixels (not groups), top to bottom, recursing into layer groups.
func pixelLayers(of image: gint32) -> [gint32] {
    func children(_ ids: UnsafeMutablePointer<gint32>?, _ n: gint) -> [gint32] {
        guard let ids, n > 0 else { g_free(ids); return [] }
        let list = Array(UnsafeBufferPointer(start: ids, count: Int(n)))
        g_free(ids)
        return list.flatMap { id -> [gint32] in
            guard gimp_item_is_group(id) != 0 else { return gimp_item_is_layer(id) != 0 ? [id] : [] }
            var m: gint = 0
            let sub = gimp_item_get_children(id, &m)
            return children(sub, m)
        }
    }
    var n: gint = 0
    let top = gimp_image_get_layers(image, &n)
    return children(top, n)
}

/// The sizes GIMP gives the layers' `parts` (each layer's pixels inside the region, nil: outside it) when the
/// region becomes an image of newWidth×newHeight (nil for a layer the crop or the scale removes). A part covering
/// the region exactly gets the new size; for the others (GIMP rounds offsets and edges separately) empty
/// stand-ins of the same sizes and offsets in one small temporary 8-bit grey image are scaled the same way and
/// measured.
func scaledLayerSizes(region: JobRegion, parts: [(source: PixelRect, offsetX: Int, offsetY: Int)?],
                      newWidth: Int, newHeight: Int) throws -> [(Int, Int)?] {
    let width = region.area.width, height = region.area.height
    var sizes: [(Int, Int)?] = parts.map { $0 == nil ? nil : (newWidth, newHeight) }
    var standIns: [(index: Int, id: gint32)] = []
    var tmp: gint32 = -1
    defer { if tmp > 0 { gimp_image_delete(tmp) } }
    for (i, part) in parts.enumerated() {
        guard let part else { continue }
        if part.offsetX == 0, part.offsetY == 0, part.source.width == width, part.source.height == height { continue }
        if tmp <= 0 {
            tmp = gimp_image_new(gint(width), gint(height), GIMP_GRAY)
            guard tmp > 0 else { throw PluginError(message: "cannot create a temporary image") }
            _ = gimp_image_undo_disable(tmp)
        }
        let standIn = gimp_layer_new(tmp, "size", gint(part.source.width), gint(part.source.height), GIMP_GRAY_IMAGE,
                                     100, GIMP_LAYER_MODE_NORMAL)
        guard standIn > 0, gimp_image_insert_layer(tmp, standIn, 0, 0) != 0 else {
            throw PluginError(message: "cannot create a temporary layer")
        }
        _ = gimp_layer_set_offsets(standIn, gint(part.offsetX), gint(part.offsetY))
        standIns.append((i, standIn))
    }
    guard tmp > 0 else { return sizes }
    try scaleImage(tmp, newWidth, newHeight)
    for s in standIns {
        sizes[s.index] = gimp_item_is_valid(s.id) != 0
            ? (Int(gimp_drawable_width(s.id)), Int(gimp_drawable_height(s.id))) : nil
    }
    return sizes
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
