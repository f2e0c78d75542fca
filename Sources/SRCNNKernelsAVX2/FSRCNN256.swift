// FSRCNN's kernels for AVX2+FMA CPUs (256-bit vectors, 16 registers): the body convolution over one output row and
// the transposed convolution's dot products; the same functions as SRCNNKernelsAVX512/FSRCNN512.swift, whose 8-lane
// paths they share (per lane the same sums in the same order). The engine's generic copies are the reference.

public func avx2FSRCNNConvRow(n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int, src: UnsafePointer<Float>,
                                weights: UnsafePointer<V8>, vectors V: Int, bias: UnsafePointer<V8>,
                                slopes: UnsafePointer<V8>, out: UnsafeMutablePointer<V8>) {
    var x0 = 0
    if V <= 2 {
        // Narrow layers: 8 pixels x 1 vector (up to 8 channels) or 6 pixels x 2 vectors (9-16 channels, FSRCNN's
        // 12-channel mapping) of accumulators in registers (of AVX2's 16), each input broadcast from memory.
        x0 = V == 2 ? narrow2Blocks6(n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                                     weights: weights, bias: bias, slopes: slopes, out: out)
                    : narrowBlocks(n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                                   weights: weights, bias: bias, slopes: slopes, out: out)
    } else if V <= 8 {
        // Wide layers (FSRCNN's 56 channels = 7 vectors): two pixels x up to 8 vectors of 8 with the accumulators
        // in registers; then one pixel at a time for the row's end.
        x0 = V == 7 ? wideBlocks(7, n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                                 weights: weights, bias: bias, slopes: slopes, out: out)
                    : wideBlocks(V, n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                                 weights: weights, bias: bias, slopes: slopes, out: out)
        while x0 < n {
            var a = (bias[0], V > 1 ? bias[1] : V8(), V > 2 ? bias[2] : V8(), V > 3 ? bias[3] : V8(),
                     V > 4 ? bias[4] : V8(), V > 5 ? bias[5] : V8(), V > 6 ? bias[6] : V8(), V > 7 ? bias[7] : V8())
            for r in 0..<k {
                for q in 0..<k {
                    let s = src + r * rowStride + (x0 + q) * csIn
                    var w = weights + (r * k + q) * cin * V
                    for c in 0..<cin {
                        let b = V8(repeating: s[c])
                        a.0 = a.0.addingProduct(b, w[0])
                        if V > 1 { a.1 = a.1.addingProduct(b, w[1]) }
                        if V > 2 { a.2 = a.2.addingProduct(b, w[2]) }
                        if V > 3 { a.3 = a.3.addingProduct(b, w[3]) }
                        if V > 4 { a.4 = a.4.addingProduct(b, w[4]) }
                        if V > 5 { a.5 = a.5.addingProduct(b, w[5]) }
                        if V > 6 { a.6 = a.6.addingProduct(b, w[6]) }
                        if V > 7 { a.7 = a.7.addingProduct(b, w[7]) }
                        w += V
                    }
                }
            }
            let acc = out + x0 * V
            @inline(__always) func put(_ v: Int, _ x: V8) { acc[v] = x.replacing(with: x * slopes[v], where: x .< 0) }
            put(0, a.0)
            if V > 1 { put(1, a.1) }
            if V > 2 { put(2, a.2) }
            if V > 3 { put(3, a.3) }
            if V > 4 { put(4, a.4) }
            if V > 5 { put(5, a.5) }
            if V > 6 { put(6, a.6) }
            if V > 7 { put(7, a.7) }
            x0 += 1
        }
    }
    for x in x0..<n {
        let acc = out + x * V
        for v in 0..<V { acc[v] = bias[v] }
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x + q) * csIn
                var w = weights + (r * k + q) * cin * V
                for c in 0..<cin {
                    let b = V8(repeating: s[c])
                    for v in 0..<V { acc[v] = acc[v].addingProduct(b, w[v]) }
                    w += V
                }
            }
        }
        for v in 0..<V {
            let a = acc[v]
            acc[v] = a.replacing(with: a * slopes[v], where: a .< 0)
        }
    }
}

