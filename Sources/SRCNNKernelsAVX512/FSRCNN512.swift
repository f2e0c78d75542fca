// FSRCNN's kernels for AVX-512 CPUs (512- and 256-bit vectors with FMA): the body convolution over one output row and
// the transposed convolution's dot products. The engine's generic copies (FSRCNNKernels.swift) are the reference.


/// One output row of a body layer, channel-last: for pixel x < n, out[x*V ..< x*V+V] = PReLU(bias + the sum over
/// taps (r, q) < k and input channels c < cin of src[r*rowStride + (x+q)*csIn + c] * weights[((r*k+q)*cin+c)*V ...]).
/// Output channels are padded to V vectors of 8 (the padding lanes' weights, bias and slopes are 0).
public func avx512FSRCNNConvRow(n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int, src: UnsafePointer<Float>,
                                weights: UnsafePointer<V8>, vectors V: Int, bias: UnsafePointer<V8>,
                                slopes: UnsafePointer<V8>, out: UnsafeMutablePointer<V8>) {
    var x0 = 0
    if V <= 2 {
        // Narrow layers (FSRCNN's 12-channel mapping): 16 pixels x one 16-lane vector of accumulators in registers
        // (16 of AVX-512's 32), so each weight load feeds 16 FMAs, each with its input broadcast from memory.
        if V == 2 {
            // 9-16 channels are one 512-bit vector a pixel: blocks of 16, then 8 pixels.
            let W16 = UnsafeRawPointer(weights).assumingMemoryBound(to: V16.self)
            let B16 = UnsafeRawPointer(bias).assumingMemoryBound(to: V16.self)
            let S16 = UnsafeRawPointer(slopes).assumingMemoryBound(to: V16.self)
            let O16 = UnsafeMutableRawPointer(out).assumingMemoryBound(to: V16.self)
            x0 = narrow16Blocks16(from: 0, n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                                  weights: W16, bias: B16, slopes: S16, out: O16)
            x0 = narrow16Blocks8(from: x0, n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                                 weights: W16, bias: B16, slopes: S16, out: O16)
        } else {
            x0 = narrowBlocks(n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                              weights: weights, bias: bias, slopes: slopes, out: out)
        }
    } else if V <= 8 {
        // Wide layers (FSRCNN's 56 channels: four pixels of 16+16+16+8 lanes; others: two pixels x up to 8
        // vectors of 8) with the accumulators in registers; then one pixel at a time for the row's end.
        if V == 7 {
            x0 = wide56Blocks4(n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                               weights: UnsafeRawPointer(weights).assumingMemoryBound(to: Float.self),
                               bias: UnsafeRawPointer(bias).assumingMemoryBound(to: Float.self),
                               slopes: UnsafeRawPointer(slopes).assumingMemoryBound(to: Float.self),
                               out: UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self))
        } else {
            x0 = wideBlocks(V, n: n, k: k, cin: cin, csIn: csIn, rowStride: rowStride, src: src,
                            weights: weights, bias: bias, slopes: slopes, out: out)
        }
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
public func avx512FSRCNNDeconvRow(columns: Range<Int>, features f: UnsafePointer<V8>, featureWidth w: Int,
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
public func avx512FSRCNNDeconvInterior(columns: Range<Int>, scale s: Int, features f: UnsafePointer<V8>,
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

/// The narrow path's 8-pixel blocks for up to 8 channels (see `avx512FSRCNNConvRow`). Returns the first pixel it
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

/// The wide path's 2-pixel blocks (see `avx512FSRCNNConvRow`), with V a constant after inlining when it is 7
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

/// The 9-16-channel path: pixels x0 ..< x0 + 16*blocks (V16 accumulators, one a pixel); same sums in the same order
/// per lane as the 8-lane kernels. Returns the first pixel it did not do.
@inline(never)
private func narrow16Blocks16(from start: Int, n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int,
                              src: UnsafePointer<Float>, weights: UnsafePointer<V16>, bias: UnsafePointer<V16>,
                              slopes: UnsafePointer<V16>, out: UnsafeMutablePointer<V16>) -> Int {
    var x0 = start
    let sl = slopes[0]
    while x0 + 16 <= n {
        var a0 = bias[0], a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        var a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x0 + q) * csIn
                let w = weights + (r * k + q) * cin
                for c in 0..<cin {
                    let wv = w[c], p = s + c
                    a0 = a0.addingProduct(V16(repeating: p[0]), wv)
                    a1 = a1.addingProduct(V16(repeating: p[csIn]), wv)
                    a2 = a2.addingProduct(V16(repeating: p[2 * csIn]), wv)
                    a3 = a3.addingProduct(V16(repeating: p[3 * csIn]), wv)
                    a4 = a4.addingProduct(V16(repeating: p[4 * csIn]), wv)
                    a5 = a5.addingProduct(V16(repeating: p[5 * csIn]), wv)
                    a6 = a6.addingProduct(V16(repeating: p[6 * csIn]), wv)
                    a7 = a7.addingProduct(V16(repeating: p[7 * csIn]), wv)
                    a8 = a8.addingProduct(V16(repeating: p[8 * csIn]), wv)
                    a9 = a9.addingProduct(V16(repeating: p[9 * csIn]), wv)
                    a10 = a10.addingProduct(V16(repeating: p[10 * csIn]), wv)
                    a11 = a11.addingProduct(V16(repeating: p[11 * csIn]), wv)
                    a12 = a12.addingProduct(V16(repeating: p[12 * csIn]), wv)
                    a13 = a13.addingProduct(V16(repeating: p[13 * csIn]), wv)
                    a14 = a14.addingProduct(V16(repeating: p[14 * csIn]), wv)
                    a15 = a15.addingProduct(V16(repeating: p[15 * csIn]), wv)
                }
            }
        }
        let o = out + x0
        @inline(__always) func prelu(_ a: V16) -> V16 { a.replacing(with: a * sl, where: a .< 0) }
        o[0] = prelu(a0); o[1] = prelu(a1); o[2] = prelu(a2); o[3] = prelu(a3)
        o[4] = prelu(a4); o[5] = prelu(a5); o[6] = prelu(a6); o[7] = prelu(a7)
        o[8] = prelu(a8); o[9] = prelu(a9); o[10] = prelu(a10); o[11] = prelu(a11)
        o[12] = prelu(a12); o[13] = prelu(a13); o[14] = prelu(a14); o[15] = prelu(a15)
        x0 += 16
    }
    return x0
}

