// Model: an SRCNN stack of valid convolutions with all parameters in one contiguous buffer (llm.c style),
// a gradient buffer of the same layout, and a batched forward/backward spread over worker threads.
import CBLAS
import Foundation
import SRCNN

/// Where one layer's tensors live in the flat parameter (and gradient) buffer.
public struct LayerView: Equatable, Sendable {
    public var inChannels, outChannels, kernel: Int
    /// Offset of the weights (Cout, Cin, k, k), then the bias (Cout) follows at `biasOffset`, then (FSRCNN's
    /// PReLU layers) `slopeCount` slopes.
    public var weightOffset: Int
    public var slopeCount = 0
    public var weightCount: Int { outChannels * inChannels * kernel * kernel }
    public var biasOffset: Int { weightOffset + weightCount }
    public var slopeOffset: Int { biasOffset + outChannels }
    public var end: Int { slopeOffset + slopeCount }
}

/// The architecture: kernel sizes (e.g. 9-5-5) and hidden filter counts (e.g. 64/32); 1 channel in and out.
/// FSRCNN (`family` .fsrcnn) is the same chain read differently: every layer but the last is a convolution on the
/// low-resolution grid followed by a PReLU, the last (1 channel out) the transposed convolution, e.g. kernels
/// 5-1-3-3-3-3-1-9, filters 56/12/12/12/12/12/56 for FSRCNN(56,12,4).
public struct Architecture: Codable, Equatable, Sendable {
    public var kernels: [Int]
    public var filters: [Int]
    /// nil = SRCNN (so checkpoints written before FSRCNN existed read unchanged).
    public var family: ModelFamily?
    public init(kernels: [Int], filters: [Int], family: ModelFamily = .srcnn) throws {
        guard !kernels.isEmpty, kernels.allSatisfy({ $0 > 0 && $0 % 2 == 1 }) else {
            throw SRCNNError.invalidArgument("kernel sizes must be odd and positive, got \(kernels)")
        }
        guard filters.count == kernels.count - 1, filters.allSatisfy({ $0 > 0 }) else {
            throw SRCNNError.invalidArgument("need \(kernels.count - 1) positive filter counts for \(kernels.count) layers, got \(filters)")
        }
        if family == .fsrcnn, kernels.count < 2 {
            throw SRCNNError.invalidArgument("FSRCNN needs at least one convolution before the deconvolution")
        }
        self.kernels = kernels; self.filters = filters; self.family = family == .srcnn ? nil : family
    }
    /// FSRCNN(d, s, m): 5x5 to d, 1x1 to s, m 3x3 at s, 1x1 back to d, 9x9 deconvolution.
    public static func fsrcnn(d: Int = 56, s: Int = 12, m: Int = 4) throws -> Architecture {
        try Architecture(kernels: [5, 1] + [Int](repeating: 3, count: m) + [1, 9],
                         filters: [d, s] + [Int](repeating: s, count: m) + [d], family: .fsrcnn)
    }
    public var isFSRCNN: Bool { family == .fsrcnn }
    /// e.g. "9-5-5 (64/32)", "FSRCNN(56,12,4)".
    public var name: String {
        if isFSRCNN {
            let m = kernels.dropFirst().dropLast().filter { $0 > 1 }.count
            let shrink = filters.count > 1 ? filters[1] : filters[0]
            let standard = kernels == [5, 1] + [Int](repeating: 3, count: m) + [1, 9]
            let k = kernels.map(String.init).joined(separator: "-")
            return "FSRCNN(\(filters[0]),\(shrink),\(m))" + (standard ? "" : " \(k)")
        }
        let k = kernels.map(String.init).joined(separator: "-")
        return filters.isEmpty ? k : "\(k) (\(filters.map(String.init).joined(separator: "/")))"
    }
    /// Pixels lost per side by the valid convolutions: an input patch of side p gives p - 2*border (FSRCNN: of
    /// the low-resolution patch, before the deconvolution).
    public var border: Int { (isFSRCNN ? kernels.dropLast() : kernels[...]).reduce(0) { $0 + $1 / 2 } }
    public var channels: [Int] { [1] + filters + [1] }

    public var views: [LayerView] {
        var off = 0, out: [LayerView] = []
        for (i, k) in kernels.enumerated() {
            var v = LayerView(inChannels: channels[i], outChannels: channels[i + 1], kernel: k, weightOffset: off)
            if isFSRCNN, i < kernels.count - 1 { v.slopeCount = v.outChannels }
            if isFSRCNN, i == kernels.count - 1 {
                // The deconvolution's weights are stored (d, 1, k, k): the same count as (1, d, k, k).
                v = LayerView(inChannels: channels[i], outChannels: 1, kernel: k, weightOffset: off)
            }
            out.append(v); off = v.end
        }
        return out
    }
    public var parameterCount: Int { views.last!.end }
}

