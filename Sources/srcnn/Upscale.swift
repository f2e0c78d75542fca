// `srcnn upscale IN OUT`: bicubic to the target size, SRCNN on Y, written with IN's bit depth and alpha.
import ArgumentParser
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import Dispatch

struct Upscale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upscale an image file (PNG, JPEG, TIFF, WebP, BMP...; 8/16/32-bit; alpha, ICC profile and EXIF kept).")

    @Argument(help: "Input image.") var input: String
    @Argument(help: "Output image; the format follows the extension (.png, .tif, .jpg, .webp).") var output: String
    @Option(parsing: .unconditional,
            help: "Scale factor (1 to 8; default 2 unless --width/--height are given); sides round to the nearest pixel.")
    var scale: Double?
    @Option(help: "Exact output width in pixels (alone: height follows the aspect ratio).") var width: Int?
    @Option(help: "Exact output height in pixels (alone: width follows the aspect ratio).") var height: Int?
    @Option(help: ArgumentHelp("Shipped model: srcnn (SRCNN 9-5-5, the default) or fsrcnn (FSRCNN, faster).",
                               discussion: "FSRCNN runs at its native scale (2, 3 or 4) and other factors (x1.5, an "
                               + "exact 1000x750) run the nearest native scale at or above the factor, then MATLAB "
                               + "bicubic down to the exact size."))
    var model: String?
    @Option(help: "Weights file (.safetensors, either family); default: the shipped --model for the scale.")
    var weights: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
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

    func run() throws {
        try reportingErrors {
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
            let bar = ProgressLine("upscale \(reader.width)x\(reader.height) -> \(w)x\(h)", quiet: common.quiet)
            // Ctrl-C / kill: remove the half-written temporary file, leave any existing output as it was.
            let signals = interruptHandlers()
            defer { signals.forEach { $0.cancel() } }
            // Streamed: the encoder pulls output rows, the upscaler pulls the input rows they need.
            let stream = try weightsModel.bands(source: reader, width: w, height: h, options: common.forwardOptions,
                                                progress: bar.handler)
            try ImageFile.write(to: output, width: w, height: h, channels: reader.channels, depth: reader.depth,
                                metadata: reader, scale: (sx, sy), rows: stream.rows)
            bar.finish("(\(URL(fileURLWithPath: path).lastPathComponent))")
        }
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
