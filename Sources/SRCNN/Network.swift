// Network: the SRCNN model as a chain of conv layers (ReLU between, linear last), and its checks.

/// One convolution layer. `weights` is laid out (out, in, kh, kw) as in PyTorch; kh == kw == `kernel`.
public struct ConvLayer: Equatable, Sendable {
    public var outChannels: Int
    public var inChannels: Int
    public var kernel: Int
    public var weights: [Float]
    public var bias: [Float]

    public init(outChannels: Int, inChannels: Int, kernel: Int, weights: [Float], bias: [Float]) {
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.weights = weights
        self.bias = bias
    }

    /// Half the kernel size: the replicate padding a 'same' layer adds per side.
    public var radius: Int { kernel / 2 }
    public var parameterCount: Int { weights.count + bias.count }
    /// Multiply-adds per output pixel.
    public var macsPerPixel: Int { outChannels * inChannels * kernel * kernel }

    @inlinable
    public func weight(_ o: Int, _ i: Int, _ r: Int, _ s: Int) -> Float {
        weights[((o * inChannels + i) * kernel + r) * kernel + s]
    }
}

/// A single-channel-in, single-channel-out stack of conv layers with ReLU between them.
public struct Network: Equatable, Sendable {
    public var layers: [ConvLayer]
    /// Free-text facts stored with the weights (`scale`, `architecture`, `colour`, training notes).
    public var metadata: [String: String]

    public init(layers: [ConvLayer], metadata: [String: String] = [:]) {
        self.layers = layers
        self.metadata = metadata
    }

    /// Pixels of context each output pixel sees on each side (4 + 2 + 2 = 8 for 9-5-5).
    public var receptiveRadius: Int { layers.reduce(0) { $0 + $1.radius } }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
    /// FLOPs per output pixel of the forward pass (2 per multiply-add).
    public var flopsPerPixel: Int { layers.reduce(0) { $0 + 2 * $1.macsPerPixel } }

    /// e.g. "9-5-5 (64/32)".
    public var architecture: String {
        let ks = layers.map { String($0.kernel) }.joined(separator: "-")
        let fs = layers.dropLast().map { String($0.outChannels) }.joined(separator: "/")
        return fs.isEmpty ? ks : "\(ks) (\(fs))"
    }

    /// The upscaling factor the weights were trained for, from metadata `scale` (e.g. "3").
    public var scale: Double? {
        metadata["scale"].flatMap { Double(Network.trimmingSpaces($0)) }
    }

    /// `s` without leading and trailing horizontal whitespace (tab and Unicode category Zs, as
    /// Foundation's `CharacterSet.whitespaces`).
    static func trimmingSpaces(_ s: String) -> Substring {
        func space(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
        let v = Substring(s).unicodeScalars
        guard let first = v.firstIndex(where: { !space($0) }), let last = v.lastIndex(where: { !space($0) }) else {
            return ""
        }
        return Substring(v[first...last])
    }

    /// Throws `SRCNNError.invalidWeights` with one line naming the first problem found.
    public func validate() throws {
        guard !layers.isEmpty else { throw SRCNNError.invalidWeights("no conv layers") }
        for (n, l) in layers.enumerated() {
            let name = "conv\(n + 1)"
            guard l.kernel > 0, l.kernel % 2 == 1 else {
                throw SRCNNError.invalidWeights("\(name) kernel is \(l.kernel)x\(l.kernel); kernels must be odd")
            }
            guard l.outChannels > 0, l.inChannels > 0 else {
                throw SRCNNError.invalidWeights("\(name) has \(l.outChannels) outputs and \(l.inChannels) inputs")
            }
            // The chain first: a wrong channel count explains a wrong weight count.
            let expectedIn = n == 0 ? 1 : layers[n - 1].outChannels
            guard l.inChannels == expectedIn else {
                throw SRCNNError.invalidWeights(n == 0
                    ? "conv1 takes \(l.inChannels) input channels; SRCNN takes 1 (Y)"
                    : "\(name) takes \(l.inChannels) channels but conv\(n) gives \(expectedIn)")
            }
            // Overflow-checked: a hand-built layer with absurd sizes must fail here, not trap.
            let (oi, o1) = l.outChannels.multipliedReportingOverflow(by: l.inChannels)
            let (kk, o2) = l.kernel.multipliedReportingOverflow(by: l.kernel)
            let (expected, o3) = oi.multipliedReportingOverflow(by: kk)
            guard !o1, !o2, !o3, l.weights.count == expected else {
                throw SRCNNError.invalidWeights("\(name)_w holds \(l.weights.count) values, expected \(l.outChannels)x\(l.inChannels)x\(l.kernel)x\(l.kernel)")
            }
            guard l.bias.count == l.outChannels else {
                throw SRCNNError.invalidWeights("\(name)_b holds \(l.bias.count) values, expected \(l.outChannels)")
            }
            if let bad = l.weights.firstIndex(where: { !$0.isFinite }) {
                throw SRCNNError.invalidWeights("\(name)_w[\(bad)] is \(l.weights[bad]) (not finite)")
            }
            if let bad = l.bias.firstIndex(where: { !$0.isFinite }) {
                throw SRCNNError.invalidWeights("\(name)_b[\(bad)] is \(l.bias[bad]) (not finite)")
            }
        }
        guard layers.last!.outChannels == 1 else {
            throw SRCNNError.invalidWeights("conv\(layers.count) gives \(layers.last!.outChannels) channels; SRCNN ends in 1 (Y)")
        }
    }

    /// A randomly initialised network (He-normal weights, zero bias), deterministic for a seed.
    /// `kernels` e.g. [9, 5, 5], `filters` e.g. [64, 32].
    public static func random(kernels: [Int], filters: [Int], seed: UInt64) -> Network {
        precondition(filters.count == kernels.count - 1, "need one filter count per hidden layer")
        var rng = SplitMix64(seed: seed)
        var layers: [ConvLayer] = []
        var cin = 1
        for (i, k) in kernels.enumerated() {
            let cout = i < filters.count ? filters[i] : 1
            let fanIn = Double(cin * k * k)
            let std = (2.0 / fanIn).squareRoot()
            let w = (0..<(cout * cin * k * k)).map { _ in Float(rng.nextGaussian() * std) }
            layers.append(ConvLayer(outChannels: cout, inChannels: cin, kernel: k, weights: w,
                                    bias: [Float](repeating: 0, count: cout)))
            cin = cout
        }
        return Network(layers: layers)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable generator (SplitMix64) so runs are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// Standard normal (Box-Muller).
    public mutating func nextGaussian() -> Double {
        let u1 = max(nextUniform(), 1e-300), u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
