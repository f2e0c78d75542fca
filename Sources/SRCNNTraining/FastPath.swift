// The AVX-512 training path: per-layer geometry, the weights in the kernels' layouts, and a per-thread worker
// running one patch at a time through the channel-last kernels of SRCNNKernelsAVX512 (no im2col), the 3 x 3 and
// 5 x 5 layers' forward and backward-data passes by Winograd (SRCNN's PatchWinograd).
//
// Layouts, per patch: layer l reads its input channel-last, (H, W, sx) with the channel stride sx = 1 for one
// channel, else the channel count rounded up to 16 (padded channels hold zeros), and, when its forward pass runs
// `avx512TrainConv`, also channel-major (C, H, W). Outputs and output gradients are channel-last (so); backward-data
// reads the output gradient channel-major, zero-padded by k-1 on every side (a full correlation becomes valid).
// Gradients stay in the kernels' layout (per kernel row r: taps (q, c), then o) until a chunk of patches ends.
import SRCNN
import SRCNNKernelsAVX512

/// One layer of the network as the AVX-512 path sees it.
struct FastLayer {
    let view: LayerView
    /// Input side H (square patches) and output side H - k + 1.
    let side: Int, outSide: Int
    /// Channel strides of the channel-last input and output.
    let sx: Int, so: Int
    var k: Int { view.kernel }
    var cin: Int { view.inChannels }
    var cout: Int { view.outChannels }
    /// Taps (q, c) of one kernel row in the channel-last input.
    var kw: Int { k * sx }
    /// Side of the zero-padded output gradient read by backward-data.
    var padSide: Int { outSide + 2 * (k - 1) }
    /// One output channel: dot-product kernels instead of channel vectors.
    var single: Bool { cout == 1 }
    /// The forward pass and the backward-data pass run Winograd (SRCNN's PatchWinograd: 3 x 3 and 5 x 5 layers
    /// whose channel counts fit its blocks) instead of the direct kernels; the weight gradient stays direct.
    var winogradForward: Bool {
        FastPath.winograd && !single && sx == cin && so == cout
            && PatchWinograd.supports(kernel: k, inChannels: cin, outChannels: cout, family: .avx512)
    }
    var winogradBackward: Bool {
        winogradForward && PatchWinograd.supports(kernel: k, inChannels: cout, outChannels: cin, family: .avx512)
    }
}

enum FastPath {
    /// Tests and `srcnn train --bench`: false runs every layer on the direct kernels.
    nonisolated(unsafe) static var winograd = true

    static func channelStride(_ c: Int) -> Int { c == 1 ? 1 : (c + 15) / 16 * 16 }

    /// The path needs every hidden layer to have at least 2 channels (only the last layer has one output).
    static func supports(_ arch: Architecture) -> Bool { arch.filters.allSatisfy { $0 >= 2 } }

    static func layers(_ arch: Architecture, patch: Int) -> [FastLayer] {
        var side = patch
        return arch.views.map { v in
            let f = FastLayer(view: v, side: side, outSide: side - v.kernel + 1,
                              sx: channelStride(v.inChannels), so: channelStride(v.outChannels))
            side = f.outSide
            return f
        }
    }
}

/// Whether the AVX-512 training path runs its 3 x 3 and 5 x 5 layers' forward and backward-data passes by
/// Winograd (the default); false runs them on the direct kernels (`srcnn train --bench` shows both).
public var trainingWinograd: Bool {
    get { FastPath.winograd }
    set { FastPath.winograd = newValue }
}

/// Whether some layer of `arch` trains by Winograd on this CPU (with `trainingWinograd` on).
public func trainsByWinograd(_ arch: Architecture, patch: Int) -> Bool {
    FastPath.supports(arch) && FastPath.layers(arch, patch: patch).contains { $0.winogradForward }
}

