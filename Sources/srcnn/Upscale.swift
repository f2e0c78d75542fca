// `srcnn upscale IN OUT` (or several inputs / folders into an output folder): bicubic to the target size, SRCNN on
// Y, written with IN's bit depth and alpha.
import ArgumentParser
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import Dispatch

struct Upscale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upscale an image file (PNG, JPEG, TIFF, WebP, BMP...; 8/16/32-bit; alpha, ICC profile and EXIF kept).")

    @Argument(help: ArgumentHelp(
        "Input image, then the output image (the format follows its extension: .png, .tif, .jpg, .webp).",
        discussion: "Batch: several inputs or input folders (their images, in name order), then an output folder "
            + "(made if missing). Each result keeps its input's name, in --format or its input's format (png for "
            + "formats we do not write); a file that fails is reported and the rest go on; the last line counts "
            + "what succeeded and failed, and the exit status is 1 if anything failed. One output that is an "
            + "existing folder or ends in / is a batch too.",
        valueName: "paths"))
    var paths: [String] = []
    @Option(help: "Output format of a batch: png, jpg, tif or webp (default: each input's own).") var format: String?
    @Option(parsing: .unconditional,
            help: "Scale factor (1 to 8; default 2 unless --width/--height are given); sides round to the nearest pixel.")
    var scale: Double?
    @Option(help: "Exact output width in pixels (alone: height follows the aspect ratio).") var width: Int?
    @Option(help: "Exact output height in pixels (alone: width follows the aspect ratio).") var height: Int?
    @Option(help: ArgumentHelp("Shipped model: srcnn (SRCNN 9-5-5, the default) or fsrcnn (FSRCNN, faster); "
                               + "srcnn-photo, fsrcnn-photo: trained on JPEG and noisy input, where shipped.",
                               discussion: "FSRCNN runs at its native scale (2, 3 or 4) and other factors (x1.5, an "
                               + "exact 1000x750) run the nearest native scale at or above the factor, then MATLAB "
                               + "bicubic down to the exact size."))
    var model: String?
    @Option(help: "Weights file (.safetensors, either family); default: the shipped --model for the scale.")
    var weights: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if paths.count < 2 { throw ValidationError("give an input and an output (or inputs and an output folder)") }
        if let f = format, !Self.formats.contains(f.lowercased()) {
            throw ValidationError("--format must be one of png, jpg, tif, webp; got \(f)")
        }
        if model != nil && weights != nil { throw ValidationError("give either --model or --weights, not both") }
        if scale != nil && (width != nil || height != nil) {
            throw ValidationError("give either --scale or --width/--height, not both")
        }
        if let s = scale, !SizeRule.scaleRange.contains(s) {
            throw ValidationError("--scale must be between 1 and 8, got \(formatScale(s))")
        }
        if let w = width, w < 1 { throw ValidationError("--width must be positive") }
        if let h = height, h < 1 { throw ValidationError("--height must be positive") }
    }

    /// Formats a batch can write (`--format`), and the extensions of the inputs whose own format is kept.
    static let formats: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff", "webp"]

    func run() throws {
        // Ctrl-C / kill: remove the half-written temporary file, leave any existing output as it was.
        let signals = interruptHandlers()
        defer { signals.forEach { $0.cancel() } }
        let inputs = Array(paths.dropLast()), output = paths.last!
        var isFolder: ObjCBool = false
        let outIsFolder = FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) && isFolder.boolValue
        let inIsFolder = FileManager.default.fileExists(atPath: inputs[0], isDirectory: &isFolder) && isFolder.boolValue
        if inputs.count == 1 && !inIsFolder && !outIsFolder && !output.hasSuffix("/") {
            try reportingErrors {
                let bar = ProgressLine("upscale", quiet: common.quiet)
                let (label, path) = try upscale(inputs[0], to: output, bar: bar, progress: bar.handler)
                bar.finish(label, "(\(URL(fileURLWithPath: path).lastPathComponent))")
            }
        } else {
            try batch(inputs, into: output)
        }
    }

    /// One file; returns the progress label ("upscale WxH -> WxH") and the weights file used.
    private func upscale(_ input: String, to output: String, bar: ProgressLine? = nil,
                         progress: @escaping ProgressHandler) throws -> (String, String) {
        let inURL = URL(fileURLWithPath: input).resolvingSymlinksInPath().standardized
        let outURL = URL(fileURLWithPath: output).resolvingSymlinksInPath().standardized
        if inURL.path == outURL.path {
            throw SRCNNError.invalidArgument("refusing to overwrite the input '\(input)'; choose another output file")
        }
        let reader = try ImageReader(path: input)
        let (w, h) = try targetSize(reader.width, reader.height)
        try SizeRule.checkOutput(width: w, height: h)
        let sx = Double(w) / Double(reader.width), sy = Double(h) / Double(reader.height)
        let path = try Models.resolve(weights, model: model, scale: max(1, sx, sy))
        let weightsModel = try SRModel(contentsOf: path)
        let label = "upscale \(reader.width)x\(reader.height) -> \(w)x\(h)"
        bar?.rename(label)
        // Streamed: the encoder pulls output rows, the upscaler pulls the input rows they need.
        let stream = try weightsModel.bands(source: reader, width: w, height: h, options: common.forwardOptions,
                                            progress: progress)
        try ImageFile.write(to: output, width: w, height: h, channels: reader.channels, depth: reader.depth,
                            metadata: reader, scale: (sx, sy), rows: stream.rows)
        return (label, path)
    }

    /// Several inputs (files, or folders of images) into the folder `folder`: each failure is reported and the rest
    /// go on; one progress line for the whole batch and a closing count; exit status 1 if anything failed.
    private func batch(_ inputs: [String], into folder: String) throws {
        var files: [String] = []
        try reportingErrors {
            for input in inputs {
                var dir: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: input, isDirectory: &dir)
                files += exists && dir.boolValue ? try ImageFolders.list(input) : [input]
            }
            try makeFolder(folder)
        }
        // A result must never replace an input of the same batch (a.bmp -> in/a.png while in/a.png waits its turn).
        func resolved(_ p: String) -> String { URL(fileURLWithPath: p).resolvingSymlinksInPath().standardized.path }
        let inputPaths = Set(files.map(resolved))
        var planned: [String: String] = [:], failed = 0
        let bar = ProgressLine("upscale \(files.count) files -> \(folder)", quiet: common.quiet)
        for (i, file) in files.enumerated() {
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            let ext = URL(fileURLWithPath: file).pathExtension.lowercased()
            let out = folder + (folder.hasSuffix("/") ? "" : "/") + name + "."
                + (format?.lowercased() ?? (Self.formats.contains(ext) ? ext : "png"))
            do {
                if inputPaths.contains(resolved(out)) {
                    throw SRCNNError.invalidArgument("its result \(out) would replace an input of this batch")
                }
                if let first = planned[out] {
                    throw SRCNNError.invalidArgument("its result \(out) would replace the result of \(first)")
                }
                planned[out] = file
                let n = Double(files.count)
                _ = try upscale(file, to: out) { f in bar.update((Double(i) + f) / n) }
            } catch {
                failed += 1
                bar.interrupt("srcnn: error: \(file): \(error)")
            }
        }
        bar.finish("\(files.count - failed) succeeded, \(failed) failed")
        if common.quiet { printErr("srcnn: \(files.count - failed) succeeded, \(failed) failed") }
        if failed > 0 { throw ExitCode(1) }
    }

    /// mkdir -p, before any work; a failure names the folder and the reason.
    private func makeFolder(_ folder: String) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw SRCNNError.io("cannot create the output folder '\(folder)': \(error.localizedDescription)")
        }
        guard access(folder, W_OK) == 0 else { throw SRCNNError.io("the output folder '\(folder)' is not writable") }
    }

    /// SIGINT/SIGTERM/SIGHUP: remove temporaries being written, then exit 130.
    private func interruptHandlers() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                AtomicFile.removeTemporaries()
                printErr("srcnn: interrupted; no output written")
                Foundation.exit(130)
            }
            s.resume()
            return s
        }
    }

    private func targetSize(_ iw: Int, _ ih: Int) throws -> (Int, Int) {
        if width != nil || height != nil {
            return SizeRule.size(width: iw, height: ih, targetWidth: width, targetHeight: height)
        }
        return try SizeRule.size(width: iw, height: ih, scale: scale ?? 2)
    }
}

/// A scale as typed (2 rather than 2.0).
func formatScale(_ s: Double) -> String { s == s.rounded() && abs(s) < 1e15 ? String(Int(s)) : String(s) }
