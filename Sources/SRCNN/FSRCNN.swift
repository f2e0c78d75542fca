// FSRCNN (Dong, Loy, Tang, ECCV 2016): convolutions with PReLU on the low-resolution Y, a transposed convolution out.

/// FSRCNN(d, s, m) and kin: `body` convolutions, each followed by a PReLU with per-channel `slopes`, on the
/// low-resolution grid (replicate padding per layer, as SRCNN's), then `deconv`, a transposed convolution with
/// stride `scale` to one channel on the high-resolution grid.
///
/// The transposed convolution, exactly: with k = `deconv.kernel`, p = k/2 - (scale-1)/2 (integer division) and the
/// last body layer's features f (d channels, H x W) extended beyond the border by replicating it,
///
///     out[Y, X] = b + sum_c sum_(y, x) w[c, Y - scale*y + p, X - scale*x + p] * f[c, clamp(y), clamp(x)]
///
/// over the (y, x) whose tap lies in 0..<k; the output is (scale*H) x (scale*W). `w` is stored (d, 1, k, k), as
/// PyTorch's `ConvTranspose2d(d, 1, k, stride=scale, padding=p, output_padding=scale+2p-k)` stores it (that
/// module, applied to f zero-padded instead of replicated, gives the same values away from the border). With this p
/// the centre tap of LR pixel y lands on HR pixel scale*y + (scale-1)/2, the nearest to its centre.
public struct FSRCNN: Equatable, Sendable {
    public var body: [ConvLayer]
    /// PReLU slopes for negative inputs, one array per body layer, one value per output channel.
    public var slopes: [[Float]]
    /// The transposed convolution: `inChannels` = the last body layer's outputs, `outChannels` = 1, weights
    /// (inChannels, kernel, kernel) (the file's (d, 1, k, k)).
    public var deconv: ConvLayer
    /// The stride of `deconv`: the one factor these weights upscale by.
    public var scale: Int
    public var metadata: [String: String]

    public init(body: [ConvLayer], slopes: [[Float]], deconv: ConvLayer, scale: Int, metadata: [String: String] = [:]) {
        self.body = body; self.slopes = slopes; self.deconv = deconv; self.scale = scale; self.metadata = metadata
    }

    /// The `family` value in the weights' `__metadata__`.
    public static let family = "fsrcnn"

    /// The transposed convolution's offset p (see the type's documentation).
    public var deconvPadding: Int { deconv.kernel / 2 - (scale - 1) / 2 }
    /// LR pixels of context each body output sees per side (2 + 0 + 4x1 + 0 = 6 for FSRCNN(56,12,4)).
    public var bodyRadius: Int { body.reduce(0) { $0 + $1.radius } }
    /// The 3x3 mapping layers between the shrinking and the expanding layer (m of FSRCNN(d,s,m)).
    public var mappingLayers: Int { body.count - 3 }
    public var parameterCount: Int {
        body.reduce(0) { $0 + $1.parameterCount } + slopes.reduce(0) { $0 + $1.count } + deconv.parameterCount
    }
    /// Multiply-adds per LR pixel (the body, and each LR pixel's k x k x d contribution to the output).
    public var macsPerInputPixel: Int {
        body.reduce(0) { $0 + $1.macsPerPixel } + deconv.inChannels * deconv.kernel * deconv.kernel
    }

    /// e.g. "FSRCNN(56,12,4) x3": d = first body width, s = the shrunk width, m = the 3x3 mapping layers.
    public var architecture: String {
        let d = body.first?.outChannels ?? 0
        let mapping = body.dropFirst().filter { $0.kernel > 1 }
        let s = mapping.first?.inChannels ?? (body.count > 1 ? body[1].outChannels : d)
        return "FSRCNN(\(d),\(s),\(mapping.count)) x\(scale)"
    }

