// Trainable FSRCNN: valid convolutions + PReLU on LR patches, the transposed convolution onto an HR label window.
//
// Layout as in Ops: activations channel-major (C, N, H, W); the body's convolutions are Ops.convForward/Backward.
// The deconvolution, with F (d, N, h, h) the last body output (LR patch positions R..<R+h), k its kernel,
// p = k/2 - (s-1)/2: contributions C (k*k, N*h*h) = Wd^T F, then out[n, Y, X] = b + sum of C[(ky, kx), (n, y, x)]
// over Y = s*(y+R) - p + ky, X = s*(x+R) - p + kx (HR patch coordinates) inside the label window.
import CBLAS
import Dispatch
import Foundation
import SRCNN

/// Where an FSRCNN training patch's label lies: an LR patch of side `lrPatch` loses `radius` per side to the
/// valid convolutions; the HR pixels whose every deconvolution tap reads a valid feature form the label window
/// `labelStart ..< labelStart + labelSide` (HR patch coordinates, both axes). `storedStart`/`storedSide` is that
/// window together with its mirror image (for even scales they differ by one pixel), what the patch set keeps so
/// that any flip of a stored patch still holds its label window.
public struct FSRCNNGeometry: Equatable, Sendable {
    public let scale, lrPatch, radius, kernel, padding: Int
    public let labelStart, labelSide, storedStart, storedSide: Int

    public init(arch: Architecture, scale: Int, lrPatch: Int) throws {
        precondition(arch.isFSRCNN, "FSRCNNGeometry needs an FSRCNN architecture")
        let R = arch.border, k = arch.kernels.last!, s = scale, n = lrPatch
        let p = k / 2 - (s - 1) / 2
        // ceil((Y + p - k + 1) / s) >= R and floor((Y + p) / s) <= n - R - 1.
        let y0 = s * (R - 1) + k - p, y1 = s * (n - R) - p - 1
        guard n - 2 * R >= 1, y1 >= y0 else {
            throw SRCNNError.invalidArgument("LR patch \(n) is too small for \(arch.name) x\(s): the convolutions take "
                                             + "\(R) per side and the deconvolution needs \(k) taps")
        }
        self.scale = s; self.lrPatch = n; radius = R; kernel = k; padding = p
        labelStart = y0; labelSide = y1 - y0 + 1
        let mirror = s * n - y0 - labelSide
        storedStart = min(y0, mirror)
        storedSide = max(y0, mirror) + labelSide - storedStart
    }

    /// Side of the valid feature map the deconvolution reads.
    public var featureSide: Int { lrPatch - 2 * radius }
    /// Offset of the label window inside the stored window.
    public var labelOffset: Int { labelStart - storedStart }
}

/// Per-thread buffers of one chunk of patches.
final class FSRCNNWorker {
    let views: [LayerView]
    let geometry: FSRCNNGeometry
    let capacity: Int
    var pre: [UnsafeMutablePointer<Float>] = []    // pre[l]: layer l's output before its PReLU
    var acts: [UnsafeMutablePointer<Float>] = []   // acts[l]: layer l's input (acts[0] = LR patches)
    var cols: [UnsafeMutablePointer<Float>] = []
    let contrib: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    var gradA: UnsafeMutablePointer<Float>, gradB: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    private var owned: [UnsafeMutablePointer<Float>] = []