/// Per-thread buffers for a micro-batch: activations, im2col matrices, gradients (manually allocated).
final class Worker {
    let arch: Architecture
    let views: [LayerView]
    let micro: Int
    let patch: Int
    private(set) var acts: [UnsafeMutablePointer<Float>]   // acts[l]: input of layer l (C_l, n, H_l, W_l); acts[L] = output
    private(set) var cols: [UnsafeMutablePointer<Float>]   // cols[l]: im2col of acts[l]
    let scratch: UnsafeMutablePointer<Float>  // w^T dy before col2im
    var gradA: UnsafeMutablePointer<Float>, gradB: UnsafeMutablePointer<Float>   // activation gradients
    private var owned: [UnsafeMutablePointer<Float>] = []

    private func alloc(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
        p.initialize(repeating: 0, count: max(1, n))
        owned.append(p)
        return p
    }

    init(arch: Architecture, micro: Int, patch: Int) {
        self.arch = arch; self.views = arch.views; self.micro = micro; self.patch = patch
        var side = patch
        var a: [UnsafeMutablePointer<Float>] = [], c: [UnsafeMutablePointer<Float>] = []
        var maxAct = 0, maxCol = 0
        var sizes: [(Int, Int)] = []
        for (l, v) in views.enumerated() {
            let s = ConvShape(inChannels: v.inChannels, outChannels: v.outChannels, kernel: v.kernel,
                              batch: micro, height: side, width: side)
            let direct = v.outChannels == 1   // computed without im2col
            sizes.append((s.inputCount, direct ? 1 : s.colCount))
            maxAct = max(maxAct, s.inputCount, s.outputCount)
            if l > 0, !direct { maxCol = max(maxCol, s.colCount) }
            side = s.outHeight
        }
        // Allocation through a helper needs self; fill stored properties first with placeholders.
        acts = []; cols = []; scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, maxCol))
        gradA = UnsafeMutablePointer<Float>.allocate(capacity: max(1, maxAct))
        gradB = UnsafeMutablePointer<Float>.allocate(capacity: max(1, maxAct))
        owned = [scratch, gradA, gradB]
        scratch.initialize(repeating: 0, count: max(1, maxCol))
        gradA.initialize(repeating: 0, count: max(1, maxAct))
        gradB.initialize(repeating: 0, count: max(1, maxAct))
        for (inCount, colCount) in sizes { a.append(alloc(inCount)); c.append(alloc(colCount)) }
        a.append(alloc(micro * side * side))
        acts = a; cols = c
    }

    deinit { for p in owned { p.deallocate() } }

    /// Forward + backward of `n` <= micro patches; inputs (n, p, p) and labels (n, o, o) contiguous.
    /// Gradients of the loss normalised by `batch` are added to `grads` (a chunk's buffer); returns the sum of squared errors.
    func run(params: UnsafePointer<Float>, inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
             n: Int, batch: Int, grads: UnsafeMutablePointer<Float>) -> Double {
        let L = views.count
        var shapes: [ConvShape] = []
        var side = patch
        for v in views {
            let s = ConvShape(inChannels: v.inChannels, outChannels: v.outChannels, kernel: v.kernel,
                              batch: n, height: side, width: side)
            shapes.append(s); side = s.outHeight
        }
        acts[0].update(from: inputs, count: n * patch * patch)
        for l in 0..<L {
            let v = views[l], s = shapes[l]
            if v.outChannels == 1 {
                Ops.convForwardSingle(acts[l], params + v.weightOffset, params + v.biasOffset, acts[l + 1], s)
            } else {
                Ops.convForward(acts[l], params + v.weightOffset, params + v.biasOffset, acts[l + 1], s, col: cols[l])
            }
            if l < L - 1 { Ops.reluForward(acts[l + 1], count: s.outputCount) }
        }
        let sse = Ops.mseForwardBackward(acts[L], labels, count: shapes[L - 1].outputCount, batch: batch, dy: gradA)
        // Backward: gradA holds dL/d(output of layer l) on entry to step l.
        for l in stride(from: L - 1, through: 0, by: -1) {
            let v = views[l], s = shapes[l]
            if l < L - 1 { Ops.reluBackward(acts[l + 1], gradA, count: s.outputCount) }
            if v.outChannels == 1 {
                Ops.convBackwardSingle(gradA, params + v.weightOffset, x: acts[l], grads + v.weightOffset, grads + v.biasOffset,
                                       l > 0 ? gradB : nil, s)
            } else {
                Ops.convBackward(gradA, params + v.weightOffset, col: cols[l], grads + v.weightOffset, grads + v.biasOffset,
                                 l > 0 ? gradB : nil, scratch: l > 0 ? scratch : nil, s)
            }
            swap(&gradA, &gradB)
        }
        return sse
    }
}

