// AVX2+FMA register-blocked direct convolution (implicit GEMM) kernels on 256-bit vectors; compiled for haswell,
// called only after a CPU check. The same functions as SRCNNKernelsAVX512/DirectConv.swift, blocked for 16 ymm registers.
@_exported import SRCNNKernelCommon

@inline(__always) func load(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
@inline(__always) func store(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
}

/// The pixel block of `avx2DirectConv`: N must be a multiple of it.
public let avx2DirectConvBlock = 24

/// C[o][j] (+)= Σ_kk AT[kk][o] · base[offsets[kk] + j] for o < m, j < n (n a multiple of 24).
/// `AT` is the weight matrix transposed (K x M, row kk holds the M weights of input row kk).
/// `base + offsets[kk]` is row kk of the implicit B matrix: a shifted view of the padded input, read without copying.
/// Blocks of 4 outputs x 24 pixels: 12 accumulators + 3 loads + 1 broadcast = the 16 ymm registers.
public func avx2DirectConv(m M: Int, k K: Int, n N: Int, at AT: UnsafePointer<Float>,
                           base: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                           c C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    var n0 = 0
    while n0 < N {
        var m0 = 0
        while m0 + 4 <= M {
            kernel4x24(m0: m0, n0: n0, M: M, K: K, AT: AT, base: base, offsets: offsets, C: C, ldc: ldc,
                       accumulate: accumulate)
            m0 += 4
        }
        while m0 < M {
            kernel1x24(m0: m0, n0: n0, M: M, K: K, AT: AT, base: base, offsets: offsets, C: C, ldc: ldc,
                       accumulate: accumulate)
            m0 += 1
        }
        n0 += 24
    }
}

@inline(__always)
func kernel4x24(m0: Int, n0: Int, M: Int, K: Int, AT: UnsafePointer<Float>, base: UnsafePointer<Float>,
                offsets: UnsafePointer<Int>, C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    var c0a = V8(), c0b = V8(), c0c = V8()
    var c1a = V8(), c1b = V8(), c1c = V8()
    var c2a = V8(), c2b = V8(), c2c = V8()
    var c3a = V8(), c3b = V8(), c3c = V8()
    var a = AT + m0
    for kk in 0..<K {
        let b = base + offsets[kk] + n0
        let ba = load(b), bb = load(b + 8), bc = load(b + 16)
        var w = V8(repeating: a[0])
        c0a.addProduct(w, ba); c0b.addProduct(w, bb); c0c.addProduct(w, bc)
        w = V8(repeating: a[1])
        c1a.addProduct(w, ba); c1b.addProduct(w, bb); c1c.addProduct(w, bc)
        w = V8(repeating: a[2])
        c2a.addProduct(w, ba); c2b.addProduct(w, bb); c2c.addProduct(w, bc)
        w = V8(repeating: a[3])
        c3a.addProduct(w, ba); c3b.addProduct(w, bb); c3c.addProduct(w, bc)
        a += M
    }
    let out = C + m0 * ldc + n0
    if accumulate {
        c0a += load(out); c0b += load(out + 8); c0c += load(out + 16)
        c1a += load(out + ldc); c1b += load(out + ldc + 8); c1c += load(out + ldc + 16)
        c2a += load(out + 2 * ldc); c2b += load(out + 2 * ldc + 8); c2c += load(out + 2 * ldc + 16)
        c3a += load(out + 3 * ldc); c3b += load(out + 3 * ldc + 8); c3c += load(out + 3 * ldc + 16)
    }
    store(c0a, out); store(c0b, out + 8); store(c0c, out + 16)
    store(c1a, out + ldc); store(c1b, out + ldc + 8); store(c1c, out + ldc + 16)
    store(c2a, out + 2 * ldc); store(c2b, out + 2 * ldc + 8); store(c2c, out + 2 * ldc + 16)
    store(c3a, out + 3 * ldc); store(c3b, out + 3 * ldc + 8); store(c3c, out + 3 * ldc + 16)
}

@inline(__always)
func kernel1x24(m0: Int, n0: Int, M: Int, K: Int, AT: UnsafePointer<Float>, base: UnsafePointer<Float>,
                offsets: UnsafePointer<Int>, C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    // One output row: three independent accumulator triples (taps kk mod 3) hide the FMA latency.
    var a0 = V8(), b0 = V8(), c0 = V8(), a1 = V8(), b1 = V8(), c1 = V8(), a2 = V8(), b2 = V8(), c2 = V8()
    let a = AT + m0
    var kk = 0
    while kk + 3 <= K {
        let p0 = base + offsets[kk] + n0, p1 = base + offsets[kk + 1] + n0, p2 = base + offsets[kk + 2] + n0
        let w0 = V8(repeating: a[kk * M]), w1 = V8(repeating: a[(kk + 1) * M]), w2 = V8(repeating: a[(kk + 2) * M])
        a0.addProduct(w0, load(p0)); b0.addProduct(w0, load(p0 + 8)); c0.addProduct(w0, load(p0 + 16))
        a1.addProduct(w1, load(p1)); b1.addProduct(w1, load(p1 + 8)); c1.addProduct(w1, load(p1 + 16))
        a2.addProduct(w2, load(p2)); b2.addProduct(w2, load(p2 + 8)); c2.addProduct(w2, load(p2 + 16))
        kk += 3
    }
    while kk < K {
        let p = base + offsets[kk] + n0
        let w = V8(repeating: a[kk * M])
        a0.addProduct(w, load(p)); b0.addProduct(w, load(p + 8)); c0.addProduct(w, load(p + 16))
        kk += 1
    }
    var ra = (a0 + a1) + a2, rb = (b0 + b1) + b2, rc = (c0 + c1) + c2
    let out = C + m0 * ldc + n0
    if accumulate { ra += load(out); rb += load(out + 8); rc += load(out + 16) }
    store(ra, out); store(rb, out + 8); store(rc, out + 16)
}

/// Channel-last output: C[t·ldc + o] = Σ_kk base[offsets[kk] + t] · W[kk·M + o] for t < n, o < m
/// (m a multiple of 16). Pixels are broadcast, weights are vectors: blocks of 6 pixels x 16 outputs.
public func avx2DirectConvChannelLast(m M: Int, k K: Int, n N: Int, w W: UnsafePointer<Float>,
                                      base: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                                      c C: UnsafeMutablePointer<Float>, ldc: Int) {
    var o0 = 0
    while o0 < M {
        var t0 = 0
        while t0 + 6 <= N {
            clBlock6x16(t0: t0, o0: o0, M: M, K: K, W: W, base: base, offsets: offsets, C: C, ldc: ldc)
            t0 += 6
        }
        while t0 < N {   // leftover pixels, one at a time
            var a0 = V8(), a1 = V8()
            for kk in 0..<K {
                let x = V8(repeating: base[offsets[kk] + t0])
                let w = W + kk * M + o0
                a0.addProduct(x, load(w)); a1.addProduct(x, load(w + 8))
            }
            store(a0, C + t0 * ldc + o0); store(a1, C + t0 * ldc + o0 + 8)
            t0 += 1
        }
        o0 += 16
    }
}

@inline(__always)
func clBlock6x16(t0: Int, o0: Int, M: Int, K: Int, W: UnsafePointer<Float>, base: UnsafePointer<Float>,
                 offsets: UnsafePointer<Int>, C: UnsafeMutablePointer<Float>, ldc: Int) {
    var a0 = V8(), a1 = V8(), b0 = V8(), b1 = V8(), c0 = V8(), c1 = V8()
    var d0 = V8(), d1 = V8(), e0 = V8(), e1 = V8(), f0 = V8(), f1 = V8()
    for kk in 0..<K {
        let w = W + kk * M + o0
        let w0 = load(w), w1 = load(w + 8)
        let p = base + offsets[kk] + t0
        var x = V8(repeating: p[0]); a0.addProduct(x, w0); a1.addProduct(x, w1)
        x = V8(repeating: p[1]); b0.addProduct(x, w0); b1.addProduct(x, w1)
        x = V8(repeating: p[2]); c0.addProduct(x, w0); c1.addProduct(x, w1)
        x = V8(repeating: p[3]); d0.addProduct(x, w0); d1.addProduct(x, w1)
        x = V8(repeating: p[4]); e0.addProduct(x, w0); e1.addProduct(x, w1)
        x = V8(repeating: p[5]); f0.addProduct(x, w0); f1.addProduct(x, w1)
    }
    var o = C + t0 * ldc + o0
    store(a0, o); store(a1, o + 8); o += ldc
    store(b0, o); store(b1, o + 8); o += ldc
    store(c0, o); store(c1, o + 8); o += ldc
    store(d0, o); store(d1, o + 8); o += ldc
    store(e0, o); store(e1, o + 8); o += ldc
    store(f0, o); store(f1, o + 8)
}
