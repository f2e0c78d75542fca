// Finite-difference checks of every backward pass against a Double-precision reference forward.
import XCTest
import SRCNN
import SRCNNTraining

/// Double reference: valid conv on (C, N, H, W).
func refConv(_ x: [Double], _ w: [Double], _ b: [Double], _ s: ConvShape) -> [Double] {
    let k = s.kernel, H = s.height, W = s.width, ho = s.outHeight, wo = s.outWidth, N = s.batch
    var y = [Double](repeating: 0, count: s.outputCount)
    for o in 0..<s.outChannels { for n in 0..<N { for yy in 0..<ho { for xx in 0..<wo {
        var acc = b[o]
        for c in 0..<s.inChannels { for r in 0..<k { for q in 0..<k {
            acc += w[((o * s.inChannels + c) * k + r) * k + q] * x[((c * N + n) * H + yy + r) * W + xx + q]
        } } }
        y[((o * N + n) * ho + yy) * wo + xx] = acc
    } } } }
    return y
}

func randoms(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1) -> [Double] {
    (0..<n).map { _ in (rng.nextUniform() * 2 - 1) * scale }
}

/// Central difference of f at x along coordinate i.
func numericGrad(_ x: [Double], _ i: Int, h: Double = 1e-6, _ f: ([Double]) -> Double) -> Double {
    var a = x, b = x
    a[i] += h; b[i] -= h
    return (f(a) - f(b)) / (2 * h)
}

func assertClose(_ got: Float, _ want: Double, rel: Double = 2e-3, abs: Double = 1e-5, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    let tol = abs + rel * Swift.abs(want)
    XCTAssertLessThanOrEqual(Swift.abs(Double(got) - want), tol, "\(what): analytic \(got) vs numeric \(want)", file: file, line: line)
}

final class GradientTests: XCTestCase {
    let shape = ConvShape(inChannels: 2, outChannels: 3, kernel: 3, batch: 2, height: 6, width: 5)

