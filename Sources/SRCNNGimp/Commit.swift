// The write phase in a process of its own, so that a kill at any moment leaves the image untouched or finished.
//
// The upscaling process computes every result first (the image untouched), stores each as raw pixels of its
// layer's format in a job folder under the user's cache folder, ends its progress (GIMP's Cancel kills a
// plug-in; with no progress there is nothing to cancel) and calls `plug-in-srcnn-commit`. GIMP runs that in a
// new process of this plug-in, which does the one undo group: cubic image scale, the layers written through
// their shadow buffers, the selection restored. Killing the upscaling process while the commit runs does not stop
// the commit; killing it before leaves the image as it was and a job folder that the next run removes.
import CGimp
import FoundationEssentials
import Glibc
import SRCNNHost
import SRCNNPluginCore

let commitProcedure = "plug-in-srcnn-commit"

func installCommit() {
    let args: [(GimpPDBArgType, String, String)] = [
        (GIMP_PDB_INT32, "run-mode", "The run mode (non-interactive)"),
        (GIMP_PDB_IMAGE, "image", "The image plug-in-srcnn-upscale is upscaling"),
        (GIMP_PDB_INT32, "width", "The image's new width"),
        (GIMP_PDB_INT32, "height", "The image's new height"),
        (GIMP_PDB_STRING, "job", "The job folder plug-in-srcnn-upscale wrote (inside the plug-in's cache folder)"),
    ]
    let params = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: args.count)
    for (i, a) in args.enumerated() { params[i] = GimpParamDef(type: a.0, name: strdup(a.1), description: strdup(a.2)) }
    let returns = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: 1)
    returns[0] = GimpParamDef(type: GIMP_PDB_IMAGE, name: strdup("new-image"),
                              description: strdup("The new image (a new-image job), else -1"))
    let blurb = "Internal to plug-in-srcnn-upscale: scale the image (or make the new one) and write the prepared "
        + "layers, in one undo step"
    gimp_install_procedure(commitProcedure, blurb, blurb, "SRCNN Upscale contributors", "SRCNN Upscale contributors",
                           "2026", nil, "RGB*, GRAY*", GIMP_PLUGIN, gint(args.count), 1, params, returns)
}

/// Job folders live here: `<cache>/srcnn-upscale/job-<pid>-<n>` while the upscaling process `pid` writes them,
/// `commit-<pid>-<n>` once the commit process `pid` has taken them over.
func jobRoot() -> String { String(cString: g_get_user_cache_dir()) + "/srcnn-upscale" }

/// Removes job folders whose owning process is gone (a run killed before its commit).
func removeStaleJobs() {
    let root = jobRoot()
    guard let dir = opendir(root) else { return }
    defer { closedir(dir) }
    while let e = readdir(dir) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let parts = name.split(separator: "-")
        guard parts.count == 3, parts[0] == "job" || parts[0] == "commit", let pid = pid_t(parts[1]) else { continue }
        if kill(pid, 0) != 0 && errno == ESRCH && isRealFolder(root + "/" + name) { removeJobFolder(root + "/" + name) }
    }
}

/// A directory of this user, not a symbolic link (job folders are only ever that).
func isRealFolder(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && st.st_uid == getuid()
}

/// Deletes a job folder and the files in it (only the plain files a job holds).
func removeJobFolder(_ path: String) {
    if let dir = opendir(path) {
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
    }
    rmdir(path)
}

/// Where a job's results go: the image itself, scaled; or a new image made from the image's `area` (cropped to
/// it when `crop`), shown when `display`.
enum JobTarget: Equatable {
    case resize
    case newImage(PixelRect, crop: Bool, display: Bool)

    /// The manifest's first line for a new image ("new-image X Y W H CROP DISPLAY"); none for a resize.
    var line: String? {
        guard case let .newImage(r, crop, display) = self else { return nil }
        return "new-image \(r.x) \(r.y) \(r.width) \(r.height) \(crop ? 1 : 0) \(display ? 1 : 0)"
    }
    init?(line: Substring) {
        let parts = line.split(separator: " ")
        let f = parts.dropFirst().compactMap { Int($0) }
        guard parts.count == 7, parts[0] == "new-image", f.count == 6, f[2] > 0, f[3] > 0,
              (0...1).contains(f[4]), (0...1).contains(f[5]) else { return nil }
        self = .newImage(PixelRect(x: f[0], y: f[1], width: f[2], height: f[3]), crop: f[4] == 1, display: f[5] == 1)
    }
}