/// As `narrow16Blocks16`, in blocks of 8 pixels (the rest of a row).
@inline(never)
private func narrow16Blocks8(from start: Int, n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int,
                             src: UnsafePointer<Float>, weights: UnsafePointer<V16>, bias: UnsafePointer<V16>,
                             slopes: UnsafePointer<V16>, out: UnsafeMutablePointer<V16>) -> Int {
    var x0 = start
    let sl = slopes[0]
    while x0 + 8 <= n {
        var a0 = bias[0], a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x0 + q) * csIn
                let w = weights + (r * k + q) * cin
                for c in 0..<cin {
                    let wv = w[c], p = s + c
                    a0 = a0.addingProduct(V16(repeating: p[0]), wv)
                    a1 = a1.addingProduct(V16(repeating: p[csIn]), wv)
                    a2 = a2.addingProduct(V16(repeating: p[2 * csIn]), wv)
                    a3 = a3.addingProduct(V16(repeating: p[3 * csIn]), wv)
                    a4 = a4.addingProduct(V16(repeating: p[4 * csIn]), wv)
                    a5 = a5.addingProduct(V16(repeating: p[5 * csIn]), wv)
                    a6 = a6.addingProduct(V16(repeating: p[6 * csIn]), wv)
                    a7 = a7.addingProduct(V16(repeating: p[7 * csIn]), wv)
                }
            }
        }
        let o = out + x0
        @inline(__always) func prelu(_ a: V16) -> V16 { a.replacing(with: a * sl, where: a .< 0) }
        o[0] = prelu(a0); o[1] = prelu(a1); o[2] = prelu(a2); o[3] = prelu(a3)
        o[4] = prelu(a4); o[5] = prelu(a5); o[6] = prelu(a6); o[7] = prelu(a7)
        x0 += 8
    }
    return x0
}