/// Columns `columns` of one HR row of the transposed convolution (the row's ends, where feature columns are
/// clamped): out[X] = bias + the sum over the taps listed for X of the dot of features f[(row(tap) * w +
/// col(X, tap)) * V] with the tap's weights (both V vectors of 8). `rowsForY`: the (feature row offset, weight
/// tap row) pairs of this HR row; `cols`: per X the (feature column, weight tap column) pairs,
/// `colStart[X] ..< colStart[X+1]` into `cols`.
public func avx2FSRCNNDeconvRow(columns: Range<Int>, features f: UnsafePointer<V8>, featureWidth w: Int,
                                  vectors V: Int, weights: UnsafePointer<V8>, kernel k: Int, bias: Float,
                                  rowsForY: UnsafePointer<(Int, Int)>, rowCount: Int,
                                  cols: UnsafePointer<(Int, Int)>, colStart: UnsafePointer<Int>,
                                  out: UnsafeMutablePointer<Float>) {
    for X in columns {
        // Four independent sums (an FMA's latency would otherwise bound a single chain), added at the end.
        var s0 = V8(), s1 = V8(), s2 = V8(), s3 = V8()
        for i in 0..<rowCount {
            let (fy, ky) = rowsForY[i]
            for j in colStart[X]..<colStart[X + 1] {
                let (fx, kx) = cols[j]
                let a = f + (fy * w + fx) * V, b = weights + (ky * k + kx) * V
                var v = 0
                while v + 4 <= V {
                    s0 = s0.addingProduct(a[v], b[v]); s1 = s1.addingProduct(a[v + 1], b[v + 1])
                    s2 = s2.addingProduct(a[v + 2], b[v + 2]); s3 = s3.addingProduct(a[v + 3], b[v + 3])
                    v += 4
                }
                if v < V { s0 = s0.addingProduct(a[v], b[v]) }
                if v + 1 < V { s1 = s1.addingProduct(a[v + 1], b[v + 1]) }
                if v + 2 < V { s2 = s2.addingProduct(a[v + 2], b[v + 2]) }
            }
        }
        out[X] = bias + ((s0 + s1) + (s2 + s3)).sum()
    }
}