/// One layer of a job: its id, size, bytes per pixel, file, and the babl format its bytes are in.
struct JobLayer: Equatable {
    var layer: gint32, width: Int, height: Int, bytesPerPixel: Int, format: String
    var line: String { "\(layer) \(width) \(height) \(bytesPerPixel) \(format)" }
    init(layer: gint32, width: Int, height: Int, bytesPerPixel: Int, format: String) {
        self.layer = layer; self.width = width; self.height = height; self.bytesPerPixel = bytesPerPixel
        self.format = format
    }
    init?(line: Substring) {
        let parts = line.split(separator: " ", maxSplits: 4)
        let f = parts.prefix(4).compactMap { Int($0) }
        guard parts.count == 5, f.count == 4, let id = gint32(exactly: f[0]), f[1] >= 0, f[2] >= 0,
              (1...64).contains(f[3]) else { return nil }
        (layer, width, height, bytesPerPixel, format) = (id, f[1], f[2], f[3], String(parts[4]))
    }
    var file: String { "layer-\(layer).raw" }
}

/// The babl name of a format ("R'G'B'A u8", ...), as the manifest records it.
func formatName(_ format: OpaquePointer?) -> String { babl_get_name(format).map { String(cString: $0) } ?? "" }

private func systemError(_ what: String) -> PluginError {
    PluginError(message: "\(what): \(String(cString: strerror(errno)))")
}

/// Rows per strip when pixels move between a GEGL buffer and a job file.
private let stripRows = 64

/// In the upscaling process, after every result is computed: writes them into a new job folder (a full disk is
/// an error here, before the image is touched) and returns its path. The manifest is written last.
func writeJob(_ results: [(layer: gint32, result: LayerResult)], target: JobTarget) throws -> String {
    removeStaleJobs()
    let root = jobRoot()
    if mkdir(root, 0o700) != 0 && errno != EEXIST { throw systemError("cannot create \(root)") }
    let folder = root + "/job-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    guard mkdir(folder, 0o700) == 0 else { throw systemError("cannot create \(folder)") }
    do {
        var manifest = target.line.map { $0 + "\n" } ?? ""
        for r in results {
            let format = gegl_buffer_get_format(r.result.buffer)
            let job = JobLayer(layer: r.layer, width: r.result.width, height: r.result.height,
                               bytesPerPixel: Int(babl_format_get_bytes_per_pixel(format)), format: formatName(format))
            try writeLayerFile(folder + "/" + job.file, job, from: r.result.buffer, format: format)
            manifest += job.line + "\n"
        }
        try writeWhole(folder + "/manifest", Array(manifest.utf8))
    } catch {
        removeJobFolder(folder)
        throw error
    }
    return folder
}

private func writeWhole(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw systemError("cannot create \(path)") }
    defer { close(fd) }
    try writeAll(fd, bytes, path)
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw systemError("cannot write \(path)") }
        done += n
    }
}

private func writeLayerFile(_ path: String, _ job: JobLayer, from buffer: OpaquePointer, format: OpaquePointer?) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw systemError("cannot create \(path)") }
    defer { close(fd) }
    let rowBytes = job.width * job.bytesPerPixel
    var strip = [UInt8](repeating: 0, count: rowBytes * min(stripRows, max(1, job.height)))
    var y = 0
    while y < job.height {
        let n = min(stripRows, job.height - y)
        var rect = GeglRectangle(x: 0, y: gint(y), width: gint(job.width), height: gint(n))
        strip.withUnsafeMutableBytes { gegl_buffer_get(buffer, &rect, 1.0, format, $0.baseAddress, gint(rowBytes), GEGL_ABYSS_NONE) }
        try writeAll(fd, Array(strip[0..<(rowBytes * n)]), path)
        y += n
    }
}