/// What the trainer needs of a model family: flat parameters and gradients, and one batched step.
public protocol TrainableModel: AnyObject {
    var params: [Float] { get set }
    var grads: [Float] { get }
    /// Side of an input patch and of its label.
    var inputSide: Int { get }
    var labelSide: Int { get }
    var kernels: KernelFamily { get }
    /// Forward + backward over `batch` patches; overwrites `grads`, returns the mean squared error per pixel.
    @discardableResult
    func step(inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>, batch: Int) -> Double
}

/// Trainable SRCNN: flat parameters, flat gradients, threaded batched forward/backward.
public final class Model: TrainableModel {
    public let arch: Architecture
    public let patch: Int
    public var params: [Float]
    public var grads: [Float]
    /// Worker threads; the batch is split into this many contiguous parts (OpenBLAS pinned to 1 thread).
    public let threads: Int
    /// OpenBLAS path only: patches per GEMM within a thread. One patch per GEMM measured fastest (its im2col stays
    /// in cache). The AVX-512 path always runs one patch at a time and ignores it (results differ only by rounding).
    public let micro: Int
    /// Which kernels run the passes: `avx512` (channel-last direct convolutions, `FastPath`) where the CPU and
    /// the architecture allow, else `openblas` (im2col GEMMs, `Ops`). `train --bench`, batch 64, 2 threads, same
    /// session: seed 9-3-5 32->18 791 patches/s (OpenBLAS 565), 9-5-5 33->17 1226 (794), 9-1-5 33->21 6339 (3015);
    /// the AVX-512 kernels run at ~93% of the FMA peak measured that day, so more needs fewer FLOPs (Winograd).
    public let kernels: KernelFamily
    private var workers: [Worker] = []
    private var fastWorkers: [FastWorker] = []
    private var fastWeights: FastWeights?

    public var labelSide: Int { patch - 2 * arch.border }
    public var inputSide: Int { patch }

    /// `blasThreads`: OpenBLAS's own threads (default 1: the batch is split over `threads` instead, which
    /// measured faster; see `Trainer.benchmark`). `kernels`: the family wanted (default: the best this CPU runs,
    /// `SRCNN_KERNELS=openblas` forces the fallback); `avx512` falls back to `openblas` where unsupported.
    public init(arch: Architecture, patch: Int, params: [Float], threads: Int = 2, micro: Int = 1,
                blasThreads: Int = 1, kernels: KernelFamily = CPUFeatures.bestKernels) throws {
        guard !arch.isFSRCNN else { throw SRCNNError.invalidArgument("\(arch.name) trains with FSRCNNModel") }
        guard patch - 2 * arch.border >= 1 else {
            throw SRCNNError.invalidArgument("patch \(patch) is too small for \(arch.name) (it loses \(2 * arch.border) pixels)")
        }
        guard params.count == arch.parameterCount else {
            throw SRCNNError.invalidArgument("\(params.count) parameters given, \(arch.name) has \(arch.parameterCount)")
        }
        self.arch = arch; self.patch = patch; self.params = params
        self.grads = [Float](repeating: 0, count: params.count)
        self.threads = max(1, threads); self.micro = max(1, micro)
        self.kernels = kernels == .avx512 && CPUFeatures.hasAVX512 && FastPath.supports(arch) ? .avx512 : .openblas
        if self.kernels == .openblas { srcnn_blas_set_threads(Int32(max(1, blasThreads))) }
        if self.kernels == .avx512 {
            let layers = FastPath.layers(arch, patch: patch)
            fastWeights = FastWeights(layers)
            fastWorkers = (0..<self.threads).map { _ in FastWorker(layers) }
        } else {
            workers = (0..<self.threads).map { _ in Worker(arch: arch, micro: max(1, micro), patch: patch) }
        }
    }

    /// The network output (o, o) of the last patch the first worker ran (for tests).
    var lastOutput: [Float] {
        let n = labelSide * labelSide
        if let w = fastWorkers.first { return Array(UnsafeBufferPointer(start: w.output, count: n)) }
        return Array(UnsafeBufferPointer(start: workers[0].acts[arch.kernels.count], count: n))
    }