/// The interior of one HR row of the transposed convolution, phase by phase: for LR columns x in `columns` (where
/// every tap's feature column x - j lies inside the row) and each phase px < s, out[s*x + px] = bias + the sum
/// over the row pairs and phase px's (j, kx) taps of the dot of f[(fy * w + x - j) * V] with weights[(ky * k +
/// kx) * V] (V vectors of 8), summed in that order into one vector per pixel. Up to x4, four LR columns and all
/// phases share each load; above, eight LR columns share each weight load. `taps`: phase px's pairs are
/// `tapStart[px] ..< tapStart[px+1]`, in increasing j.
public func avx2FSRCNNDeconvInterior(columns: Range<Int>, scale s: Int, features f: UnsafePointer<V8>,
                                       featureWidth w: Int, vectors V: Int, weights: UnsafePointer<V8>, kernel k: Int,
                                       bias: Float, rowsForY: UnsafePointer<(Int, Int)>, rowCount: Int,
                                       taps: UnsafePointer<(Int, Int)>, tapStart: UnsafePointer<Int>,
                                       out: UnsafeMutablePointer<Float>) {
    var x0 = columns.lowerBound
    if s <= 4 {
        // Up to four phases at once: each feature load serves every phase with a tap in that column (x3: three
        // FMAs), four LR columns x four phases of accumulators. Per pixel the same sums in the same order as below.
        var jLow = Int.max, jHigh = Int.min
        for t in 0..<tapStart[s] { jLow = min(jLow, taps[t].0); jHigh = max(jHigh, taps[t].0) }
        let nj = jHigh - jLow + 1
        var kxOf = [Int](repeating: -1, count: 4 * nj)   // kxOf[px * nj + j - jLow]: phase px's tap column, or -1
        for px in 0..<s { for t in tapStart[px]..<tapStart[px + 1] { kxOf[px * nj + taps[t].0 - jLow] = taps[t].1 } }
        while x0 + 4 <= columns.upperBound {
            var a00 = V8(), a01 = V8(), a02 = V8(), a03 = V8(), a10 = V8(), a11 = V8(), a12 = V8(), a13 = V8()
            var a20 = V8(), a21 = V8(), a22 = V8(), a23 = V8(), a30 = V8(), a31 = V8(), a32 = V8(), a33 = V8()
            for i in 0..<rowCount {
                let (fy, ky) = rowsForY[i]
                for j in jLow...jHigh {
                    let q0 = kxOf[j - jLow], q1 = kxOf[nj + j - jLow], q2 = kxOf[2 * nj + j - jLow]
                    let q3 = kxOf[3 * nj + j - jLow]
                    let a = f + (fy * w + x0 - j) * V, row = weights + ky * k * V
                    let b0 = row + max(q0, 0) * V, b1 = row + max(q1, 0) * V
                    let b2 = row + max(q2, 0) * V, b3 = row + max(q3, 0) * V
                    for v in 0..<V {
                        let f0 = a[v], f1 = a[V + v], f2 = a[2 * V + v], f3 = a[3 * V + v]
                        if q0 >= 0 {
                            let wv = b0[v]
                            a00 = a00.addingProduct(f0, wv); a01 = a01.addingProduct(f1, wv)
                            a02 = a02.addingProduct(f2, wv); a03 = a03.addingProduct(f3, wv)
                        }
                        if q1 >= 0 {
                            let wv = b1[v]
                            a10 = a10.addingProduct(f0, wv); a11 = a11.addingProduct(f1, wv)
                            a12 = a12.addingProduct(f2, wv); a13 = a13.addingProduct(f3, wv)
                        }
                        if q2 >= 0 {
                            let wv = b2[v]
                            a20 = a20.addingProduct(f0, wv); a21 = a21.addingProduct(f1, wv)
                            a22 = a22.addingProduct(f2, wv); a23 = a23.addingProduct(f3, wv)
                        }
                        if q3 >= 0 {
                            let wv = b3[v]
                            a30 = a30.addingProduct(f0, wv); a31 = a31.addingProduct(f1, wv)
                            a32 = a32.addingProduct(f2, wv); a33 = a33.addingProduct(f3, wv)
                        }
                    }
                }
            }
            let o = out + s * x0
            o[0] = bias + a00.sum(); o[s] = bias + a01.sum(); o[2 * s] = bias + a02.sum(); o[3 * s] = bias + a03.sum()
            if s > 1 { o[1] = bias + a10.sum(); o[s + 1] = bias + a11.sum(); o[2 * s + 1] = bias + a12.sum(); o[3 * s + 1] = bias + a13.sum() }
            if s > 2 { o[2] = bias + a20.sum(); o[s + 2] = bias + a21.sum(); o[2 * s + 2] = bias + a22.sum(); o[3 * s + 2] = bias + a23.sum() }
            if s > 3 { o[3] = bias + a30.sum(); o[s + 3] = bias + a31.sum(); o[2 * s + 3] = bias + a32.sum(); o[3 * s + 3] = bias + a33.sum() }
            x0 += 4
        }
    }
    while x0 + 8 <= columns.upperBound {
        for px in 0..<s {
            var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8(), a4 = V8(), a5 = V8(), a6 = V8(), a7 = V8()
            for i in 0..<rowCount {
                let (fy, ky) = rowsForY[i]
                for t in tapStart[px]..<tapStart[px + 1] {
                    let (j, kx) = taps[t]
                    let b = weights + (ky * k + kx) * V, a = f + (fy * w + x0 - j) * V
                    for v in 0..<V {
                        let wv = b[v]
                        a0 = a0.addingProduct(a[v], wv); a1 = a1.addingProduct(a[V + v], wv)
                        a2 = a2.addingProduct(a[2 * V + v], wv); a3 = a3.addingProduct(a[3 * V + v], wv)
                        a4 = a4.addingProduct(a[4 * V + v], wv); a5 = a5.addingProduct(a[5 * V + v], wv)
                        a6 = a6.addingProduct(a[6 * V + v], wv); a7 = a7.addingProduct(a[7 * V + v], wv)
                    }
                }
            }
            let o = out + s * x0 + px
            o[0] = bias + a0.sum(); o[s] = bias + a1.sum(); o[2 * s] = bias + a2.sum(); o[3 * s] = bias + a3.sum()
            o[4 * s] = bias + a4.sum(); o[5 * s] = bias + a5.sum(); o[6 * s] = bias + a6.sum(); o[7 * s] = bias + a7.sum()
        }
        x0 += 8
    }
    while x0 < columns.upperBound {
        for px in 0..<s {
            var a0 = V8()
            for i in 0..<rowCount {
                let (fy, ky) = rowsForY[i]
                for t in tapStart[px]..<tapStart[px + 1] {
                    let (j, kx) = taps[t]
                    let b = weights + (ky * k + kx) * V, a = f + (fy * w + x0 - j) * V
                    for v in 0..<V { a0 = a0.addingProduct(a[v], b[v]) }
                }
            }
            out[s * x0 + px] = bias + a0.sum()
        }
        x0 += 1
    }
}