/// The commit process: `plug-in-srcnn-commit (run-mode, image, width, height, job)`. Never touches GIMP's
/// progress (a progress would give GIMP's Cancel a way to kill this process half-way). Returns the new image of a
/// new-image job (else nil).
func runCommit(_ param: UnsafePointer<GimpParam>, count: Int) throws -> gint32? {
    guard count == 5, let rawJob = param[4].data.d_string else {
        throw PluginError(message: "\(commitProcedure) takes 5 arguments (run-mode, image, width, height, job), got \(count)")
    }
    gegl_init(nil, nil)
    let image = param[1].data.d_image
    let newWidth = Int(param[2].data.d_int32), newHeight = Int(param[3].data.d_int32)
    // Only a folder this plug-in made, taken over under this process's id (a later run's clean-up then leaves it).
    let root = jobRoot(), given = String(cString: rawJob)
    let name = given.hasPrefix(root + "/") ? String(given.dropFirst(root.count + 1)) : ""
    guard name.hasPrefix("job-"), !name.contains("/"), name.split(separator: "-").count == 3 else {
        throw PluginError(message: "\(commitProcedure): '\(given)' is not a job folder of this plug-in")
    }
    let folder = root + "/commit-\(getpid())-" + name.split(separator: "-")[2]
    guard isRealFolder(given) else { throw PluginError(message: "\(commitProcedure): '\(given)' is not a job folder") }
    guard rename(given, folder) == 0 else { throw systemError("\(commitProcedure): cannot take over \(given)") }
    defer { removeJobFolder(folder) }
    let manifest: [UInt8]
    do { manifest = try readFileBytes(folder + "/manifest", limit: 1 << 24) } catch {
        throw PluginError(message: "\(commitProcedure): cannot read the job manifest: \(error)")
    }
    var lines = String(decoding: manifest, as: UTF8.self).split(separator: "\n")
    var target = JobTarget.resize
    if let first = lines.first, first.hasPrefix("new-image") {
        guard let t = JobTarget(line: first) else { throw PluginError(message: "\(commitProcedure): bad job target") }
        target = t
        lines.removeFirst()
    }
    var layers: [JobLayer] = []
    for line in lines {
        guard let l = JobLayer(line: line), gimp_item_is_valid(l.layer) != 0, gimp_item_get_image(l.layer) == image else {
            throw PluginError(message: "\(commitProcedure): the job does not match the image's layers")
        }
        layers.append(l)
    }
    guard gimp_image_is_valid(image) != 0, !layers.isEmpty else {
        throw PluginError(message: "\(commitProcedure): invalid image or empty job")
    }
    // Everything that can be checked before the image changes: each file complete, each layer still in the format
    // its result was computed for (a precision change in the meantime would make the bytes mean something else).
    for l in layers {
        var st = stat()
        guard stat(folder + "/" + l.file, &st) == 0, Int(st.st_size) == l.width * l.height * l.bytesPerPixel else {
            throw PluginError(message: "\(commitProcedure): the result of layer \(l.layer) is missing or incomplete")
        }
        guard formatName(gimp_drawable_get_format(l.layer)) == l.format else {
            throw PluginError(message: "a layer's pixel format changed while it was upscaled; nothing was changed")
        }
    }
    // GIMP's own scale would report to the bar the upscaling process just filled, starting it again from zero
    // (issue 11, bug 5): its progress comes here instead, and only counts (this process shows none).
    let absorbed = AbsorbedProgress()
    defer { absorbed.uninstall() }
    switch target {
    case .resize:
        gimp_image_undo_group_start(image)
        defer { gimp_image_undo_group_end(image) }
        try scaleImage(image, newWidth, newHeight)
        faultDelay()
        try write(layers, into: image, from: folder) { $0 }
        return nil
    case let .newImage(area, crop, display):
        return try makeNewImage(from: image, area: area, crop: crop, display: display, width: newWidth,
                                height: newHeight, layers: layers, folder: folder)
    }
}

/// Takes the progress of the procedures this process calls (libgimp's progress vtable: GIMP then calls these
/// functions, as temporary procedures of this process, while it waits for the call), so that they draw no bar.
private final class AbsorbedProgress {
    nonisolated(unsafe) static var updates = 0
    private var callback: UnsafePointer<gchar>?

    init() {
        var vtable = GimpProgressVtable()
        vtable.start = { _, _, _ in }
        vtable.end = { _ in }
        vtable.set_text = { _, _ in }
        vtable.set_value = { _, _ in AbsorbedProgress.updates += 1 }
        vtable.pulse = { _ in AbsorbedProgress.updates += 1 }
        callback = gimp_progress_install_vtable(&vtable, nil)
    }

    func uninstall() {
        if let callback {
            _ = gimp_progress_uninstall(callback)
            fputs("srcnn-upscale: commit: GIMP's own progress kept off the bar (\(AbsorbedProgress.updates) updates)\n",
                  stderr)
        }
        callback = nil
    }
}

/// `SRCNN_FAULT_COMMIT_DELAY_MS`: fault-injection tests widen the window a kill aims at.
private func faultDelay() {
    if let ms = getenv("SRCNN_FAULT_COMMIT_DELAY_MS").flatMap({ Int(String(cString: $0)) }), ms > 0 {
        usleep(useconds_t(min(ms, 60_000)) * 1000)
    }
}