    private static func alloc(_ n: Int, _ owned: inout [UnsafeMutablePointer<Float>]) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
        p.initialize(repeating: 0, count: max(1, n))
        owned.append(p)
        return p
    }

    init(views: [LayerView], geometry g: FSRCNNGeometry, capacity n: Int) {
        self.views = views; self.geometry = g; self.capacity = n
        var own: [UnsafeMutablePointer<Float>] = []
        var side = g.lrPatch, maxAct = 0, maxCol = 0
        for v in views.dropLast() {
            let s = ConvShape(inChannels: v.inChannels, outChannels: v.outChannels, kernel: v.kernel, batch: n,
                              height: side, width: side)
            acts.append(FSRCNNWorker.alloc(s.inputCount, &own))
            cols.append(FSRCNNWorker.alloc(s.colCount, &own))
            pre.append(FSRCNNWorker.alloc(s.outputCount, &own))
            maxAct = max(maxAct, s.inputCount, s.outputCount); maxCol = max(maxCol, s.colCount)
            side = s.outHeight
        }
        let d = views.last!.inChannels, k = g.kernel
        acts.append(FSRCNNWorker.alloc(d * n * side * side, &own))
        contrib = FSRCNNWorker.alloc(k * k * n * side * side, &own)
        output = FSRCNNWorker.alloc(n * g.labelSide * g.labelSide, &own)
        maxAct = max(maxAct, k * k * n * side * side)
        gradA = FSRCNNWorker.alloc(maxAct, &own); gradB = FSRCNNWorker.alloc(maxAct, &own)
        scratch = FSRCNNWorker.alloc(maxCol, &own)
        owned = own
    }
    deinit { for p in owned { p.deallocate() } }

    /// Forward + backward of `n` patches: `inputs` (n, lrPatch, lrPatch), `labels` (n, L, L). Adds dL/dparams of
    /// L = 1/(2*batch) sum (y - t)^2 to `grads`; returns the sum of squared errors.
    func run(params P: UnsafePointer<Float>, inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>, n: Int,
             batch: Int, grads G: UnsafeMutablePointer<Float>) -> Double {
        let g = geometry, L = g.labelSide, body = views.dropLast()
        var shapes: [ConvShape] = []
        var side = g.lrPatch
        for v in body {
            let s = ConvShape(inChannels: v.inChannels, outChannels: v.outChannels, kernel: v.kernel, batch: n,
                              height: side, width: side)
            shapes.append(s); side = s.outHeight
        }
        acts[0].update(from: inputs, count: n * g.lrPatch * g.lrPatch)
        for (l, v) in body.enumerated() {
            let s = shapes[l]
            Ops.convForward(acts[l], P + v.weightOffset, P + v.biasOffset, pre[l], s, col: cols[l])
            FSRCNNOps.preluForward(pre[l], slopes: P + v.slopeOffset, acts[l + 1], channels: v.outChannels,
                                   perChannel: s.columns)
        }
        let dv = views.last!, h = side, NP = n * h * h, kk = g.kernel * g.kernel
        FSRCNNOps.deconvForward(acts[body.count], P + dv.weightOffset, P[dv.biasOffset], contrib, output,
                                d: dv.inChannels, n: n, featureSide: h, geometry: g)
        let sse = Ops.mseForwardBackward(output, labels, count: n * L * L, batch: batch, dy: gradA)
        // Deconvolution backward: dC gathered from dOut, then dWd += F dC^T, db += sum dOut, dF = Wd dC.
        FSRCNNOps.deconvGather(gradA, contrib, n: n, featureSide: h, geometry: g)
        G[dv.biasOffset] += Ops.rowSum(gradA, n * L * L)
        srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_TRANS, Int32(dv.inChannels), Int32(kk), Int32(NP),
                    1, acts[body.count], Int32(NP), contrib, Int32(NP), 1, G + dv.weightOffset, Int32(kk))
        srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_NO_TRANS, Int32(dv.inChannels), Int32(NP), Int32(kk),
                    1, P + dv.weightOffset, Int32(kk), contrib, Int32(NP), 0, gradB, Int32(NP))
        swap(&gradA, &gradB)
        // Body backward: gradA holds dL/d(layer l's PReLU output) on entry to step l.
        for l in stride(from: body.count - 1, through: 0, by: -1) {
            let v = views[l], s = shapes[l]
            FSRCNNOps.preluBackward(pre[l], slopes: P + v.slopeOffset, gradA, slopeGrads: G + v.slopeOffset,
                                    channels: v.outChannels, perChannel: s.columns)
            Ops.convBackward(gradA, P + v.weightOffset, col: cols[l], G + v.weightOffset, G + v.biasOffset,
                             l > 0 ? gradB : nil, scratch: l > 0 ? scratch : nil, s)
            swap(&gradA, &gradB)
        }
        return sse
    }
}

/// PReLU and the transposed convolution's forward/backward pieces (plain loops; the GEMMs go through CBLAS).
public enum FSRCNNOps {
    /// y = x > 0 ? x : a_c * x, x and y (C, perChannel).
    public static func preluForward(_ x: UnsafePointer<Float>, slopes a: UnsafePointer<Float>,
                                    _ y: UnsafeMutablePointer<Float>, channels: Int, perChannel m: Int) {
        for c in 0..<channels {
            let ac = a[c], xs = x + c * m, ys = y + c * m
            for i in 0..<m { let v = xs[i]; ys[i] = v > 0 ? v : ac * v }
        }
    }

