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
        if let family = file.metadata["family"].map({ String(Network.trimmingSpaces($0)).lowercased() }),
           family != "srcnn" {
            throw SRCNNError.invalidWeights("these are \(family) weights, not SRCNN (metadata family '\(family)')")
        }
        self.init(layers: try Network.convLayers(file), metadata: file.metadata)
        try validate()
        try file.checkLayout()
    }

    /// `conv1_w`/`conv1_b`, `conv2_w`/`conv2_b`, ... (numbered from 1, no gaps), shapes checked.
    static func convLayers(_ file: Safetensors) throws -> [ConvLayer] {
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
        return layers
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

extension FSRCNN {
    /// Reads FSRCNN weights: `conv<i>_w` (out, in, k, k) / `conv<i>_b` / `prelu<i>` (out) for the body from 1 with
    /// no gaps, `deconv_w` (d, 1, k, k) and `deconv_b` (1); `__metadata__` `family` = `fsrcnn` and `scale` = the
    /// deconvolution's stride (an integer 2...8). Other tensors are ignored.
    public init(safetensors bytes: [UInt8]) throws {
        try self.init(file: try Safetensors(bytes: bytes))
    }

    init(file: Safetensors) throws {
        let convs = try Network.convLayers(file)
        var slopes: [[Float]] = []
        for i in 1...convs.count {
            let name = "prelu\(i)"
            guard let t = file.tensors[name] else {
                throw SRCNNError.invalidWeights("\(name) missing (the PReLU slopes after conv\(i))")
            }
            guard t.shape == [convs[i - 1].outChannels] else {
                throw SRCNNError.invalidWeights("\(name) has shape \(t.shape); expected [\(convs[i - 1].outChannels)] "
                                                + "to match conv\(i)_w")
            }
            slopes.append(try file.floats(name))
        }
        guard let w = file.tensors["deconv_w"] else { throw SRCNNError.invalidWeights("deconv_w missing") }
        guard let b = file.tensors["deconv_b"] else { throw SRCNNError.invalidWeights("deconv_b missing") }
        guard w.shape.count == 4, w.shape[1] == 1, w.shape[2] == w.shape[3] else {
            throw SRCNNError.invalidWeights("deconv_w has shape \(w.shape); expected (d, 1, k, k)")
        }
        guard b.shape == [1] else { throw SRCNNError.invalidWeights("deconv_b has shape \(b.shape); expected [1]") }
        let scaleText = file.metadata["scale"].map { String(Network.trimmingSpaces($0)) }
        guard let st = scaleText, let scale = Int(st) else {
            throw SRCNNError.invalidWeights("FSRCNN weights need an integer metadata scale (the deconvolution stride), got "
                                            + (scaleText.map { "'\($0)'" } ?? "none"))
        }
        let deconv = ConvLayer(outChannels: 1, inChannels: w.shape[0], kernel: w.shape[2],
                               weights: try file.floats("deconv_w"), bias: try file.floats("deconv_b"))
        // The metadata as it is written back (family and scale spelled one way), so a file re-encodes to itself.
        var metadata = file.metadata
        metadata["family"] = FSRCNN.family
        metadata["scale"] = String(scale)
        self.init(body: convs, slopes: slopes, deconv: deconv, scale: scale, metadata: metadata)
        try validate()
        try file.checkLayout()
    }

    /// The model as a safetensors file (F32, `metadata` with `family` and `scale` set).
    public func safetensorsBytes() -> [UInt8] {
        var tensors: [String: Safetensors.Tensor] = [:]
        for (n, l) in body.enumerated() {
            tensors["conv\(n + 1)_w"] = .init(shape: [l.outChannels, l.inChannels, l.kernel, l.kernel], values: l.weights)
            tensors["conv\(n + 1)_b"] = .init(shape: [l.outChannels], values: l.bias)
            tensors["prelu\(n + 1)"] = .init(shape: [l.outChannels], values: slopes[n])
        }
        tensors["deconv_w"] = .init(shape: [deconv.inChannels, 1, deconv.kernel, deconv.kernel], values: deconv.weights)
        tensors["deconv_b"] = .init(shape: [1], values: deconv.bias)
        var md = metadata
        md["family"] = FSRCNN.family
        md["scale"] = String(scale)
        return Safetensors.encode(tensors, metadata: md)
    }
}

/// The model families the engine runs.
public enum ModelFamily: String, Codable, Sendable, CaseIterable {
    case srcnn, fsrcnn
}

/// Weights of any family the engine runs, read through one entry point: the safetensors `__metadata__` `family`
/// names it (`srcnn`, `fsrcnn`); files without one are SRCNN (every existing file, ours and the authors').
public enum SRModel: Equatable, Sendable {
    case srcnn(Network)
    case fsrcnn(FSRCNN)

    public init(safetensors bytes: [UInt8]) throws {
        let file = try Safetensors(bytes: bytes)
        let family = file.metadata["family"].map { String(Network.trimmingSpaces($0)).lowercased() } ?? "srcnn"
        switch family {
        case "srcnn": self = .srcnn(try Network(safetensors: bytes))
        case FSRCNN.family: self = .fsrcnn(try FSRCNN(file: file))
        default:
            throw SRCNNError.invalidWeights("unknown model family '\(family)' in the metadata (this version runs "
                                            + "srcnn and fsrcnn)")
        }
    }

    public var metadata: [String: String] {
        switch self {
        case .srcnn(let n): return n.metadata
        case .fsrcnn(let f): return f.metadata
        }
    }

    public var familyName: String {
        switch self {
        case .srcnn: return "srcnn"
        case .fsrcnn: return FSRCNN.family
        }
    }

    /// e.g. "SRCNN 9-5-5 (64/32)", "FSRCNN(56,12,4) x3".
    public var description: String {
        switch self {
        case .srcnn(let n): return "SRCNN \(n.architecture)"
        case .fsrcnn(let f): return f.architecture
        }
    }

    /// The factor the weights were made for (metadata `scale`; FSRCNN's deconvolution stride).
    public var scale: Double? {
        switch self {
        case .srcnn(let n): return n.scale
        case .fsrcnn(let f): return Double(f.scale)
        }
    }

    public func safetensorsBytes() -> [UInt8] {
        switch self {
        case .srcnn(let n): return n.safetensorsBytes()
        case .fsrcnn(let f): return f.safetensorsBytes()
        }
    }
}
