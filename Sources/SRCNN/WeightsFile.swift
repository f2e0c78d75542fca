// WeightsFile: Network <-> safetensors bytes (conv1_w (out, in, k, k), conv1_b (out), conv2_w, ...; metadata kept).
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Network {
    /// Reads a network from safetensors bytes and validates it.
    /// Layers are `conv1_w`/`conv1_b`, `conv2_w`/`conv2_b`, ... numbered from 1 with no gaps;
    /// other tensors are ignored. F32, F16, BF16 and F64 tensors are accepted.
    public init(safetensors bytes: [UInt8]) throws {
        let file = try Safetensors(bytes: bytes)
        var highest = 0
        for name in file.tensors.keys {
            if let i = Network.convIndex(name) { highest = max(highest, i) }
        }
        guard highest > 0 else { throw SRCNNError.invalidWeights("conv1_w missing (no conv layers)") }
        var layers: [ConvLayer] = []
        for i in 1...highest {
            let wName = "conv\(i)_w", bName = "conv\(i)_b"
            guard let w = file.tensors[wName] else {
                throw SRCNNError.invalidWeights(i == highest ? "\(wName) missing" : "\(wName) missing (conv\(highest) present)")
            }
            guard let b = file.tensors[bName] else { throw SRCNNError.invalidWeights("\(bName) missing") }
            guard w.shape.count == 4 else {
                throw SRCNNError.invalidWeights("\(wName) has shape \(w.shape); expected 4-D (out, in, kh, kw)")
            }
            guard w.shape[2] == w.shape[3] else {
                throw SRCNNError.invalidWeights("\(wName) kernel is \(w.shape[2])x\(w.shape[3]); kernels must be square")
            }
            guard b.shape == [w.shape[0]] else {
                throw SRCNNError.invalidWeights("\(bName) has shape \(b.shape); expected [\(w.shape[0])] to match \(wName)")
            }
            layers.append(ConvLayer(outChannels: w.shape[0], inChannels: w.shape[1], kernel: w.shape[2],
                                    weights: try file.floats(wName), bias: try file.floats(bName)))
        }
        self.init(layers: layers, metadata: file.metadata)
        try validate()
        try file.checkLayout()
    }

    /// The network as a safetensors file: F32 tensors in sorted order, `metadata` as `__metadata__`.
    public func safetensorsBytes() -> [UInt8] {
        var tensors: [String: Safetensors.Tensor] = [:]
        for (n, l) in layers.enumerated() {
            tensors["conv\(n + 1)_w"] = .init(shape: [l.outChannels, l.inChannels, l.kernel, l.kernel], values: l.weights)
            tensors["conv\(n + 1)_b"] = .init(shape: [l.outChannels], values: l.bias)
        }
        return Safetensors.encode(tensors, metadata: metadata)
    }

    /// `conv<i>_w` / `conv<i>_b` with i >= 1 and no leading zeros -> i.
    static func convIndex(_ name: String) -> Int? {
        guard name.hasPrefix("conv"), name.hasSuffix("_w") || name.hasSuffix("_b") else { return nil }
        let digits = name.dropFirst(4).dropLast(2)
        guard !digits.isEmpty, digits.count <= 9, digits.first != "0",
              digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return Int(digits)
    }
}