    /// Gaussian initial parameters, deterministic for `seed`: std `std` for every layer, or He-normal
    /// (sqrt(2 / fan-in)) when nil; biases zero.
    public static func initialParameters(_ arch: Architecture, seed: UInt64, std: Double?) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var p = [Float](repeating: 0, count: arch.parameterCount)
        for v in arch.views {
            let sd = std ?? (2.0 / Double(v.inChannels * v.kernel * v.kernel)).squareRoot()
            for i in 0..<v.weightCount { p[v.weightOffset + i] = Float(rng.nextGaussian() * sd) }
        }
        return p
    }

    /// Parameters from an engine `Network` (same architecture required).
    public static func parameters(from net: Network, arch: Architecture) throws -> [Float] {
        let ks = net.layers.map(\.kernel)
        let fs = net.layers.dropLast().map(\.outChannels)
        guard ks == arch.kernels, fs == arch.filters else {
            throw SRCNNError.invalidArgument("weights are \(net.architecture), training \(arch.name)")
        }
        var p: [Float] = []
        for l in net.layers { p += l.weights; p += l.bias }
        return p
    }

    /// The current parameters as an engine network (for validation and saving).
    public func network(metadata: [String: String] = [:]) -> Network {
        Model.network(arch, params, metadata: metadata)
    }

    public static func network(_ arch: Architecture, _ params: [Float], metadata: [String: String] = [:]) -> Network {
        Network(layers: arch.views.map { v in
            ConvLayer(outChannels: v.outChannels, inChannels: v.inChannels, kernel: v.kernel,
                      weights: Array(params[v.weightOffset..<v.biasOffset]), bias: Array(params[v.biasOffset..<v.end]))
        }, metadata: metadata)
    }

    /// The batch is cut into this many fixed chunks (fewer for tiny batches), each with its own gradient buffer,
    /// summed in chunk order: results do not depend on the thread count or on which thread ran which chunk,
    /// and a thread slowed by other load does not hold the step up (threads take chunks as they free up).
    public static let gradientChunks = 8
    private var chunkGrads: [UnsafeMutablePointer<Float>] = []
    deinit { for p in chunkGrads { p.deallocate() } }

    /// Forward + backward over a batch: `inputs` (N, patch, patch), `labels` (N, o, o) with o = `labelSide`.
    /// Overwrites `grads` with dL/dparams of L = 1/(2N) sum (y - t)^2; returns the mean squared error per pixel.
    /// Deterministic and independent of `threads` (see `gradientChunks`).
    @discardableResult
    public func step(inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>, batch N: Int) -> Double {
        let C = min(Model.gradientChunks, N), T = min(threads, C)
        let p2 = patch * patch, o2 = labelSide * labelSide, np = grads.count
        while chunkGrads.count < C {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: np)
            p.initialize(repeating: 0, count: np)
            chunkGrads.append(p)
        }
        var sse = [Double](repeating: 0, count: C)
        let ws = workers, fws = fastWorkers, fw = fastWeights
        let cg = chunkGrads
        let lock = NSLock()
        var next = 0
        params.withUnsafeBufferPointer { pp in
            let P = pp.baseAddress!
            fw?.pack(P)
            let inAddr = UnsafeMutablePointer(mutating: inputs), labAddr = UnsafeMutablePointer(mutating: labels)
            sse.withUnsafeMutableBufferPointer { sp in
                let S = sp.baseAddress!
                DispatchQueue.concurrentPerform(iterations: T) { t in
                    while true {
                        lock.lock(); let c = next; next += 1; lock.unlock()
                        guard c < C else { break }
                        let g = cg[c]
                        g.update(repeating: 0, count: np)
                        let lo = N * c / C, hi = N * (c + 1) / C
                        var acc = 0.0
                        if let fw {
                            let w = fws[t]
                            w.begin()
                            for i in lo..<hi {
                                acc += w.run(fw, input: inAddr + i * p2, label: labAddr + i * o2, batch: N)
                            }
                            w.finish(into: g)
                        } else {
                            let w = ws[t]
                            var i = lo
                            while i < hi {
                                let n = min(w.micro, hi - i)
                                acc += w.run(params: P, inputs: inAddr + i * p2, labels: labAddr + i * o2, n: n, batch: N, grads: g)
                                i += n
                            }
                        }
                        S[c] = acc
                    }
                }
            }
        }
        grads.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
            for c in 0..<C {
                let cgc = cg[c]
                for i in 0..<np { g[i] += cgc[i] }
            }
        }
        return sse.reduce(0, +) / Double(N * o2)
    }
}
