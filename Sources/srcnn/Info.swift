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
            for key in net.metadata.keys.sorted() where key != "scale" {
                print("\(key + ":")\(String(repeating: " ", count: max(1, 19 - key.count - 1)))\(net.metadata[key]!)")
            }
        }
    }
}
