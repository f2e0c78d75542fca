// The interactive dialog (GTK2, in the C target SRCNNGimpUI). Without a display GIMP cannot show it:
// the plug-in then runs with the last values (or the defaults) instead of aborting.
import CGimp
import Glibc
import SRCNN
import SRCNNGimpUI
import SRCNNHost
import SRCNNPluginCore

/// The shipped models the dialog lists, SRCNN first, each with what it is ("SRCNN 9-5-5 ×2", "FSRCNN ×3 — fast").
func dialogModels() -> [(path: String, label: String)] {
    ShippedWeights.find(in: weightsFolders()).map { ($0.path, "SRCNN 9-5-5 ×\(formatG($0.scale))") }
        + ShippedWeights.find(in: weightsFolders(), family: .fsrcnn).map { ($0.path, "FSRCNN ×\(formatG($0.scale)) — fast") }
}

/// The user's choice, nil when cancelled.
func showDialog(_ settings: Settings, image: gint32, drawable: gint32) throws -> Settings? {
    var values = SRCNNDialogValues()
    PreviewController.current = PreviewController(image: image, drawable: drawable)
    defer { PreviewController.current = nil }
    values.preview_start = { request, rect, message, size in
        guard let q = request?.pointee, let controller = PreviewController.current, let rect else { return 0 }
        var s = Settings()
        s.scale = q.scale
        s.weights = q.weights.map { String(cString: $0) } ?? ""
        s.output = OutputMode(rawValue: Int(q.output)) ?? .resize
        s.allLayers = q.all_layers != 0
        if q.exact != 0 { (s.exactWidth, s.exactHeight) = (Int(q.out_width), Int(q.out_height)) }
        do {
            let r = try controller.start(settings: s, outWidth: Int(q.out_width), outHeight: Int(q.out_height),
                                         cx: q.center_x, cy: q.center_y, pw: Int(q.view_width), ph: Int(q.view_height))
            for (i, v) in [r.x, r.y, r.w, r.h, r.layerWidth, r.layerHeight].enumerated() { rect[i] = Int32(v) }
            return r.id
        } catch {
            copyMessage(error, into: message, size: size)
            return 0
        }
    }
    values.preview_poll = { id, upscaled, bicubic, message, size in
        guard let controller = PreviewController.current, let r = controller.poll(id) else { return 0 }
        switch r {
        case .success(let pixels):
            pixels.upscaled.withUnsafeBufferPointer { upscaled?.update(from: $0.baseAddress!, count: $0.count) }
            pixels.bicubic.withUnsafeBufferPointer { bicubic?.update(from: $0.baseAddress!, count: $0.count) }
            copyText(pixels.estimate, into: message, size: size)
            return 1
        case .failure(SRCNNError.cancelled):
            return 0
        case .failure(let error):
            copyMessage(error, into: message, size: size)
            return -1
        }
    }
    values.preview_finish = { PreviewController.current?.finish() }
    values.scale = settings.scale
    values.all_layers = settings.allLayers ? 1 : 0
    values.output = Int32(settings.output.rawValue)
    values.exact_width = Int32(clamping: settings.exactWidth)
    values.exact_height = Int32(clamping: settings.exactHeight)
    // A new image is made of the selection's bounding box, when there is a selection.
    let selection = selectionBounds(image)
    values.scaled_side = { side, scale in Int32(SizeRule.side(Int(side), scale: scale)) }
    values.nearest_model = { scale in
        guard let path = ShippedWeights.nearest(to: scale, in: weightsFolders()) else { return -1 }
        return Int32(dialogModels().firstIndex { $0.path == path } ?? -1)
    }
    values.fast_model = { scale in
        guard let path = try? ShippedWeights.resolve(nil, family: .fsrcnn, scale: scale, folders: weightsFolders())
        else { return -1 }
        return Int32(dialogModels().firstIndex { $0.path == path } ?? -1)
    }
    values.has_photo = { fast in
        let model = ShippedModel(fast != 0 ? .fsrcnn : .srcnn, photo: true)
        return ShippedWeights.find(in: weightsFolders(), model: model).isEmpty ? 0 : 1
    }
    let jpeg = loadedFromJPEG(image)
    values.photo = (jpeg ? settings.photoForJPEG : settings.photoForOther) ? 1 : 0
    withUnsafeMutableBytes(of: &values.weights) { buf in
        let bytes = Array(settings.weights.utf8.prefix(buf.count - 1))
        buf.copyBytes(from: bytes + [0])
    }
    let models = dialogModels()
    var paths = models.map { strdup($0.path) }, labels = models.map { strdup($0.label) }
    defer { (paths + labels).forEach { free($0) } }
    let result = paths.withUnsafeMutableBufferPointer { p in
        labels.withUnsafeMutableBufferPointer { l in
            p.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, p.count)) { cp in
                l.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, l.count)) { cl in
                    srcnn_dialog_run(&values, gimp_image_width(image), gimp_image_height(image),
                                     Int32(selection?.width ?? 0), Int32(selection?.height ?? 0), cp, cl,
                                     Int32(models.count))
                }
            }
        }
    }
    switch result {
    case -1: return settings          // no display: fall back to the last values
    case 0: return nil
    default:
        var chosen = settings
        chosen.scale = values.scale
        if jpeg { chosen.photoForJPEG = values.photo != 0 } else { chosen.photoForOther = values.photo != 0 }
        chosen.allLayers = values.all_layers != 0
        chosen.output = OutputMode(rawValue: Int(values.output)) ?? .resize
        chosen.exactWidth = Int(values.exact_width)
        chosen.exactHeight = Int(values.exact_height)
        chosen.weights = withUnsafeBytes(of: &values.weights) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        return chosen
    }
}

/// Whether GIMP says `image` was loaded from a JPEG file (its imported file, else its own file name).
func loadedFromJPEG(_ image: gint32) -> Bool {
    var name = ""
    if let uri = gimp_image_get_imported_uri(image) { name = String(cString: uri); g_free(uri) }
    else if let file = gimp_image_get_filename(image) { name = String(cString: file); g_free(file) }
    let lower = name.lowercased()
    return [".jpg", ".jpeg", ".jpe", ".jfif"].contains { lower.hasSuffix($0) }
}

/// An error's text (a plug-in error's message as is) into a C buffer of `size` bytes.
private func copyMessage(_ error: Error, into buffer: UnsafeMutablePointer<CChar>?, size: Int32) {
    copyText((error as? PluginError)?.message ?? "\(error)", into: buffer, size: size)
}

private func copyText(_ text: String, into buffer: UnsafeMutablePointer<CChar>?, size: Int32) {
    guard let buffer, size > 0 else { return }
    let bytes = Array(text.utf8.prefix(Int(size) - 1))
    for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
    buffer[bytes.count] = 0
}