/// A new image: a duplicate of `image` (its undo off while it is built), cropped to `area` when `crop`, scaled,
/// its copies of the job's layers written; shown when `display`. On a failure the duplicate is deleted.
private func makeNewImage(from image: gint32, area: PixelRect, crop: Bool, display: Bool, width: Int, height: Int,
                          layers: [JobLayer], folder: String) throws -> gint32 {
    // The duplicate's pixel layers stand in the same tree order as the original's.
    let originals = pixelLayers(of: image)
    let made = gimp_image_duplicate(image)
    guard made > 0 else { throw PluginError(message: "cannot duplicate the image") }
    var done = false
    defer { if !done { gimp_image_delete(made) } }
    _ = gimp_image_undo_disable(made)
    let copies = pixelLayers(of: made)
    guard copies.count == originals.count else { throw PluginError(message: "the duplicate's layers differ") }
    let copyOf = Dictionary(uniqueKeysWithValues: zip(originals, copies))
    if crop {
        guard gimp_image_crop(made, gint(area.width), gint(area.height), gint(area.x), gint(area.y)) != 0 else {
            throw PluginError(message: "cannot crop the new image to \(area.width)×\(area.height)")
        }
    }
    _ = gimp_selection_none(made)
    try scaleImage(made, width, height)
    faultDelay()
    try write(layers, into: made, from: folder) { copyOf[$0] ?? -1 }
    _ = gimp_image_undo_enable(made)
    // Without GIMP's interface (gimp-console) there is no display to show it in: the image is made all the same.
    if display, gimp_display_new(made) <= 0 {
        fputs("srcnn-upscale: new image \(made) made; GIMP has no display to show it in\n", stderr)
    }
    done = true
    return made
}

/// The job's layers into `image` (each into the layer `target` maps its id to), after a size check of them all.
private func write(_ layers: [JobLayer], into image: gint32, from folder: String,
                   target: (gint32) -> gint32) throws {
    for l in layers {
        let t = target(l.layer)
        guard gimp_item_is_valid(t) != 0, Int(gimp_drawable_width(t)) == l.width,
              Int(gimp_drawable_height(t)) == l.height else {
            throw PluginError(message: "a layer's scaled size differs from the expected one")
        }
    }
    // A resize does not depend on a selection (GIMP's Scale Image ignores it), but the shadow-buffer merge honours
    // it: set the (already scaled) selection aside for the writes and put it back, as Scale Image leaves it.
    let saved = gimp_selection_is_empty(image) == 0 ? gimp_selection_save(image) : -1
    if saved > 0 { _ = gimp_selection_none(image) }
    defer {
        if saved > 0 {
            _ = gimp_image_select_item(image, GIMP_CHANNEL_OP_REPLACE, saved)
            _ = gimp_image_remove_channel(image, saved)
        }
    }
    for l in layers { try writeLayer(l, into: target(l.layer), from: folder + "/" + l.file) }
}

/// One layer's file into its shadow buffer (raw bytes in the drawable's own format: no conversion), merged.
private func writeLayer(_ l: JobLayer, into layer: gint32, from path: String) throws {
    guard l.width > 0, l.height > 0 else { return }
    guard let shadow = gimp_drawable_get_shadow_buffer(layer) else { throw PluginError(message: "cannot write the drawable") }
    defer { g_object_unref(UnsafeMutableRawPointer(shadow)) }
    let format = gegl_buffer_get_format(shadow)
    guard Int(babl_format_get_bytes_per_pixel(format)) == l.bytesPerPixel, formatName(format) == l.format else {
        throw PluginError(message: "a layer's pixel format changed while it was upscaled")
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw systemError("cannot open \(path)") }
    defer { close(fd) }
    let rowBytes = l.width * l.bytesPerPixel
    var strip = [UInt8](repeating: 0, count: rowBytes * min(stripRows, l.height))
    var y = 0
    while y < l.height {
        let n = min(stripRows, l.height - y), want = rowBytes * n
        var got = 0
        while got < want {
            let r = strip.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, want - got) }
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { throw PluginError(message: "\(path) is shorter than its layer") }
            got += r
        }
        var rect = GeglRectangle(x: 0, y: gint(y), width: gint(l.width), height: gint(n))
        strip.withUnsafeBytes { gegl_buffer_set(shadow, &rect, 0, format, $0.baseAddress, gint(rowBytes)) }
        y += n
    }
    gegl_buffer_flush(shadow)
    gimp_drawable_merge_shadow(layer, 1)
    gimp_drawable_update(layer, 0, 0, gint(l.width), gint(l.height))
}