    /// In place dy -> dx = dy * (x > 0 ? 1 : a_c); slopeGrads[c] += sum of dy * x over x <= 0.
    public static func preluBackward(_ x: UnsafePointer<Float>, slopes a: UnsafePointer<Float>,
                                     _ dy: UnsafeMutablePointer<Float>, slopeGrads da: UnsafeMutablePointer<Float>,
                                     channels: Int, perChannel m: Int) {
        for c in 0..<channels {
            let ac = a[c], xs = x + c * m, ds = dy + c * m
            var acc: Float = 0
            for i in 0..<m {
                let v = xs[i], d = ds[i]
                if v <= 0 { acc += d * v; ds[i] = ac * d }
            }
            da[c] += acc
        }
    }

    /// The HR label pixels' taps: for feature position (y, x) of a side-h map and tap (ky, kx), the label pixel
    /// (Y - labelStart, X - labelStart), or nil outside the window.
    @inline(__always)
    static func labelRow(_ y: Int, _ ky: Int, _ g: FSRCNNGeometry) -> Int {
        g.scale * (y + g.radius) - g.padding + ky - g.labelStart
    }

    /// contrib (k*k, N*h*h) = Wd^T F, then out (N, L, L) = b + the contributions landing on each label pixel.
    static func deconvForward(_ f: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: Float,
                              _ contrib: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                              d: Int, n: Int, featureSide h: Int, geometry g: FSRCNNGeometry) {
        let k = g.kernel, kk = k * k, NP = n * h * h, L = g.labelSide
        srcnn_sgemm(SRCNN_BLAS_TRANS, SRCNN_BLAS_NO_TRANS, Int32(kk), Int32(NP), Int32(d),
                    1, w, Int32(kk), f, Int32(NP), 0, contrib, Int32(NP))
        out.update(repeating: b, count: n * L * L)
        for ky in 0..<k {
            for kx in 0..<k {
                let row = contrib + (ky * k + kx) * NP
                for p in 0..<n {
                    for y in 0..<h {
                        let Y = labelRow(y, ky, g)
                        guard Y >= 0, Y < L else { continue }
                        for x in 0..<h {
                            let X = labelRow(x, kx, g)
                            if X >= 0, X < L { out[(p * L + Y) * L + X] += row[(p * h + y) * h + x] }
                        }
                    }
                }
            }
        }
    }

    /// dC (k*k, N*h*h) from dOut (N, L, L): each contribution's gradient is that of the label pixel it lands on.
    static func deconvGather(_ dOut: UnsafePointer<Float>, _ dC: UnsafeMutablePointer<Float>, n: Int,
                             featureSide h: Int, geometry g: FSRCNNGeometry) {
        let k = g.kernel, NP = n * h * h, L = g.labelSide
        for ky in 0..<k {
            for kx in 0..<k {
                let row = dC + (ky * k + kx) * NP
                for p in 0..<n {
                    for y in 0..<h {
                        let Y = labelRow(y, ky, g)
                        for x in 0..<h {
                            let X = labelRow(x, kx, g)
                            row[(p * h + y) * h + x] = Y >= 0 && Y < L && X >= 0 && X < L ? dOut[(p * L + Y) * L + X] : 0
                        }
                    }
                }
            }
        }
    }
}

/// Trainable FSRCNN: flat parameters in the `Architecture.views` layout (per body layer weights, bias, PReLU
/// slopes; then the deconvolution's (d, 1, k, k) weights and bias), threaded batched forward/backward with
/// fixed gradient chunks (results independent of the thread count).
public final class FSRCNNModel: TrainableModel {
    public let arch: Architecture
    public let geometry: FSRCNNGeometry
    public var params: [Float]
    public var grads: [Float]
    public let threads: Int
    public var kernels: KernelFamily { .openblas }
    private let workers: [FSRCNNWorker]
    private var chunkGrads: [[Float]]

    public var inputSide: Int { geometry.lrPatch }
    public var labelSide: Int { geometry.labelSide }

    public init(arch: Architecture, geometry: FSRCNNGeometry, params: [Float], threads: Int = 2, batch: Int) throws {
        guard arch.isFSRCNN else { throw SRCNNError.invalidArgument("FSRCNNModel needs an FSRCNN architecture") }
        guard params.count == arch.parameterCount else {
            throw SRCNNError.invalidArgument("\(params.count) parameters given, \(arch.name) has \(arch.parameterCount)")
        }
        self.arch = arch; self.geometry = geometry; self.params = params
        grads = [Float](repeating: 0, count: params.count)
        self.threads = max(1, threads)
        let C = min(Model.gradientChunks, max(1, batch))
        let per = (max(1, batch) + C - 1) / C
        workers = (0..<self.threads).map { _ in FSRCNNWorker(views: arch.views, geometry: geometry, capacity: per) }
        chunkGrads = [[Float]](repeating: [Float](repeating: 0, count: params.count), count: C)
        srcnn_blas_set_threads(1)
    }

