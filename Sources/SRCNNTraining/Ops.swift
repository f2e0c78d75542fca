// Ops: forward/backward pairs for valid convolution, ReLU and the MSE loss on a batch of patches.
//
// Layout: activations of a batch are channel-major, (C, N, H, W): channel c of sample n starts at
// ((c * N) + n) * H * W. For C == 1 (the network input and output) this is the same as (N, C, H, W).
// Channel-major lets one GEMM cover the whole batch: im2col gives (Cin*k*k, N*Ho*Wo) and
// W (Cout, Cin*k*k) x col = (Cout, N*Ho*Wo), which is the next layer's (C, N, H, W) input as it is.
import CBLAS

/// One valid convolution applied to a batch: (Cin, N, H, W) -> (Cout, N, H-k+1, W-k+1).
public struct ConvShape: Equatable, Sendable {
    public var inChannels, outChannels, kernel, batch, height, width: Int
    public init(inChannels: Int, outChannels: Int, kernel: Int, batch: Int, height: Int, width: Int) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.batch = batch; self.height = height; self.width = width
    }
    public var outHeight: Int { height - kernel + 1 }
    public var outWidth: Int { width - kernel + 1 }
    /// Rows of the im2col matrix (Cin*k*k) = columns of the weight matrix.
    public var patchSize: Int { inChannels * kernel * kernel }
    /// Columns of the im2col matrix (N*Ho*Wo).
    public var columns: Int { batch * outHeight * outWidth }
    public var inputCount: Int { inChannels * batch * height * width }
    public var outputCount: Int { outChannels * columns }
    public var colCount: Int { patchSize * columns }
    public var weightCount: Int { outChannels * patchSize }
}