/// Zero-initialised buffers freed together.
final class Buffers {
    private var floats: [UnsafeMutablePointer<Float>] = []
    private var ints: [UnsafeMutablePointer<Int>] = []
    func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n) + 16)
        p.initialize(repeating: 0, count: max(1, n) + 16)
        floats.append(p)
        return p
    }
    func ints(_ n: Int) -> UnsafeMutablePointer<Int> {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: max(1, n))
        p.initialize(repeating: 0, count: max(1, n))
        ints.append(p)
        return p
    }
    deinit { floats.forEach { $0.deallocate() }; ints.forEach { $0.deallocate() } }
}

/// The parameters in the kernels' layouts, repacked before every step and read by all workers.
final class FastWeights {
    let layers: [FastLayer]
    private let mem = Buffers()
    /// Forward weights: (Cin·k·k) x so for `avx512TrainConv`; k x kw for a one-output layer.
    private(set) var forward: [UnsafeMutablePointer<Float>] = []
    /// Bias padded to so.
    private(set) var bias: [UnsafeMutablePointer<Float>] = []
    /// Backward-data weights (layers with more than one input channel): flipped, (Cout·k·k) x sx.
    private(set) var backward: [UnsafeMutablePointer<Float>?] = []
    /// Winograd layers of this step's weights (`FastLayer.winogradForward` / `winogradBackward`): the layer, and
    /// for backward-data the flipped, transposed one (Cin and Cout swapped).
    private(set) var winogradForward: [PatchWinograd?] = []
    private(set) var winogradBackward: [PatchWinograd?] = []

    init(_ layers: [FastLayer]) {
        self.layers = layers
        for f in layers {
            forward.append(mem.floats(f.single ? f.k * f.kw : f.cin * f.k * f.k * f.so))
            bias.append(mem.floats(f.so))
            backward.append(f.cin > 1 ? mem.floats(f.cout * f.k * f.k * f.sx) : nil)
        }
    }

    /// Fills the packed weights from the flat parameters (padded entries stay zero).
    func pack(_ params: UnsafePointer<Float>) {
        for (l, f) in layers.enumerated() {
            let w = params + f.view.weightOffset, b = params + f.view.biasOffset
            let k = f.k, fw = forward[l]
            for o in 0..<f.cout {
                for c in 0..<f.cin {
                    for r in 0..<k {
                        for q in 0..<k {
                            let v = w[((o * f.cin + c) * k + r) * k + q]
                            if f.single { fw[r * f.kw + q * f.sx + c] = v }
                            else { fw[((c * k + r) * k + q) * f.so + o] = v }
                            if let bw = backward[l] { bw[((o * k + (k - 1 - r)) * k + (k - 1 - q)) * f.sx + c] = v }
                        }
                    }
                }
                bias[l][o] = b[o]
            }
        }
        winogradForward = layers.map { f in
            guard f.winogradForward else { return nil }
            let w = params + f.view.weightOffset
            let conv = ConvLayer(outChannels: f.cout, inChannels: f.cin, kernel: f.k,
                                 weights: Array(UnsafeBufferPointer(start: w, count: f.view.weightCount)), bias: [])
            return PatchWinograd(conv, family: .avx512)
        }
        winogradBackward = layers.map { f in
            guard f.winogradBackward else { return nil }
            let w = params + f.view.weightOffset, k = f.k
            var flipped = [Float](repeating: 0, count: f.view.weightCount)   // (Cin, Cout, k, k), rotated 180°
            for o in 0..<f.cout { for c in 0..<f.cin { for r in 0..<k { for q in 0..<k {
                flipped[((c * f.cout + o) * k + (k - 1 - r)) * k + (k - 1 - q)] = w[((o * f.cin + c) * k + r) * k + q]
            } } } }
            return PatchWinograd(ConvLayer(outChannels: f.cin, inChannels: f.cout, kernel: k, weights: flipped, bias: []),
                                 family: .avx512)
        }
    }
}