/// The narrow path's 8-pixel blocks for up to 8 channels (see `avx2FSRCNNConvRow`). Returns the first pixel it
/// did not do.
@inline(__always)
private func narrowBlocks(n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int, src: UnsafePointer<Float>,
                          weights: UnsafePointer<V8>, bias: UnsafePointer<V8>, slopes: UnsafePointer<V8>,
                          out: UnsafeMutablePointer<V8>) -> Int {
    var x0 = 0
    let sl = slopes[0]
    while x0 + 8 <= n {
        var a0 = bias[0], a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x0 + q) * csIn
                let w = weights + (r * k + q) * cin
                for c in 0..<cin {
                    let w0 = w[c], p = s + c
                    a0 = a0.addingProduct(V8(repeating: p[0]), w0); a1 = a1.addingProduct(V8(repeating: p[csIn]), w0)
                    a2 = a2.addingProduct(V8(repeating: p[2 * csIn]), w0)
                    a3 = a3.addingProduct(V8(repeating: p[3 * csIn]), w0)
                    a4 = a4.addingProduct(V8(repeating: p[4 * csIn]), w0)
                    a5 = a5.addingProduct(V8(repeating: p[5 * csIn]), w0)
                    a6 = a6.addingProduct(V8(repeating: p[6 * csIn]), w0)
                    a7 = a7.addingProduct(V8(repeating: p[7 * csIn]), w0)
                }
            }
        }
        let o = out + x0
        @inline(__always) func prelu(_ a: V8) -> V8 { a.replacing(with: a * sl, where: a .< 0) }
        o[0] = prelu(a0); o[1] = prelu(a1); o[2] = prelu(a2); o[3] = prelu(a3)
        o[4] = prelu(a4); o[5] = prelu(a5); o[6] = prelu(a6); o[7] = prelu(a7)
        x0 += 8
    }
    return x0
}