    /// Random initial parameters (He-normal convolutions, slopes 0.25, deconvolution N(0, 0.001) as in the
    /// paper; `std` overrides every weight's std), deterministic for `seed`.
    public static func initialParameters(_ arch: Architecture, seed: UInt64, std: Double?) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var p = [Float](repeating: 0, count: arch.parameterCount)
        let views = arch.views
        for (i, v) in views.enumerated() {
            let last = i == views.count - 1
            let sd = std ?? (last ? 0.001 : (2.0 / Double(v.inChannels * v.kernel * v.kernel)).squareRoot())
            for j in 0..<v.weightCount { p[v.weightOffset + j] = Float(rng.nextGaussian() * sd) }
            for j in 0..<v.slopeCount { p[v.slopeOffset + j] = 0.25 }
        }
        return p
    }

    /// Parameters from engine weights of the same architecture.
    public static func parameters(from m: FSRCNN, arch: Architecture) throws -> [Float] {
        let ks = m.body.map(\.kernel) + [m.deconv.kernel], fs = m.body.map(\.outChannels)
        guard ks == arch.kernels, fs == arch.filters else {
            throw SRCNNError.invalidArgument("weights are \(m.architecture), training \(arch.name)")
        }
        var p: [Float] = []
        for (i, l) in m.body.enumerated() { p += l.weights; p += l.bias; p += m.slopes[i] }
        return p + m.deconv.weights + m.deconv.bias
    }

    /// Flat parameters as engine weights.
    public static func model(_ arch: Architecture, _ params: [Float], scale: Int,
                             metadata: [String: String] = [:]) -> FSRCNN {
        let views = arch.views
        var body: [ConvLayer] = [], slopes: [[Float]] = []
        for v in views.dropLast() {
            body.append(ConvLayer(outChannels: v.outChannels, inChannels: v.inChannels, kernel: v.kernel,
                                  weights: Array(params[v.weightOffset..<v.biasOffset]),
                                  bias: Array(params[v.biasOffset..<v.slopeOffset])))
            slopes.append(Array(params[v.slopeOffset..<v.end]))
        }
        let dv = views.last!
        let deconv = ConvLayer(outChannels: 1, inChannels: dv.inChannels, kernel: dv.kernel,
                               weights: Array(params[dv.weightOffset..<dv.biasOffset]),
                               bias: Array(params[dv.biasOffset..<dv.end]))
        return FSRCNN(body: body, slopes: slopes, deconv: deconv, scale: scale, metadata: metadata)
    }

    /// Forward + backward over a batch: `inputs` (N, n, n) LR patches, `labels` (N, L, L). Overwrites `grads`
    /// with dL/dparams of L = 1/(2N) sum (y - t)^2; returns the mean squared error per pixel.
    @discardableResult
    public func step(inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>, batch N: Int) -> Double {
        let C = min(chunkGrads.count, N), T = min(threads, C)
        let i2 = inputSide * inputSide, l2 = labelSide * labelSide, np = params.count
        var sse = [Double](repeating: 0, count: C)
        let lock = NSLock()
        var next = 0
        let ws = workers
        let inAddr = UnsafeMutablePointer(mutating: inputs), labAddr = UnsafeMutablePointer(mutating: labels)
        params.withUnsafeBufferPointer { pp in
            let P = pp.baseAddress!
            sse.withUnsafeMutableBufferPointer { sp in
                let S = sp.baseAddress!
                chunkGrads.withUnsafeMutableBufferPointer { cgp in
                    let CG = cgp.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: T) { t in
                        while true {
                            lock.lock(); let c = next; next += 1; lock.unlock()
                            guard c < C else { break }
                            let lo = N * c / C, hi = N * (c + 1) / C
                            CG[c].withUnsafeMutableBufferPointer { g in
                                g.update(repeating: 0)
                                var i = lo, acc = 0.0
                                while i < hi {
                                    let m = min(ws[t].capacity, hi - i)
                                    acc += ws[t].run(params: P, inputs: inAddr + i * i2, labels: labAddr + i * l2,
                                                     n: m, batch: N, grads: g.baseAddress!)
                                    i += m
                                }
                                S[c] = acc
                            }
                        }
                    }
                }
            }
        }
        grads.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
            for c in 0..<C { for i in 0..<np { g[i] += chunkGrads[c][i] } }
        }
        return sse.reduce(0, +) / Double(N * l2)
    }
}