/// The Winograd forms of one layer's forward and backward-data passes on one patch (FastWorker and the tests).
struct FastWinograd {
    let f: FastLayer
    /// Forward input padded to whole tiles (when the patch is smaller), and the zero-padded output gradient.
    private let input: UnsafeMutablePointer<Float>?, grad: UnsafeMutablePointer<Float>
    private let inSide: Int, gradSide: Int

    init(_ f: FastLayer, _ mem: Buffers) {
        self.f = f
        inSide = PatchWinograd.inputSide(outSide: f.outSide, kernel: f.k)
        gradSide = PatchWinograd.inputSide(outSide: f.side, kernel: f.k)
        input = inSide > f.side ? mem.floats(inSide * inSide * f.cin) : nil
        grad = mem.floats(gradSide * gradSide * f.cout)
    }

    /// out (channel-last, stride so) = [ReLU](conv(x) + bias), x channel-last (stride sx = cin).
    func forward(_ w: PatchWinograd, x: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
                 out: UnsafeMutablePointer<Float>, workspace: PatchWinogradWorkspace) {
        var P = x, rs = f.side * f.cin
        if let input {   // rows and columns past the patch stay zero: they only feed outputs that are cropped
            for y in 0..<f.side { (input + y * inSide * f.cin).update(from: x + y * rs, count: rs) }
            P = UnsafePointer(input); rs = inSide * f.cin
        }
        let (O, ldo) = w.run(P, rowStride: rs, outSide: f.outSide, workspace: workspace)
        let o = f.outSide, c = f.cout
        for y in 0..<o {
            for x in 0..<o {
                let s = O + y * ldo + x * c, d = out + (y * o + x) * f.so
                if relu { for j in 0..<c { d[j] = max(0, s[j] + bias[j]) } }
                else { for j in 0..<c { d[j] = s[j] + bias[j] } }
            }
        }
    }

    /// dx (channel-last, stride sx) = the full correlation of dy (channel-last, stride so) with the flipped
    /// weights, kept where `mask` > 0 (channel-last like dx; nil keeps everything).
    func backwardData(_ w: PatchWinograd, dy: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                      dx: UnsafeMutablePointer<Float>, workspace: PatchWinogradWorkspace) {
        let o = f.outSide, c = f.cout, k1 = f.k - 1
        for y in 0..<o {
            let d = grad + ((y + k1) * gradSide + k1) * c
            for x in 0..<o { (d + x * c).update(from: dy + (y * o + x) * f.so, count: c) }
        }
        let (O, ldo) = w.run(grad, rowStride: gradSide * c, outSide: f.side, workspace: workspace)
        for y in 0..<f.side {
            for x in 0..<f.side {
                let s = O + y * ldo + x * f.cin, i = (y * f.side + x) * f.sx
                if let mask { for j in 0..<f.cin { dx[i + j] = mask[i + j] > 0 ? s[j] : 0 } }
                else { for j in 0..<f.cin { dx[i + j] = s[j] } }
            }
        }
    }
}

/// Per-thread buffers of the AVX-512 path: one patch's activations and gradients, and gradient accumulators
/// for a chunk of patches (in the kernels' layout; `finish` adds them to a flat gradient buffer).
final class FastWorker {
    let layers: [FastLayer]
    private let mem = Buffers()
    private var xcl: [UnsafeMutablePointer<Float>] = []     // [l >= 1]: input of layer l, channel-last
    private var xcm: [UnsafeMutablePointer<Float>?] = []    // [l >= 1]: the same channel-major, if layer l needs it
    private var dy: [UnsafeMutablePointer<Float>] = []      // [l]: gradient of layer l's output, channel-last
    private var dypad: [UnsafeMutablePointer<Float>?] = []  // [l >= 1]: dy[l] channel-major, zero-padded by k-1
    private var gw: [UnsafeMutablePointer<Float>] = [], gb: [UnsafeMutablePointer<Float>] = []
    private var fwdOffsets: [UnsafeMutablePointer<Int>?] = [], bwdOffsets: [UnsafeMutablePointer<Int>?] = []
    private var winograd: [FastWinograd?] = []
    private let workspace = PatchWinogradWorkspace()
    /// The network output of the last patch run.
    let output: UnsafeMutablePointer<Float>