/// The wide path's 2-pixel blocks (see `avx2FSRCNNConvRow`), with V a constant after inlining when it is 7
/// (FSRCNN's 56 channels), so the `V > i` tests fold away. Returns the first pixel it did not do.
@inline(__always)
private func wideBlocks(_ V: Int, n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int, src: UnsafePointer<Float>,
                        weights: UnsafePointer<V8>, bias: UnsafePointer<V8>, slopes: UnsafePointer<V8>,
                        out: UnsafeMutablePointer<V8>) -> Int {
    var x0 = 0
    while x0 + 2 <= n {
        var a = (bias[0], V > 1 ? bias[1] : V8(), V > 2 ? bias[2] : V8(), V > 3 ? bias[3] : V8(),
                 V > 4 ? bias[4] : V8(), V > 5 ? bias[5] : V8(), V > 6 ? bias[6] : V8(), V > 7 ? bias[7] : V8())
        var d = a
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x0 + q) * csIn
                var w = weights + (r * k + q) * cin * V
                for c in 0..<cin {
                    let b = V8(repeating: s[c]), e = V8(repeating: s[csIn + c])
                    var t = w[0]; a.0 = a.0.addingProduct(b, t); d.0 = d.0.addingProduct(e, t)
                    if V > 1 { t = w[1]; a.1 = a.1.addingProduct(b, t); d.1 = d.1.addingProduct(e, t) }
                    if V > 2 { t = w[2]; a.2 = a.2.addingProduct(b, t); d.2 = d.2.addingProduct(e, t) }
                    if V > 3 { t = w[3]; a.3 = a.3.addingProduct(b, t); d.3 = d.3.addingProduct(e, t) }
                    if V > 4 { t = w[4]; a.4 = a.4.addingProduct(b, t); d.4 = d.4.addingProduct(e, t) }
                    if V > 5 { t = w[5]; a.5 = a.5.addingProduct(b, t); d.5 = d.5.addingProduct(e, t) }
                    if V > 6 { t = w[6]; a.6 = a.6.addingProduct(b, t); d.6 = d.6.addingProduct(e, t) }
                    if V > 7 { t = w[7]; a.7 = a.7.addingProduct(b, t); d.7 = d.7.addingProduct(e, t) }
                    w += V
                }
            }
        }
        @inline(__always) func store(_ p: Int, _ acc: (V8, V8, V8, V8, V8, V8, V8, V8)) {
            let o = out + (x0 + p) * V
            @inline(__always) func put(_ v: Int, _ x: V8) { o[v] = x.replacing(with: x * slopes[v], where: x .< 0) }
            put(0, acc.0)
            if V > 1 { put(1, acc.1) }
            if V > 2 { put(2, acc.2) }
            if V > 3 { put(3, acc.3) }
            if V > 4 { put(4, acc.4) }
            if V > 5 { put(5, acc.5) }
            if V > 6 { put(6, acc.6) }
            if V > 7 { put(7, acc.7) }
        }
        store(0, a)
        store(1, d)
        x0 += 2
    }
    return x0
}

/// The 9-16-channel path (two vectors a pixel): blocks of 6 pixels, 12 accumulators. Returns the first pixel it did
/// not do.
@inline(__always)
private func narrow2Blocks6(n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int, src: UnsafePointer<Float>,
                            weights: UnsafePointer<V8>, bias: UnsafePointer<V8>, slopes: UnsafePointer<V8>,
                            out: UnsafeMutablePointer<V8>) -> Int {
    var x0 = 0
    let s0 = slopes[0], s1 = slopes[1]
    while x0 + 6 <= n {
        var a0 = bias[0], a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        var b0 = bias[1], b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x0 + q) * csIn
                let w = weights + (r * k + q) * cin * 2
                for c in 0..<cin {
                    let w0 = w[2 * c], w1 = w[2 * c + 1], p = s + c
                    var x = V8(repeating: p[0]); a0 = a0.addingProduct(x, w0); b0 = b0.addingProduct(x, w1)
                    x = V8(repeating: p[csIn]); a1 = a1.addingProduct(x, w0); b1 = b1.addingProduct(x, w1)
                    x = V8(repeating: p[2 * csIn]); a2 = a2.addingProduct(x, w0); b2 = b2.addingProduct(x, w1)
                    x = V8(repeating: p[3 * csIn]); a3 = a3.addingProduct(x, w0); b3 = b3.addingProduct(x, w1)
                    x = V8(repeating: p[4 * csIn]); a4 = a4.addingProduct(x, w0); b4 = b4.addingProduct(x, w1)
                    x = V8(repeating: p[5 * csIn]); a5 = a5.addingProduct(x, w0); b5 = b5.addingProduct(x, w1)
                }
            }
        }
        let o = out + x0 * 2
        @inline(__always) func pa(_ a: V8) -> V8 { a.replacing(with: a * s0, where: a .< 0) }
        @inline(__always) func pb(_ a: V8) -> V8 { a.replacing(with: a * s1, where: a .< 0) }
        o[0] = pa(a0); o[1] = pb(b0); o[2] = pa(a1); o[3] = pb(b1); o[4] = pa(a2); o[5] = pb(b2)
        o[6] = pa(a3); o[7] = pb(b3); o[8] = pa(a4); o[9] = pb(b4); o[10] = pa(a5); o[11] = pb(b5)
        x0 += 6
    }
    return x0
}
