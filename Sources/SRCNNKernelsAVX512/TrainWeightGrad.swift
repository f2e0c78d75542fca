// AVX-512 training weight gradients: channel-last input x channel-last output gradient, summed over the output pixels.

/// grad[(r·kw + j)·M + o] += Σ_{y < rows, x < cols} x[((y + r)·xpitch + x)·sx + j] · dy[(y·cols + x)·M + o]
/// for r < k, j < kw, o < M (M a multiple of 16).
///
/// `x` is the layer input channel-last with channel stride `sx` and `xpitch` pixels per row; for a k x k
/// kernel, kw = k·sx covers the taps (q, c) of one kernel row r, which are contiguous there. `dy` is the
/// gradient of the layer output (before its bias), channel-last with M channels. Blocks of up to 12 (j) x
/// 16-channel vectors of o stay in registers over a tile of output rows; the order is fixed (deterministic).
public func avx512TrainWeightGrad(x: UnsafePointer<Float>, xpitch: Int, sx: Int, k: Int, kw: Int,
                                  dy: UnsafePointer<Float>, m M: Int, rows: Int, cols: Int,
                                  grad: UnsafeMutablePointer<Float>) {
    precondition(M % 16 == 0 && M > 0)
    // Output rows in tiles of ~64 pixels, whose output gradients stay in L1 while every tap block sweeps them.
    let tile = max(1, 64 / cols)
    var y0 = 0
    while y0 < rows {
        let tr = min(tile, rows - y0)
        for (o0, ob) in vectorBlocks(M / 16) {
            let jMax = maxPixels(ob)
            let nb = (kw + jMax - 1) / jMax, base = kw / nb, extra = kw % nb
            for r in 0..<k {
                var j0 = 0
                for b in 0..<nb {
                    let J = base + (b < extra ? 1 : 0)
                    gradDispatch(J, ob, x: x + (y0 + r) * xpitch * sx + j0, xrow: xpitch * sx, sx: sx,
                                 dy: dy + y0 * cols * M + o0, M: M, rows: tr, cols: cols, grad: grad + (r * kw + j0) * M + o0)
                    j0 += J
                }
            }
        }
        y0 += tr
    }
}

/// Calls the block kernel specialised for (J, ob); only pairs with J <= maxPixels(ob) exist.
func gradDispatch(_ J: Int, _ ob: Int, x: UnsafePointer<Float>, xrow: Int, sx: Int, dy: UnsafePointer<Float>, M: Int,
                  rows: Int, cols: Int, grad: UnsafeMutablePointer<Float>) {
    switch (J, ob) {
    case (1, 1): GradBlock<1, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (2, 1): GradBlock<2, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (3, 1): GradBlock<3, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (4, 1): GradBlock<4, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (5, 1): GradBlock<5, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (6, 1): GradBlock<6, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (7, 1): GradBlock<7, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (8, 1): GradBlock<8, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (9, 1): GradBlock<9, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (10, 1): GradBlock<10, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (11, 1): GradBlock<11, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (12, 1): GradBlock<12, 1>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (1, 2): GradBlock<1, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (2, 2): GradBlock<2, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (3, 2): GradBlock<3, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (4, 2): GradBlock<4, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (5, 2): GradBlock<5, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (6, 2): GradBlock<6, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (7, 2): GradBlock<7, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (8, 2): GradBlock<8, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (9, 2): GradBlock<9, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (10, 2): GradBlock<10, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (11, 2): GradBlock<11, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (12, 2): GradBlock<12, 2>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (1, 3): GradBlock<1, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (2, 3): GradBlock<2, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (3, 3): GradBlock<3, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (4, 3): GradBlock<4, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (5, 3): GradBlock<5, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (6, 3): GradBlock<6, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (7, 3): GradBlock<7, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (8, 3): GradBlock<8, 3>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (1, 4): GradBlock<1, 4>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (2, 4): GradBlock<2, 4>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (3, 4): GradBlock<3, 4>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (4, 4): GradBlock<4, 4>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (5, 4): GradBlock<5, 4>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    case (6, 4): GradBlock<6, 4>.run(x: x, xrow: xrow, sx: sx, dy: dy, M: M, rows: rows, cols: cols, grad: grad)
    default: preconditionFailure("no weight-gradient block for \(J) x \(ob)")
    }
}

/// One block: J consecutive taps (one broadcast each per pixel) x OB 16-channel vectors, over all pixels
/// (a generic specialisation per (J, OB)).
enum GradBlock<let J: Int, let OB: Int> {
    @inline(never)
    static func run(x: UnsafePointer<Float>, xrow: Int, sx: Int, dy: UnsafePointer<Float>, M: Int,
                    rows: Int, cols: Int, grad: UnsafeMutablePointer<Float>) {
        let ob = OB
        var acc = InlineArray<24, V16> { _ in V16() }
        for j in 0..<J { for v in 0..<ob { acc[j * ob + v] = load(grad + j * M + 16 * v) } }
        var xr = x, dp = dy
        for _ in 0..<rows {
            var xp = xr
            for _ in 0..<cols {
                var dv = InlineArray<4, V16> { _ in V16() }
                for v in 0..<ob { dv[v] = load(dp + 16 * v) }
                for j in 0..<J {
                    let b = V16(repeating: xp[j])
                    for v in 0..<ob { acc[j * ob + v].addProduct(b, dv[v]) }
                }
                xp += sx; dp += M
            }
            xr += xrow
        }
        for j in 0..<J { for v in 0..<ob { store(acc[j * ob + v], grad + j * M + 16 * v) } }
}
}

/// Bias gradient: db[o] += Σ_p dy[p·M + o] for p < pixels, o < M (M a multiple of 16), in pixel order.
public func avx512TrainBiasGrad(dy: UnsafePointer<Float>, m M: Int, pixels: Int, db: UnsafeMutablePointer<Float>) {
    var o = 0
    while o < M {
        var a = load(db + o), p = dy + o
        for _ in 0..<pixels { a += load(p); p += M }
        store(a, db + o)
        o += 16
    }
}