    init(_ layers: [FastLayer]) {
        self.layers = layers
        for (l, f) in layers.enumerated() {
            let hw = f.side * f.side
            xcl.append(l > 0 ? mem.floats(hw * f.sx) : mem.floats(0))
            xcm.append(l > 0 && !f.single && !f.winogradForward ? mem.floats(f.cin * hw) : nil)
            winograd.append(f.winogradForward ? FastWinograd(f, mem) : nil)
            dy.append(mem.floats(f.outSide * f.outSide * f.so))
            dypad.append(l > 0 ? mem.floats(f.cout * f.padSide * f.padSide) : nil)
            gw.append(mem.floats(f.k * f.kw * f.so))
            gb.append(mem.floats(f.so))
            if f.single { fwdOffsets.append(nil) } else {
                let o = mem.ints(f.cin * f.k * f.k)
                for c in 0..<f.cin { for r in 0..<f.k { for q in 0..<f.k { o[(c * f.k + r) * f.k + q] = c * hw + r * f.side + q } } }
                fwdOffsets.append(o)
            }
            if l == 0 { bwdOffsets.append(nil) } else {
                let o = mem.ints(f.cout * f.k * f.k), p = f.padSide
                for c in 0..<f.cout { for r in 0..<f.k { for q in 0..<f.k { o[(c * f.k + r) * f.k + q] = c * p * p + r * p + q } } }
                bwdOffsets.append(o)
            }
        }
        let last = layers[layers.count - 1]
        output = mem.floats(last.outSide * last.outSide)
    }

    /// Clears the gradient accumulators (start of a chunk).
    func begin() {
        for (l, f) in layers.enumerated() {
            gw[l].update(repeating: 0, count: f.k * f.kw * f.so)
            gb[l].update(repeating: 0, count: f.so)
        }
    }

