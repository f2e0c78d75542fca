// AVX-512 training kernels for a layer with one output channel (SRCNN's last): forward and weight gradient.

/// y[y·cols + x] = bias + Σ_{r < k} Σ_{j < kw} x[((y + r)·xpitch + x)·sx + j] · w[r·kw + j]
/// for y < rows, x < cols: per pixel, k dot products of kw contiguous floats (the taps (q, c) of kernel row r
/// of a channel-last input with channel stride sx, kw = k·sx).
public func avx512TrainConvSingle(x: UnsafePointer<Float>, xpitch: Int, sx: Int, k: Int, kw: Int,
                                  w: UnsafePointer<Float>, bias: Float, rows: Int, cols: Int,
                                  y: UnsafeMutablePointer<Float>) {
    let kv = kw / 16 * 16
    for yy in 0..<rows {
        for xx in 0..<cols {
            var a0 = V16(), a1 = V16()
            var s: Float = 0
            for r in 0..<k {
                let xp = x + ((yy + r) * xpitch + xx) * sx, wp = w + r * kw
                var j = 0
                while j + 32 <= kv {
                    a0.addProduct(load(xp + j), load(wp + j)); a1.addProduct(load(xp + j + 16), load(wp + j + 16))
                    j += 32
                }
                if j < kv { a0.addProduct(load(xp + j), load(wp + j)); j += 16 }
                while j < kw { s += xp[j] * wp[j]; j += 1 }
            }
            y[yy * cols + xx] = bias + ((a0 + a1).sum() + s)
        }
    }
}

/// grad[r·kw + j] += Σ_{y < rows, x < cols} dy[y·cols + x] · x[((y + r)·xpitch + x)·sx + j] for r < k, j < kw
/// (layout as in `avx512TrainConvSingle`); pixel order fixed.
public func avx512TrainWeightGradSingle(x: UnsafePointer<Float>, xpitch: Int, sx: Int, k: Int, kw: Int,
                                        dy: UnsafePointer<Float>, rows: Int, cols: Int,
                                        grad: UnsafeMutablePointer<Float>) {
    let kv = kw / 16 * 16
    for r in 0..<k {
        var j0 = 0
        while j0 < kv {   // up to 8 vectors of taps in registers
            let nv = min(8, (kv - j0) / 16)
            switch nv {
            case 8: SingleGradBlock<8>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            case 7: SingleGradBlock<7>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            case 6: SingleGradBlock<6>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            case 5: SingleGradBlock<5>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            case 4: SingleGradBlock<4>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            case 3: SingleGradBlock<3>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            case 2: SingleGradBlock<2>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            default: SingleGradBlock<1>.run(x: x, xpitch: xpitch, sx: sx, r: r, j0: j0, kw: kw, dy: dy, rows: rows, cols: cols, grad: grad)
            }
            j0 += 16 * nv
        }
        if kv < kw {   // scalar tail (kw not a multiple of 16: only for a one-channel input)
            for j in kv..<kw {
                var s: Float = 0
                for yy in 0..<rows {
                    let xp = x + ((yy + r) * xpitch) * sx + j, dp = dy + yy * cols
                    for xx in 0..<cols { s += dp[xx] * xp[xx * sx] }
                }
                grad[r * kw + j] += s
            }
        }
    }
}

/// NV vectors of taps of kernel row r in registers over all pixels (a specialisation per NV).
enum SingleGradBlock<let NV: Int> {
    @inline(never)
    static func run(x: UnsafePointer<Float>, xpitch: Int, sx: Int, r: Int, j0: Int, kw: Int,
                    dy: UnsafePointer<Float>, rows: Int, cols: Int, grad: UnsafeMutablePointer<Float>) {
        let nv = NV
        let g = grad + r * kw + j0
        var acc = InlineArray<8, V16> { _ in V16() }
        for v in 0..<nv { acc[v] = load(g + 16 * v) }
        for yy in 0..<rows {
            var xp = x + ((yy + r) * xpitch) * sx + j0
            let dp = dy + yy * cols
            for xx in 0..<cols {
                let d = V16(repeating: dp[xx])
                for v in 0..<nv { acc[v].addProduct(d, load(xp + 16 * v)) }
                xp += sx
            }
        }
        for v in 0..<nv { store(acc[v], g + 16 * v) }
}
}