public enum Ops {
    /// d[0..<n] = s[0..<n] with 8-wide vector moves (rows here are ~20 floats: cheaper than a memmove call).
    @inline(__always)
    static func copyRow(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
        let dr = UnsafeMutableRawPointer(d), sr = UnsafeRawPointer(s)
        var i = 0
        while i + 8 <= n {
            dr.storeBytes(of: sr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { d[i] = s[i]; i += 1 }
    }

    /// d[0..<n] += s[0..<n], 8 wide.
    @inline(__always)
    static func addRow(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
        let dr = UnsafeMutableRawPointer(d), sr = UnsafeRawPointer(s)
        var i = 0
        while i + 8 <= n {
            let v = dr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) + sr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            dr.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { d[i] += s[i]; i += 1 }
    }

    /// x (Cin, N, H, W) -> col (Cin*k*k, N*Ho*Wo); row (c, r, s), column (n, y, x) holds x[c, n, y+r, x+s].
    public static func im2col(_ x: UnsafePointer<Float>, _ s: ConvShape, _ col: UnsafeMutablePointer<Float>) {
        let k = s.kernel, H = s.height, W = s.width, ho = s.outHeight, wo = s.outWidth, N = s.batch
        let P = ho * wo, NP = N * P
        for c in 0..<s.inChannels {
            for r in 0..<k {
                for q in 0..<k {
                    let dst = col + ((c * k + r) * k + q) * NP
                    for n in 0..<N {
                        let plane = x + (c * N + n) * H * W
                        for y in 0..<ho {
                            copyRow(dst + n * P + y * wo, plane + (y + r) * W + q, wo)
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: dx (Cin, N, H, W) = sum of col entries over the places each sample was copied to.
    public static func col2im(_ col: UnsafePointer<Float>, _ s: ConvShape, _ dx: UnsafeMutablePointer<Float>) {
        let k = s.kernel, H = s.height, W = s.width, ho = s.outHeight, wo = s.outWidth, N = s.batch
        let P = ho * wo, NP = N * P
        dx.update(repeating: 0, count: s.inputCount)
        for c in 0..<s.inChannels {
            for r in 0..<k {
                for q in 0..<k {
                    let src = col + ((c * k + r) * k + q) * NP
                    for n in 0..<N {
                        let plane = dx + (c * N + n) * H * W
                        for y in 0..<ho {
                            let d = plane + (y + r) * W + q, sp = src + n * P + y * wo
                            addRow(d, sp, wo)
                        }
                    }
                }
            }
        }
    }

    /// Forward: x (Cin, N, H, W), w (Cout, Cin, k, k), b (Cout) -> y (Cout, N, Ho, Wo).
    /// `col` (Cin*k*k, N*Ho*Wo) receives im2col(x), kept for the backward pass.
    public static func convForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   _ y: UnsafeMutablePointer<Float>, _ s: ConvShape, col: UnsafeMutablePointer<Float>) {
        im2col(x, s, col)
        let M = s.outChannels, NP = s.columns, K = s.patchSize
        srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_NO_TRANS, Int32(M), Int32(NP), Int32(K),
                    1, w, Int32(K), col, Int32(NP), 0, y, Int32(NP))
        for o in 0..<M {
            let row = y + o * NP, bo = b[o]
            for i in 0..<NP { row[i] += bo }
        }
    }

    /// Backward: given dy (Cout, N, Ho, Wo) and the forward's `col`,
    /// dw (Cout, Cin, k, k) += dy x col^T, db (Cout) += row sums of dy, and if `dx` is given,
    /// dx (Cin, N, H, W) = col2im(w^T x dy) (overwritten). `scratch` (Cin*k*k, N*Ho*Wo) is needed for dx.
    public static func convBackward(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, col: UnsafePointer<Float>,
                                    _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>,
                                    _ dx: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>?,
                                    _ s: ConvShape) {
        let M = s.outChannels, NP = s.columns, K = s.patchSize
        srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_TRANS, Int32(M), Int32(K), Int32(NP),
                    1, dy, Int32(NP), col, Int32(NP), 1, dw, Int32(K))
        for o in 0..<M { db[o] += rowSum(dy + o * NP, NP) }
        if let dx, let scratch {
            srcnn_sgemm(SRCNN_BLAS_TRANS, SRCNN_BLAS_NO_TRANS, Int32(K), Int32(NP), Int32(M),
                        1, w, Int32(K), dy, Int32(NP), 0, scratch, Int32(NP))
            col2im(scratch, s, dx)
        }
    }

    /// d[0..<n] += a * s[0..<n], 8 wide.
    @inline(__always)
    static func axpyRow(_ a: Float, _ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        let dr = UnsafeMutableRawPointer(d), sr = UnsafeRawPointer(s)
        let av = SIMD8<Float>(repeating: a)
        var i = 0
        while i + 8 <= n {
            let v = dr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) + av * sr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            dr.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { d[i] += a * s[i]; i += 1 }
    }

    /// sum s1[i] * s2[i] with 8 partial sums.
    @inline(__always)
    static func dotRow(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b)
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            acc += ar.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * br.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Forward of a layer with one output channel (SRCNN's last), computed directly (no im2col: a GEMM with
    /// one row would spend its time writing and reading the column matrix). x (Cin, N, H, W) -> y (1, N, Ho, Wo).
    public static func convForwardSingle(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                         _ y: UnsafeMutablePointer<Float>, _ s: ConvShape) {
        precondition(s.outChannels == 1)
        let k = s.kernel, H = s.height, W = s.width, ho = s.outHeight, wo = s.outWidth, N = s.batch
        y.update(repeating: b[0], count: s.outputCount)
        for n in 0..<N {
            for c in 0..<s.inChannels {
                let plane = x + (c * N + n) * H * W
                for r in 0..<k {
                    for q in 0..<k {
                        let a = w[(c * k + r) * k + q]
                        for yy in 0..<ho { axpyRow(a, plane + (yy + r) * W + q, y + (n * ho + yy) * wo, wo) }
                    }
                }
            }
        }
    }

    /// Backward of `convForwardSingle`: dw (1, Cin, k, k) += correlation of x with dy, db += sum dy,
    /// dx (Cin, N, H, W) = w spread by dy (overwritten) if given.
    public static func convBackwardSingle(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                          _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>,
                                          _ dx: UnsafeMutablePointer<Float>?, _ s: ConvShape) {
        precondition(s.outChannels == 1)
        let k = s.kernel, H = s.height, W = s.width, ho = s.outHeight, wo = s.outWidth, N = s.batch
        db[0] += rowSum(dy, s.outputCount)
        if let dx { dx.update(repeating: 0, count: s.inputCount) }
        for n in 0..<N {
            for c in 0..<s.inChannels {
                let plane = x + (c * N + n) * H * W
                for r in 0..<k {
                    for q in 0..<k {
                        var acc: Float = 0
                        for yy in 0..<ho { acc += dotRow(dy + (n * ho + yy) * wo, plane + (yy + r) * W + q, wo) }
                        dw[(c * k + r) * k + q] += acc
                    }
                }
                if let dx {
                    let dplane = dx + (c * N + n) * H * W
                    for r in 0..<k {
                        for q in 0..<k {
                            let a = w[(c * k + r) * k + q]
                            for yy in 0..<ho { axpyRow(a, dy + (n * ho + yy) * wo, dplane + (yy + r) * W + q, wo) }
                        }
                    }
                }
            }
        }
    }

    /// ReLU in place: y = max(0, x), any shape of `count` values.
    public static func reluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = max(0, x[i]) }
    }

    /// ReLU backward in place from its output y: dx = dy where y > 0, else 0.
    public static func reluBackward(_ y: UnsafePointer<Float>, _ dy: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dy[i] = y[i] > 0 ? dy[i] : 0 }   // branch-free so it vectorises
    }

    /// Sum of n floats with 8 partial sums (vectorises; a fixed order, so deterministic).
    @inline(__always)
    static func rowSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// MSE objective in Caffe's EuclideanLoss form, L = 1/(2*batch) * sum (y - t)^2 over all `count` values
    /// of a batch of `batch` patches (y, t: (N, 1, Ho, Wo)); writes dL/dy = (y - t)/batch to `dy`.
    /// Returns the sum of squared errors (not normalised) so callers can combine parts of a batch exactly.
    @discardableResult
    public static func mseForwardBackward(_ y: UnsafePointer<Float>, _ t: UnsafePointer<Float>, count: Int,
                                          batch: Int, dy: UnsafeMutablePointer<Float>) -> Double {
        let inv = 1 / Float(batch)
        var sse: Double = 0
        for i in 0..<count {
            let d = y[i] - t[i]
            sse += Double(d * d)
            dy[i] = d * inv
        }
        return sse
    }

    /// The objective for a whole batch from its sum of squared errors.
    public static func mseLoss(sse: Double, batch: Int) -> Double { sse / (2 * Double(batch)) }
}