    /// Throws `SRCNNError.invalidWeights` with one line naming the first problem found.
    public func validate() throws {
        guard !body.isEmpty else { throw SRCNNError.invalidWeights("FSRCNN: no body convolutions (conv1_w missing)") }
        guard (2...8).contains(scale) else {
            throw SRCNNError.invalidWeights("FSRCNN: the deconvolution stride (metadata scale) must be 2 to 8, got \(scale)")
        }
        guard slopes.count == body.count else {
            throw SRCNNError.invalidWeights("FSRCNN: \(body.count) body layers but \(slopes.count) PReLU slope tensors")
        }
        try Network(layers: body + [ConvLayer(outChannels: 1, inChannels: body.last!.outChannels, kernel: 1,
                                               weights: [Float](repeating: 0, count: body.last!.outChannels),
                                               bias: [0])]).validate()
        for (i, a) in slopes.enumerated() {
            guard a.count == body[i].outChannels else {
                throw SRCNNError.invalidWeights("prelu\(i + 1) holds \(a.count) slopes; conv\(i + 1) gives \(body[i].outChannels) channels")
            }
            if let bad = a.firstIndex(where: { !$0.isFinite }) {
                throw SRCNNError.invalidWeights("prelu\(i + 1)[\(bad)] is \(a[bad]) (not finite)")
            }
        }
        let d = body.last!.outChannels, k = deconv.kernel
        guard k > 0, k % 2 == 1, k >= scale else {
            throw SRCNNError.invalidWeights("deconv kernel is \(k)x\(k); it must be odd and at least the stride \(scale)")
        }
        guard deconv.inChannels == d, deconv.outChannels == 1 else {
            throw SRCNNError.invalidWeights("deconv_w maps \(deconv.inChannels) channels to \(deconv.outChannels); "
                                            + "conv\(body.count) gives \(d) and FSRCNN ends in 1 (Y)")
        }
        guard deconv.weights.count == d * k * k, deconv.bias.count == 1 else {
            throw SRCNNError.invalidWeights("deconv_w/deconv_b hold \(deconv.weights.count)/\(deconv.bias.count) values, "
                                            + "expected \(d)x1x\(k)x\(k) and 1")
        }
        if let bad = deconv.weights.firstIndex(where: { !$0.isFinite }) ?? deconv.bias.firstIndex(where: { !$0.isFinite }) {
            throw SRCNNError.invalidWeights("deconv value \(bad) is not finite")
        }
    }

    /// A randomly initialised model: He-normal body weights, slopes 0.25, deconvolution N(0, 0.001) (the paper's),
    /// deterministic for a seed.
    public static func random(d: Int = 56, s: Int = 12, m: Int = 4, scale: Int, seed: UInt64) -> FSRCNN {
        var rng = SplitMix64(seed: seed)
        func conv(_ cin: Int, _ cout: Int, _ k: Int, std: Double? = nil) -> ConvLayer {
            let sd = std ?? (2.0 / Double(cin * k * k)).squareRoot()
            return ConvLayer(outChannels: cout, inChannels: cin, kernel: k,
                             weights: (0..<(cout * cin * k * k)).map { _ in Float(rng.nextGaussian() * sd) },
                             bias: [Float](repeating: 0, count: cout))
        }
        var body = [conv(1, d, 5), conv(d, s, 1)]
        for _ in 0..<m { body.append(conv(s, s, 3)) }
        body.append(conv(s, d, 1))
        let slopes = body.map { [Float](repeating: 0.25, count: $0.outChannels) }
        let dc = conv(d, 1, 9, std: 0.001)
        return FSRCNN(body: body, slopes: slopes, deconv: dc, scale: scale,
                      metadata: ["family": family, "scale": String(scale)])
    }

    /// The same function with `m` mapping layers (m at least the current count): the new 3x3 layers, placed before
    /// the expanding layer, are identities (centre tap 1, bias 0, PReLU slopes 1), so the output is the same to the
    /// last bit, and a run started from it trains them from there (more capacity from trained weights).
    public func deepened(mapping m: Int) throws -> FSRCNN {
        let have = mappingLayers
        guard body.count >= 3, m >= have else {
            throw SRCNNError.invalidArgument("FSRCNN has \(max(0, have)) mapping layers; cannot deepen it to \(m)")
        }
        let s = body[body.count - 1].inChannels
        var identity = [Float](repeating: 0, count: s * s * 9)
        for c in 0..<s { identity[((c * s + c) * 3 + 1) * 3 + 1] = 1 }
        let layer = ConvLayer(outChannels: s, inChannels: s, kernel: 3, weights: identity,
                              bias: [Float](repeating: 0, count: s))
        var out = self
        out.body.insert(contentsOf: [ConvLayer](repeating: layer, count: m - have), at: body.count - 1)
        out.slopes.insert(contentsOf: [[Float]](repeating: [Float](repeating: 1, count: s), count: m - have),
                          at: body.count - 1)
        return out
    }
}

