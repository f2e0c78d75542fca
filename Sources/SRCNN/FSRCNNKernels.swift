// FSRCNN's generic kernels (any CPU, plain SIMD without FMA): the body convolution over one output row and the
// transposed convolution's rows; the AVX-512 and AVX2 families have the same functions (FSRCNN512.swift, FSRCNN256.swift).
import SRCNNKernelCommon

/// See `avx512FSRCNNConvRow`: the same sums in the same order, with separate multiplies and adds.
func genericFSRCNNConvRow(n: Int, k: Int, cin: Int, csIn: Int, rowStride: Int, src: UnsafePointer<Float>,
                          weights: UnsafePointer<V8>, vectors V: Int, bias: UnsafePointer<V8>,
                          slopes: UnsafePointer<V8>, out: UnsafeMutablePointer<V8>) {
    for x in 0..<n {
        let acc = out + x * V
        for v in 0..<V { acc[v] = bias[v] }
        for r in 0..<k {
            for q in 0..<k {
                let s = src + r * rowStride + (x + q) * csIn
                var w = weights + (r * k + q) * cin * V
                for c in 0..<cin {
                    let b = V8(repeating: s[c])
                    for v in 0..<V { acc[v] += b * w[v] }
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

/// See `avx512FSRCNNDeconvRow`.
func genericFSRCNNDeconvRow(columns: Range<Int>, features f: UnsafePointer<V8>, featureWidth w: Int, vectors V: Int,
                            weights: UnsafePointer<V8>, kernel k: Int, bias: Float,
                            rowsForY: UnsafePointer<(Int, Int)>, rowCount: Int,
                            cols: UnsafePointer<(Int, Int)>, colStart: UnsafePointer<Int>,
                            out: UnsafeMutablePointer<Float>) {
    for X in columns {
        var s0 = V8(), s1 = V8(), s2 = V8(), s3 = V8()
        for i in 0..<rowCount {
            let (fy, ky) = rowsForY[i]
            for j in colStart[X]..<colStart[X + 1] {
                let (fx, kx) = cols[j]
                let a = f + (fy * w + fx) * V, b = weights + (ky * k + kx) * V
                var v = 0
                while v + 4 <= V {
                    s0 += a[v] * b[v]; s1 += a[v + 1] * b[v + 1]
                    s2 += a[v + 2] * b[v + 2]; s3 += a[v + 3] * b[v + 3]
                    v += 4
                }
                if v < V { s0 += a[v] * b[v] }
                if v + 1 < V { s1 += a[v + 1] * b[v + 1] }
                if v + 2 < V { s2 += a[v + 2] * b[v + 2] }
            }
        }
        out[X] = bias + ((s0 + s1) + (s2 + s3)).sum()
    }
}

/// See `avx512FSRCNNDeconvInterior` (the same sums in the same order, one LR column at a time).
func genericFSRCNNDeconvInterior(columns: Range<Int>, scale s: Int, features f: UnsafePointer<V8>,
                                 featureWidth w: Int, vectors V: Int, weights: UnsafePointer<V8>, kernel k: Int,
                                 bias: Float, rowsForY: UnsafePointer<(Int, Int)>, rowCount: Int,
                                 taps: UnsafePointer<(Int, Int)>, tapStart: UnsafePointer<Int>,
                                 out: UnsafeMutablePointer<Float>) {
    for x0 in columns {
        for px in 0..<s {
            var a0 = V8()
            for i in 0..<rowCount {
                let (fy, ky) = rowsForY[i]
                for t in tapStart[px]..<tapStart[px + 1] {
                    let (j, kx) = taps[t]
                    let b = weights + (ky * k + kx) * V, a = f + (fy * w + x0 - j) * V
                    for v in 0..<V { a0 += a[v] * b[v] }
                }
            }
            out[s * x0 + px] = bias + a0.sum()
        }
    }
}