    /// Forward + backward of one patch: `input` (p, p), `label` (o, o). Adds the gradients of the loss normalised
    /// by `batch` to the accumulators; returns the patch's sum of squared errors.
    func run(_ W: FastWeights, input: UnsafePointer<Float>, label: UnsafePointer<Float>, batch: Int) -> Double {
        let n = layers.count
        for l in 0..<n {
            let f = layers[l]
            if f.single {
                precondition(l == n - 1, "only the last layer may have one output channel")
                avx512TrainConvSingle(x: l == 0 ? input : UnsafePointer(xcl[l]), xpitch: f.side, sx: f.sx, k: f.k, kw: f.kw,
                                      w: W.forward[l], bias: W.bias[l][0], rows: f.outSide, cols: f.outSide, y: output)
            } else {
                if let wf = W.winogradForward[l], let fw = winograd[l] {
                    fw.forward(wf, x: xcl[l], bias: W.bias[l], relu: true, out: xcl[l + 1], workspace: workspace)
                } else {
                    avx512TrainConv(input: l == 0 ? input : UnsafePointer(xcm[l]!), pitch: f.side,
                                    offsets: fwdOffsets[l]!, k: f.cin * f.k * f.k, w: W.forward[l], m: f.so,
                                    rows: f.outSide, cols: f.outSide, out: xcl[l + 1], bias: W.bias[l], relu: true,
                                    mask: nil)
                }
                if let cm = xcm[l + 1] {
                    FastWorker.toChannelMajor(xcl[l + 1], stride: f.so, pixels: f.outSide * f.outSide, channels: f.cout, cm)
                }
            }
        }
        // Loss: L = 1/(2·batch) Σ (y - t)², dL/dy = (y - t)/batch.
        let last = layers[n - 1], count = last.outSide * last.outSide, inv = 1 / Float(batch)
        var sse: Double = 0
        let d = dy[n - 1]
        for i in 0..<count {
            let e = output[i] - label[i]
            sse += Double(e * e)
            d[i] = e * inv
        }
        for l in stride(from: n - 1, through: 0, by: -1) {
            let f = layers[l], x = l == 0 ? input : UnsafePointer(xcl[l]), pixels = f.outSide * f.outSide
            if f.single {
                avx512TrainWeightGradSingle(x: x, xpitch: f.side, sx: f.sx, k: f.k, kw: f.kw, dy: dy[l],
                                            rows: f.outSide, cols: f.outSide, grad: gw[l])
                var s: Float = 0
                for i in 0..<pixels { s += dy[l][i] }
                gb[l][0] += s
            } else {
                avx512TrainWeightGrad(x: x, xpitch: f.side, sx: f.sx, k: f.k, kw: f.kw, dy: dy[l], m: f.so,
                                      rows: f.outSide, cols: f.outSide, grad: gw[l])
                avx512TrainBiasGrad(dy: dy[l], m: f.so, pixels: pixels, db: gb[l])
            }
            if l > 0, let wb = W.winogradBackward[l], let fw = winograd[l] {
                fw.backwardData(wb, dy: dy[l], mask: xcl[l], dx: dy[l - 1], workspace: workspace)
            } else if l > 0 {
                let pad = dypad[l]!, p = f.padSide, o = f.outSide
                for c in 0..<f.cout {
                    let plane = pad + c * p * p + (f.k - 1) * p + (f.k - 1)
                    for yy in 0..<o {
                        let src = dy[l] + yy * o * f.so + c, dst = plane + yy * p
                        for xx in 0..<o { dst[xx] = src[xx * f.so] }
                    }
                }
                avx512TrainConv(input: pad, pitch: p, offsets: bwdOffsets[l]!, k: f.cout * f.k * f.k,
                                w: W.backward[l]!, m: f.sx, rows: f.side, cols: f.side, out: dy[l - 1], bias: nil,
                                relu: false, mask: xcl[l])
            }
        }
        return sse
    }

    /// Adds the accumulated gradients to `grads` (flat parameter layout).
    func finish(into grads: UnsafeMutablePointer<Float>) {
        for (l, f) in layers.enumerated() { FastWorker.unpack(f, gw: gw[l], gb: gb[l], into: grads) }
    }

    /// Adds one layer's gradients in the kernels' layout (`gw`: k x kw x so, or k x kw for one output) to `grads`.
    static func unpack(_ f: FastLayer, gw a: UnsafePointer<Float>, gb: UnsafePointer<Float>, into grads: UnsafeMutablePointer<Float>) {
        let g = grads + f.view.weightOffset, k = f.k
        for o in 0..<f.cout {
            for c in 0..<f.cin {
                for r in 0..<k {
                    for q in 0..<k {
                        let j = r * f.kw + q * f.sx + c
                        g[((o * f.cin + c) * k + r) * k + q] += f.single ? a[j] : a[j * f.so + o]
                    }
                }
            }
            grads[f.view.biasOffset + o] += gb[o]
        }
    }

    /// cm[c·pixels + p] = cl[p·stride + c] for c < channels.
    static func toChannelMajor(_ cl: UnsafePointer<Float>, stride: Int, pixels: Int, channels: Int,
                               _ cm: UnsafeMutablePointer<Float>) {
        for p in 0..<pixels {
            let s = cl + p * stride
            for c in 0..<channels { cm[c * pixels + p] = s[c] }
        }
    }
}