extension FSRCNN {
    /// The same function with `width` shrunk channels (at least the current s), Net2Net-style: each new channel
    /// copies a random existing one (weights, bias, PReLU slope) in the shrinking and mapping layers, and every
    /// layer reading a copied channel splits that channel's input weights between its copies by random fractions
    /// summing to 1. The output equals the original up to Float rounding, and because the copies' outgoing weights
    /// differ, training moves them apart (equal splits would keep them identical forever). Deterministic for a seed.
    public func widened(shrink width: Int, seed: UInt64) throws -> FSRCNN {
        guard body.count >= 3, width >= body[1].outChannels else {
            throw SRCNNError.invalidArgument("FSRCNN shrinks to \(body.count > 1 ? body[1].outChannels : 0) channels; "
                                             + "cannot widen it to \(width)")
        }
        let s = body[1].outChannels
        guard width > s else { return self }
        var rng = SplitMix64(seed: seed)
        // New channel j copies old channel source[j]; share[j] is its fraction of source[j]'s outgoing weights.
        let source = (0..<width).map { $0 < s ? $0 : Int(rng.next() % UInt64(s)) }
        var share = [Double](repeating: 0, count: width)
        for g in 0..<s {
            let copies = source.indices.filter { source[$0] == g }
            let raw = copies.map { _ in 0.5 + rng.nextUniform() }, total = raw.reduce(0, +)
            for (j, r) in zip(copies, raw) { share[j] = r / total }
        }
        /// Layer n with its outputs and/or inputs mapped through `source` (inputs scaled by `share`).
        func remap(_ n: Int, outputs: Bool, inputs: Bool) -> ConvLayer {
            let l = body[n], k = l.kernel
            let cout = outputs ? width : l.outChannels, cin = inputs ? width : l.inChannels
            var w = [Float](repeating: 0, count: cout * cin * k * k), b = [Float](repeating: 0, count: cout)
            for o in 0..<cout {
                let so = outputs ? source[o] : o
                b[o] = l.bias[so]
                for c in 0..<cin {
                    let sc = inputs ? source[c] : c, f = inputs ? share[c] : 1
                    for r in 0..<k {
                        for q in 0..<k { w[((o * cin + c) * k + r) * k + q] = Float(Double(l.weight(so, sc, r, q)) * f) }
                    }
                }
            }
            return ConvLayer(outChannels: cout, inChannels: cin, kernel: k, weights: w, bias: b)
        }
        var out = self
        let last = body.count - 1
        for n in 1...last {
            out.body[n] = remap(n, outputs: n < last, inputs: n > 1)
            if n < last { out.slopes[n] = source.map { slopes[n][$0] } }
        }
        return out
    }

    /// The plain reference: direct loops in Double on the LR plane (values 0...1), replicate padding per layer,
    /// the transposed convolution as documented on the type. Output (scale*W) x (scale*H). Slow, obviously right.
    public func forwardReference(_ lr: Plane) -> Plane {
        let h = lr.height, w = lr.width
        var maps: [[Double]] = [lr.data.map(Double.init)]
        for (n, l) in body.enumerated() {
            let p = l.radius
            var out = [[Double]](repeating: [Double](repeating: 0, count: h * w), count: l.outChannels)
            for o in 0..<l.outChannels {
                let a = Double(slopes[n][o])
                for y in 0..<h {
                    for x in 0..<w {
                        var acc = Double(l.bias[o])
                        for c in 0..<l.inChannels {
                            for r in 0..<l.kernel {
                                let yy = min(h - 1, max(0, y + r - p))
                                for q in 0..<l.kernel {
                                    let xx = min(w - 1, max(0, x + q - p))
                                    acc += Double(l.weight(o, c, r, q)) * maps[c][yy * w + xx]
                                }
                            }
                        }
                        out[o][y * w + x] = acc > 0 ? acc : a * acc
                    }
                }
            }
            maps = out
        }
        let s = scale, k = deconv.kernel, p = deconvPadding, H = s * h, W = s * w
        var out = [Float](repeating: 0, count: H * W)
        for Y in 0..<H {
            for X in 0..<W {
                var acc = Double(deconv.bias[0])
                // y with 0 <= Y - s*y + p < k.
                for y in ceilDiv(Y + p - k + 1, s)...floorDiv(Y + p, s) {
                    let ky = Y - s * y + p, yy = min(h - 1, max(0, y))
                    for x in ceilDiv(X + p - k + 1, s)...floorDiv(X + p, s) {
                        let kx = X - s * x + p, xx = min(w - 1, max(0, x))
                        for c in 0..<deconv.inChannels {
                            acc += Double(deconv.weights[(c * k + ky) * k + kx]) * maps[c][yy * w + xx]
                        }
                    }
                }
                out[Y * W + X] = Float(acc)
            }
        }
        return Plane(width: W, height: H, data: out)
    }
}

/// Floor and ceiling of a / b for b > 0 and any a.
@inlinable public func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
@inlinable public func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }
