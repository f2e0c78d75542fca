// AVX-512 training convolution: channel-major input rows x packed weights -> channel-last output (forward and backward-data).

/// out[(y·cols + x)·M + o] = epilogue(Σ_kk input[y·pitch + x + offsets[kk]] · w[kk·M + o])
/// for y < rows, x < cols, o < M (M a multiple of 16).
///
/// `input` is channel-major (planes of rows with `pitch` floats); `offsets[kk]` places tap kk = (channel, r, q)
/// relative to the output pixel, so the same kernel runs the forward pass (input = activations, w = weights
/// as (Cin·k·k) x Cout) and backward-data (input = the zero-padded output gradient, w = the flipped weights as
/// (Cout·k·k) x Cin). Epilogue: start from `bias` (M values) if given, then `relu` → max(·, 0), then `mask` →
/// keep only where mask (channel-last like `out`) > 0 (ReLU backward through the previous layer).
/// Output pixels are taken a row at a time in blocks of up to 12 (6 for 64 channels), 16-channel vectors across.
public func avx512TrainConv(input: UnsafePointer<Float>, pitch: Int, offsets: UnsafePointer<Int>, k K: Int,
                            w: UnsafePointer<Float>, m M: Int, rows: Int, cols: Int,
                            out: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool,
                            mask: UnsafePointer<Float>?) {
    precondition(M % 16 == 0 && M > 0)
    for (o0, ob) in vectorBlocks(M / 16) {
        let mrMax = maxPixels(ob)
        let nb = (cols + mrMax - 1) / mrMax, base = cols / nb, extra = cols % nb
        // Taps in chunks whose weights (kc x ob vectors, ~16 KB) stay in L1 while every output pixel uses them;
        // partial sums go through `out`.
        let chunks = (K * ob + 255) / 256, kc = (K + chunks - 1) / chunks
        var k0 = 0
        while k0 < K {
            let kn = min(kc, K - k0), first = k0 == 0, last = k0 + kn == K
            for y in 0..<rows {
                var x = 0
                for b in 0..<nb {
                    let mr = base + (b < extra ? 1 : 0)
                    let at = (y * cols + x) * M + o0
                    convDispatch(mr, ob, K: kn, src: input + y * pitch + x, offsets: offsets + k0, w: w + k0 * M + o0, M: M,
                                 out: out + at, start: first ? (bias.map { .bias($0 + o0) } ?? .zero) : .partial,
                                 relu: last && relu, mask: last ? mask.map { $0 + at } : nil)
                    x += mr
                }
            }
            k0 += kn
        }
    }
}

/// Where a block's sums start: zero, the bias, or the partial sums already in the output.
enum ConvStart { case zero, bias(UnsafePointer<Float>), partial }

/// Splits `nv` 16-wide vectors into blocks of at most 4 (as even as possible): (first channel, vectors).
func vectorBlocks(_ nv: Int) -> [(Int, Int)] {
    let nb = (nv + 3) / 4, base = nv / nb, extra = nv % nb
    var out: [(Int, Int)] = [], v = 0
    for b in 0..<nb {
        let n = base + (b < extra ? 1 : 0)
        out.append((16 * v, n)); v += n
    }
    return out
}

/// Broadcast rows per block for `ob` vectors: at most 24 accumulators.
@inline(__always)
func maxPixels(_ ob: Int) -> Int { ob <= 2 ? 12 : (ob == 3 ? 8 : 6) }

/// Calls the block kernel specialised for (mr, ob); only pairs with mr <= maxPixels(ob) exist.
func convDispatch(_ mr: Int, _ ob: Int, K: Int, src: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                  w: UnsafePointer<Float>, M: Int, out: UnsafeMutablePointer<Float>, start: ConvStart,
                  relu: Bool, mask: UnsafePointer<Float>?) {
    switch (mr, ob) {
    case (1, 1): ConvBlock<1, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (2, 1): ConvBlock<2, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (3, 1): ConvBlock<3, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (4, 1): ConvBlock<4, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (5, 1): ConvBlock<5, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (6, 1): ConvBlock<6, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (7, 1): ConvBlock<7, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (8, 1): ConvBlock<8, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (9, 1): ConvBlock<9, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (10, 1): ConvBlock<10, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (11, 1): ConvBlock<11, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (12, 1): ConvBlock<12, 1>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (1, 2): ConvBlock<1, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (2, 2): ConvBlock<2, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (3, 2): ConvBlock<3, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (4, 2): ConvBlock<4, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (5, 2): ConvBlock<5, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (6, 2): ConvBlock<6, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (7, 2): ConvBlock<7, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (8, 2): ConvBlock<8, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (9, 2): ConvBlock<9, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (10, 2): ConvBlock<10, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (11, 2): ConvBlock<11, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (12, 2): ConvBlock<12, 2>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (1, 3): ConvBlock<1, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (2, 3): ConvBlock<2, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (3, 3): ConvBlock<3, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (4, 3): ConvBlock<4, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (5, 3): ConvBlock<5, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (6, 3): ConvBlock<6, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (7, 3): ConvBlock<7, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (8, 3): ConvBlock<8, 3>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (1, 4): ConvBlock<1, 4>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (2, 4): ConvBlock<2, 4>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (3, 4): ConvBlock<3, 4>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (4, 4): ConvBlock<4, 4>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (5, 4): ConvBlock<5, 4>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    case (6, 4): ConvBlock<6, 4>.run(K: K, src: src, offsets: offsets, w: w, M: M, out: out, start: start, relu: relu, mask: mask)
    default: preconditionFailure("no convolution block for \(mr) x \(ob)")
    }
}

/// One block: MR consecutive output pixels x OB 16-channel vectors, accumulated over all K taps in registers
/// (a generic specialisation per (MR, OB), so the InlineArrays become registers); epilogue as requested.
enum ConvBlock<let MR: Int, let OB: Int> {
    @inline(never)
    static func run(K: Int, src: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                    w: UnsafePointer<Float>, M: Int, out: UnsafeMutablePointer<Float>, start: ConvStart,
                    relu: Bool, mask: UnsafePointer<Float>?) {
        let mr = MR, ob = OB
        var acc = InlineArray<24, V16> { _ in V16() }
        switch start {
        case .zero: break
        case .bias(let bias):
            for v in 0..<ob {
                let b = load(bias + 16 * v)
                for i in 0..<mr { acc[i * ob + v] = b }
            }
        case .partial:
            for i in 0..<mr { for v in 0..<ob { acc[i * ob + v] = load(out + i * M + 16 * v) } }
        }
        var wp = w
        for kk in 0..<K {
            let p = src + offsets[kk]
            var wv = InlineArray<4, V16> { _ in V16() }
            for v in 0..<ob { wv[v] = load(wp + 16 * v) }
            for i in 0..<mr {
                let x = V16(repeating: p[i])
                for v in 0..<ob { acc[i * ob + v].addProduct(x, wv[v]) }
            }
            wp += M
        }
        for i in 0..<mr {
            for v in 0..<ob {
                var a = acc[i * ob + v]
                if relu { a = pointwiseMax(a, V16()) }
                if let mask { a.replace(with: 0, where: load(mask + i * M + 16 * v) .<= 0) }
                store(a, out + i * M + 16 * v)
            }
        }
}
}