    /// L = sum(conv(x) * R): dL/dy = R. Checks dw, db, dx of `Ops.convBackward` against finite differences.
    func testConvGradients() {
        let s = shape
        var rng = SplitMix64(seed: 1)
        let x = randoms(s.inputCount, &rng), w = randoms(s.weightCount, &rng, scale: 0.5)
        let b = randoms(s.outChannels, &rng), R = randoms(s.outputCount, &rng)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            zip(refConv(x, w, b, s), R).reduce(0) { $0 + $1.0 * $1.1 }
        }
        // Float forward agrees with the reference.
        let xf = x.map(Float.init), wf = w.map(Float.init), bf = b.map(Float.init), Rf = R.map(Float.init)
        var y = [Float](repeating: 0, count: s.outputCount), col = [Float](repeating: 0, count: s.colCount)
        Ops.convForward(xf, wf, bf, &y, s, col: &col)
        let yr = refConv(x, w, b, s)
        for i in y.indices { XCTAssertEqual(Double(y[i]), yr[i], accuracy: 1e-5) }
        var dw = [Float](repeating: 0, count: s.weightCount), db = [Float](repeating: 0, count: s.outChannels)
        var dx = [Float](repeating: 0, count: s.inputCount), scratch = [Float](repeating: 0, count: s.colCount)
        Ops.convBackward(Rf, wf, col: col, &dw, &db, &dx, scratch: &scratch, s)
        for i in 0..<s.weightCount { assertClose(dw[i], numericGrad(w, i) { loss(x, $0, b) }, "dw[\(i)]") }
        for i in 0..<s.outChannels { assertClose(db[i], numericGrad(b, i) { loss(x, w, $0) }, "db[\(i)]") }
        for i in 0..<s.inputCount { assertClose(dx[i], numericGrad(x, i) { loss($0, w, b) }, "dx[\(i)]") }
        // dw and db accumulate (beta = 1).
        var dw2 = dw, db2 = db
        Ops.convBackward(Rf, wf, col: col, &dw2, &db2, nil, scratch: nil, s)
        for i in dw.indices { XCTAssertEqual(dw2[i], 2 * dw[i], accuracy: 1e-5 * max(1, abs(dw[i]))) }
        for i in db.indices { XCTAssertEqual(db2[i], 2 * db[i], accuracy: 1e-5 * max(1, abs(db[i]))) }
    }

    /// The direct single-output-channel path against finite differences and against the GEMM path.
    func testSingleOutputConvGradients() {
        let s = ConvShape(inChannels: 3, outChannels: 1, kernel: 3, batch: 2, height: 7, width: 13)
        var rng = SplitMix64(seed: 11)
        let x = randoms(s.inputCount, &rng), w = randoms(s.weightCount, &rng, scale: 0.5)
        let b = randoms(1, &rng), R = randoms(s.outputCount, &rng)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            zip(refConv(x, w, b, s), R).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let xf = x.map(Float.init), wf = w.map(Float.init), bf = b.map(Float.init), Rf = R.map(Float.init)
        var y = [Float](repeating: 0, count: s.outputCount)
        Ops.convForwardSingle(xf, wf, bf, &y, s)
        let yr = refConv(x, w, b, s)
        for i in y.indices { XCTAssertEqual(Double(y[i]), yr[i], accuracy: 1e-5) }
        var dw = [Float](repeating: 0, count: s.weightCount), db: [Float] = [0]
        var dx = [Float](repeating: 0, count: s.inputCount)
        Ops.convBackwardSingle(Rf, wf, x: xf, &dw, &db, &dx, s)
        for i in 0..<s.weightCount { assertClose(dw[i], numericGrad(w, i) { loss(x, $0, b) }, "dw[\(i)]") }
        assertClose(db[0], numericGrad(b, 0) { loss(x, w, $0) }, "db")
        for i in 0..<s.inputCount { assertClose(dx[i], numericGrad(x, i) { loss($0, w, b) }, "dx[\(i)]") }
        // Same as the GEMM path.
        var y2 = y, col = [Float](repeating: 0, count: s.colCount), scratch = col
        Ops.convForward(xf, wf, bf, &y2, s, col: &col)
        for i in y.indices { XCTAssertEqual(y[i], y2[i], accuracy: 1e-5) }
        var dw2 = [Float](repeating: 0, count: s.weightCount), db2: [Float] = [0], dx2 = dx
        Ops.convBackward(Rf, wf, col: col, &dw2, &db2, &dx2, scratch: &scratch, s)
        for i in dw.indices { XCTAssertEqual(dw[i], dw2[i], accuracy: 1e-4) }
        for i in dx.indices { XCTAssertEqual(dx[i], dx2[i], accuracy: 1e-5) }
    }

    func testReLUGradient() {
        var rng = SplitMix64(seed: 2)
        // Keep values away from the kink so the central difference is exact.
        let x = randoms(50, &rng).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }, R = randoms(50, &rng)
        func loss(_ x: [Double]) -> Double { zip(x, R).reduce(0) { $0 + max(0, $1.0) * $1.1 } }
        var y = x.map(Float.init)
        Ops.reluForward(&y, count: y.count)
        for i in y.indices { XCTAssertEqual(y[i], Float(max(0, x[i]))) }
        var d = R.map(Float.init)
        Ops.reluBackward(y, &d, count: d.count)
        for i in x.indices { assertClose(d[i], numericGrad(x, i, h: 1e-4, loss), "relu dx[\(i)]") }
    }

    func testMSEGradient() {
        var rng = SplitMix64(seed: 3)
        let n = 3, count = 3 * 16
        let y = randoms(count, &rng), t = randoms(count, &rng)
        func loss(_ y: [Double]) -> Double { zip(y, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / (2 * Double(n)) }
        var dy = [Float](repeating: 0, count: count)
        let sse = Ops.mseForwardBackward(y.map(Float.init), t.map(Float.init), count: count, batch: n, dy: &dy)
        XCTAssertEqual(Ops.mseLoss(sse: sse, batch: n), loss(y), accuracy: 1e-5)
        for i in 0..<count { assertClose(dy[i], numericGrad(y, i, loss), "mse dy[\(i)]") }
    }

    /// The whole model (conv-ReLU-conv-ReLU-conv + MSE, batched, 2 threads, micro-batches) against a Double
    /// reference of the same network, every parameter checked; with the OpenBLAS kernels and, where the CPU
    /// has it, the AVX-512 ones.
    func testModelGradient() throws {
        try checkModelGradient(.openblas)
        if requireAVX512() { try checkModelGradient(.avx512) }
    }

    func checkModelGradient(_ kernels: KernelFamily) throws {
        let arch = try Architecture(kernels: [3, 1, 3], filters: [4, 3])
        let patch = 8, N = 5, o = patch - 2 * arch.border
        var rng = SplitMix64(seed: 4)
        let p0 = randoms(arch.parameterCount, &rng, scale: 0.5)
        let inputs = randoms(N * patch * patch, &rng), labels = randoms(N * o * o, &rng)
        func refLoss(_ p: [Double]) -> Double {
            var x = inputs, side = patch
            let views = arch.views
            for (l, v) in views.enumerated() {
                let s = ConvShape(inChannels: v.inChannels, outChannels: v.outChannels, kernel: v.kernel,
                                  batch: N, height: side, width: side)
                x = refConv(x, Array(p[v.weightOffset..<v.biasOffset]), Array(p[v.biasOffset..<v.end]), s)
                if l < views.count - 1 { x = x.map { max(0, $0) } }
                side = s.outHeight
            }
            return zip(x, labels).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / (2 * Double(N))
        }
        let model = try Model(arch: arch, patch: patch, params: p0.map(Float.init), threads: 2, micro: 2, kernels: kernels)
        XCTAssertEqual(model.kernels, kernels)
        let fin = inputs.map(Float.init), flab = labels.map(Float.init)
        let mse = model.step(inputs: fin, labels: flab, batch: N)
        XCTAssertEqual(mse * Double(o * o) / 2, refLoss(p0), accuracy: 1e-4)
        for i in 0..<arch.parameterCount {
            assertClose(model.grads[i], numericGrad(p0, i, h: 1e-5, refLoss), rel: 5e-3, abs: 1e-4, "\(kernels) param \(i)")
        }
        // Micro-batches change only rounding; the thread count changes nothing at all.
        let one = try Model(arch: arch, patch: patch, params: p0.map(Float.init), threads: 1, micro: 64, kernels: kernels)
        one.step(inputs: fin, labels: flab, batch: N)
        for i in 0..<arch.parameterCount { XCTAssertEqual(one.grads[i], model.grads[i], accuracy: 1e-4) }
        let big = 21   // more than gradientChunks patches
        var r2 = SplitMix64(seed: 5)
        let bin = (0..<(big * patch * patch)).map { _ in Float(r2.nextUniform()) }
        let blab = (0..<(big * o * o)).map { _ in Float(r2.nextUniform()) }
        var results: [[Float]] = []
        for t in [1, 2, 3] {
            let m = try Model(arch: arch, patch: patch, params: p0.map(Float.init), threads: t, micro: 2, kernels: kernels)
            m.step(inputs: bin, labels: blab, batch: big)
            results.append(m.grads)
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }
}
