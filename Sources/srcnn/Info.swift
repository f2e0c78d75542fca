// `srcnn info FILE`: what a weights file holds (either family).
import ArgumentParser
import Foundation
import SRCNN
import SRCNNHost

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a weights file (.safetensors).")

    @Argument(help: "Weights file.") var file: String

    func run() throws {
        try reportingErrors {
            let model = try SRModel(contentsOf: file)
            print("file:              \(file)")
            print("family:            \(model.familyName)")
            print("architecture:      \(model.description)")
            switch model {
            case .srcnn(let net):
                print("layers:            \(net.layers.count)")
                for (i, l) in net.layers.enumerated() {
                    let act = i == net.layers.count - 1 ? "linear" : "ReLU"
                    print("  conv\(i + 1):           \(l.kernel)x\(l.kernel), \(l.inChannels) -> \(l.outChannels), \(act), \(l.parameterCount) params")
                }
                print("runs on:           the bicubic-upscaled image (same size in and out)")
                print("parameters:        \(net.parameterCount)")
                print("receptive field:   \(2 * net.receptiveRadius + 1)x\(2 * net.receptiveRadius + 1) (radius \(net.receptiveRadius))")
                print("FLOPs per pixel:   \(net.flopsPerPixel)")
            case .fsrcnn(let m):
                print("layers:            \(m.body.count + 1)")
                for (i, l) in m.body.enumerated() {
                    print("  conv\(i + 1):           \(l.kernel)x\(l.kernel), \(l.inChannels) -> \(l.outChannels), PReLU, \(l.parameterCount + l.outChannels) params")
                }
                let d = m.deconv
                print("  deconv:          \(d.kernel)x\(d.kernel) transposed, stride \(m.scale), \(d.inChannels) -> 1, linear, \(d.parameterCount) params")
                print("runs on:           the low-resolution image (x\(m.scale) out)")
                print("parameters:        \(m.parameterCount)")
                let perOut = Double(2 * m.macsPerInputPixel) / Double(m.scale * m.scale)
                print("FLOPs per pixel:   \(Int(perOut.rounded())) (per output pixel; \(2 * m.macsPerInputPixel) per input pixel)")
            }
            print("scale:             \(model.scale.map { String(format: "%g", $0) } ?? "not stated")")
            let metadata = model.metadata
            // Metadata is the file author's text: control characters (terminal escapes, line breaks that would
            // forge lines) are shown escaped, never sent to the terminal.
            for key in metadata.keys.sorted() where key != "scale" && key != "family" {
                let k = printable(key)
                print("\(k + ":")\(String(repeating: " ", count: max(1, 19 - k.count - 1)))\(printable(metadata[key]!))")
            }
        }
    }
}

/// `text` with control characters (C0, DEL, C1) and bidirectional overrides as `\u{XX}` escapes.
func printable(_ text: String) -> String {
    var out = ""
    for u in text.unicodeScalars {
        let v = u.value
        if v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
            out += "\\u{" + String(v, radix: 16, uppercase: true) + "}"
        } else {
            out.unicodeScalars.append(u)
        }
    }
    return out
}
