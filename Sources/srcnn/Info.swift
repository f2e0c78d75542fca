// `srcnn info FILE`: what a weights file holds.
import ArgumentParser
import Foundation
import SRCNN
import SRCNNHost

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a weights file (.safetensors).")

    @Argument(help: "Weights file.") var file: String

    func run() throws {
        try reportingErrors {
            let net = try Network(contentsOf: file)
            print("file:              \(file)")
            print("architecture:      \(net.architecture)")
            print("layers:            \(net.layers.count)")
            for (i, l) in net.layers.enumerated() {
                let act = i == net.layers.count - 1 ? "linear" : "ReLU"
                print("  conv\(i + 1):           \(l.kernel)x\(l.kernel), \(l.inChannels) -> \(l.outChannels), \(act), \(l.parameterCount) params")
            }
            print("parameters:        \(net.parameterCount)")
            print("receptive field:   \(2 * net.receptiveRadius + 1)x\(2 * net.receptiveRadius + 1) (radius \(net.receptiveRadius))")
            print("FLOPs per pixel:   \(net.flopsPerPixel)")
            print("scale:             \(net.scale.map { String(format: "%g", $0) } ?? "not stated")")
            // Metadata is the file author's text: control characters (terminal escapes, line breaks that would
            // forge lines) are shown escaped, never sent to the terminal.
            for key in net.metadata.keys.sorted() where key != "scale" {
                let k = printable(key)
                print("\(k + ":")\(String(repeating: " ", count: max(1, 19 - k.count - 1)))\(printable(net.metadata[key]!))")
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