extension FastPath {
    /// One convolution of one patch through the AVX-512 kernels, in the reference layouts (for tests):
    /// x (Cin, H, H), weights (Cout, Cin, k, k), bias (Cout), dy (Cout, Ho, Ho) -> y = conv(x) + b (no ReLU),
    /// dw, db, and dx (nil for one input channel, where the path never needs it).
    static func convolve(view v: LayerView, side: Int, x: [Float], weights: [Float], bias: [Float], dy: [Float])
        -> (y: [Float], dw: [Float], db: [Float], dx: [Float]?) {
        let f = FastLayer(view: LayerView(inChannels: v.inChannels, outChannels: v.outChannels, kernel: v.kernel, weightOffset: 0),
                          side: side, outSide: side - v.kernel + 1, sx: channelStride(v.inChannels), so: channelStride(v.outChannels))
        let W = FastWeights([f]), mem = Buffers()
        W.pack(weights + bias)
        let hw = side * side, o = f.outSide, ohw = o * o
        let xcl = mem.floats(hw * f.sx), xcm = mem.floats(x.count)
        for c in 0..<f.cin { for p in 0..<hw { xcl[p * f.sx + c] = x[c * hw + p]; xcm[c * hw + p] = x[c * hw + p] } }
        var y = [Float](repeating: 0, count: f.cout * ohw)
        let dycl = mem.floats(ohw * f.so), gw = mem.floats(f.k * f.kw * f.so), gb = mem.floats(f.so)
        for c in 0..<f.cout { for p in 0..<ohw { dycl[p * f.so + c] = dy[c * ohw + p] } }
        if f.single {
            avx512TrainConvSingle(x: xcl, xpitch: side, sx: f.sx, k: f.k, kw: f.kw, w: W.forward[0], bias: bias[0],
                                  rows: o, cols: o, y: &y)
            avx512TrainWeightGradSingle(x: xcl, xpitch: side, sx: f.sx, k: f.k, kw: f.kw, dy: dycl, rows: o, cols: o, grad: gw)
            gb[0] = dy.reduce(0, +)
        } else {
            let offs = mem.ints(f.cin * f.k * f.k)
            for c in 0..<f.cin { for r in 0..<f.k { for q in 0..<f.k { offs[(c * f.k + r) * f.k + q] = c * hw + r * side + q } } }
            let ycl = mem.floats(ohw * f.so)
            avx512TrainConv(input: xcm, pitch: side, offsets: offs, k: f.cin * f.k * f.k, w: W.forward[0], m: f.so,
                            rows: o, cols: o, out: ycl, bias: W.bias[0], relu: false, mask: nil)
            for c in 0..<f.cout { for p in 0..<ohw { y[c * ohw + p] = ycl[p * f.so + c] } }
            avx512TrainWeightGrad(x: xcl, xpitch: side, sx: f.sx, k: f.k, kw: f.kw, dy: dycl, m: f.so, rows: o, cols: o, grad: gw)
            avx512TrainBiasGrad(dy: dycl, m: f.so, pixels: ohw, db: gb)
        }
        var dx: [Float]? = nil
        if let bw = W.backward[0] {
            let P = f.padSide, pad = mem.floats(f.cout * P * P), offs = mem.ints(f.cout * f.k * f.k), dxcl = mem.floats(hw * f.sx)
            for c in 0..<f.cout { for yy in 0..<o { for xx in 0..<o { pad[c * P * P + (yy + f.k - 1) * P + xx + f.k - 1] = dy[c * ohw + yy * o + xx] } } }
            for c in 0..<f.cout { for r in 0..<f.k { for q in 0..<f.k { offs[(c * f.k + r) * f.k + q] = c * P * P + r * P + q } } }
            avx512TrainConv(input: pad, pitch: P, offsets: offs, k: f.cout * f.k * f.k, w: bw, m: f.sx, rows: side, cols: side,
                            out: dxcl, bias: nil, relu: false, mask: nil)
            dx = (0..<x.count).map { i in dxcl[(i % hw) * f.sx + i / hw] }
        }
        var grads = [Float](repeating: 0, count: weights.count + bias.count)
        grads.withUnsafeMutableBufferPointer { g in
            FastWorker.unpack(f, gw: gw, gb: gb, into: g.baseAddress!)
        }
        return (y, Array(grads[..<weights.count]), Array(grads[weights.count...]), dx)
    }
}
