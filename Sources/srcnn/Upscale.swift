// `srcnn upscale IN OUT`: bicubic to the target size, SRCNN on Y, written with IN's bit depth and alpha.
import ArgumentParser
import Foundation
import SRCNN
import SRCNNImageIO

struct Upscale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upscale an image file (PNG, JPEG, TIFF, BMP; 8/16/32-bit; alpha kept).")

    @Argument(help: "Input image.") var input: String
    @Argument(help: "Output image; the format follows the extension (.png, .tif, .jpg).") var output: String
    @Option(help: "Scale factor (1 to 8; default 2 unless --width/--height are given).") var scale: Double?
    @Option(help: "Exact output width in pixels (alone: height follows the aspect ratio).") var width: Int?
    @Option(help: "Exact output height in pixels (alone: width follows the aspect ratio).") var height: Int?
    @Option(help: "Weights (.safetensors); default: the shipped model nearest the scale.") var weights: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if scale != nil && (width != nil || height != nil) {
            throw ValidationError("give either --scale or --width/--height, not both")
        }
        if let s = scale, !(s >= 1 && s <= 8) { throw ValidationError("--scale must be between 1 and 8, got \(s)") }
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
            var image = try ImageFile.load(input)
            let (w, h) = targetSize(image.width, image.height)
            guard w <= 65_536, h <= 65_536 else {
                throw SRCNNError.invalidArgument("target size \(w)x\(h) is too large (max 65536 per side)")
            }
            let effective = max(Double(w) / Double(image.width), Double(h) / Double(image.height))
            let path = try Models.resolve(weights, scale: max(1, effective))
            let net = try Network(contentsOf: path)
            let upscaler = Upscaler(network: net, options: common.forwardOptions)
            let bar = ProgressLine("upscale \(image.width)x\(image.height) -> \(w)x\(h)", quiet: common.quiet)
            let cancel = CancelFlag()
            var planes = image.planes
            image.planes = []
            let out = try upscaler.upscale(&planes, width: w, height: h, progress: bar.handler, cancel: cancel)
            try ImageFile.save(RasterImage(width: w, height: h, planes: out, depth: image.depth), to: output)
            bar.finish("(\(URL(fileURLWithPath: path).lastPathComponent))")
        }
    }

    private func targetSize(_ iw: Int, _ ih: Int) -> (Int, Int) {
        switch (width, height) {
        case let (w?, h?): return (w, h)
        case let (w?, nil): return (w, max(1, Int((Double(ih) * Double(w) / Double(iw)).rounded())))
        case let (nil, h?): return (max(1, Int((Double(iw) * Double(h) / Double(ih)).rounded())), h)
        case (nil, nil):
            let s = scale ?? 2
            return (Int((Double(iw) * s).rounded(.up)), Int((Double(ih) * s).rounded(.up)))
        }
    }
}