/// The 49-56-channel path (FSRCNN's d = 56): pixels in blocks of 4, each pixel's 56 floats as vectors of 16, 16, 16
/// and 8 lanes (16 accumulators in registers; each weight load feeds 4 FMAs); same sums in the same order per lane
/// as the 8-lane kernels. Returns the first pixel it did not do.
@inline(never)
private func wide56Blocks4(n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int, src: UnsafePointer<Float>,
                           weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, slopes: UnsafePointer<Float>,
                           out: UnsafeMutablePointer<Float>) -> Int {
    @inline(__always) func l16(_ p: UnsafePointer<Float>) -> V16 { UnsafeRawPointer(p).loadUnaligned(as: V16.self) }
    @inline(__always) func l8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    let s0 = l16(slopes), s1 = l16(slopes + 16), s2 = l16(slopes + 32), s3 = l8(slopes + 48)
    var x0 = 0
    while x0 + 4 <= n {
        var p0 = (l16(bias), l16(bias + 16), l16(bias + 32), l8(bias + 48))
        var p1 = p0, p2 = p0, p3 = p0
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x0 + q) * csIn
                var w = weights + (r * k + q) * cin * 56
                for c in 0..<cin {
                    let w0 = l16(w), w1 = l16(w + 16), w2 = l16(w + 32), w3 = l8(w + 48)
                    var b = V16(repeating: s[c]), h = V8(repeating: s[c])
                    p0.0 = p0.0.addingProduct(b, w0); p0.1 = p0.1.addingProduct(b, w1)
                    p0.2 = p0.2.addingProduct(b, w2); p0.3 = p0.3.addingProduct(h, w3)
                    b = V16(repeating: s[csIn + c]); h = V8(repeating: s[csIn + c])
                    p1.0 = p1.0.addingProduct(b, w0); p1.1 = p1.1.addingProduct(b, w1)
                    p1.2 = p1.2.addingProduct(b, w2); p1.3 = p1.3.addingProduct(h, w3)
                    b = V16(repeating: s[2 * csIn + c]); h = V8(repeating: s[2 * csIn + c])
                    p2.0 = p2.0.addingProduct(b, w0); p2.1 = p2.1.addingProduct(b, w1)
                    p2.2 = p2.2.addingProduct(b, w2); p2.3 = p2.3.addingProduct(h, w3)
                    b = V16(repeating: s[3 * csIn + c]); h = V8(repeating: s[3 * csIn + c])
                    p3.0 = p3.0.addingProduct(b, w0); p3.1 = p3.1.addingProduct(b, w1)
                    p3.2 = p3.2.addingProduct(b, w2); p3.3 = p3.3.addingProduct(h, w3)
                    w += 56
                }
            }
        }
        @inline(__always) func put(_ i: Int, _ a: (V16, V16, V16, V8)) {
            let o = UnsafeMutableRawPointer(out + (x0 + i) * 56)
            o.storeBytes(of: a.0.replacing(with: a.0 * s0, where: a.0 .< 0), as: V16.self)
            o.storeBytes(of: a.1.replacing(with: a.1 * s1, where: a.1 .< 0), toByteOffset: 64, as: V16.self)
            o.storeBytes(of: a.2.replacing(with: a.2 * s2, where: a.2 .< 0), toByteOffset: 128, as: V16.self)
            o.storeBytes(of: a.3.replacing(with: a.3 * s3, where: a.3 .< 0), toByteOffset: 192, as: V8.self)
        }
        put(0, p0); put(1, p1); put(2, p2); put(3, p3)
        x0 += 4
    }
    return x0
}
