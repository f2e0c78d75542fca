// The AVX-512 training path against the OpenBLAS reference path (Ops): per layer (forward output, dW, db, dX)
// and per model (loss, every parameter gradient, determinism) on random data; skipped without AVX-512.
import XCTest
import SRCNN
@testable import SRCNNTraining

/// True when the AVX-512 kernels can run here; otherwise prints SKIP (the test then returns early).
func requireAVX512(_ what: String = #function) -> Bool {
    if CPUFeatures.hasAVX512 { return true }
    print("SKIP \(what): this CPU has no AVX-512 (avx512f/bw/dq/vl/cd + fma); only the OpenBLAS path runs here")
    return false
}

/// |got - want| <= rel · max(|want|, scale) elementwise, where `scale` (the largest |want|, times `floor`) keeps
/// near-zero entries from demanding a relative precision that float sums of hundreds of terms do not have.
func assertMatches(_ got: [Float], _ want: [Float], rel: Float = 1e-4, floor: Float = 1e-2, _ what: String,
                   file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(what): sizes", file: file, line: line)
    guard got.count == want.count, !want.isEmpty else { return }
    let scale = (want.map(abs).max() ?? 0) * floor
    var worst: Float = 0, at = 0
    for i in want.indices {
        let e = abs(got[i] - want[i]) / max(abs(want[i]), scale, .leastNormalMagnitude)
        if !(e <= worst) { worst = e; at = i }   // NaN counts as worst
    }
    XCTAssertLessThanOrEqual(worst, rel, "\(what): worst relative error \(worst) at \(at): \(got[at]) vs \(want[at]) (of \(got.count))",
                             file: file, line: line)
}

final class FastPathTests: XCTestCase {
    static let architectures: [(Architecture, Int)] = [
        (try! Architecture(kernels: [9, 3, 5], filters: [128, 64]), 32),
        (try! Architecture(kernels: [9, 5, 5], filters: [64, 32]), 33),
        (try! Architecture(kernels: [9, 1, 5], filters: [64, 32]), 33),
    ]

    func randomFloats(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1, offset: Double = 0) -> [Float] {
        (0..<n).map { _ in Float((rng.nextUniform() * 2 - 1) * scale + offset) }
    }

    /// One layer, batch 1: the AVX-512 kernels (forward without ReLU, dW, db, dX) against Ops.
    func checkLayer(_ v: LayerView, side: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SplitMix64(seed: seed)
        let s = ConvShape(inChannels: v.inChannels, outChannels: v.outChannels, kernel: v.kernel, batch: 1, height: side, width: side)
        let x = randomFloats(s.inputCount, &rng)
        let std = (2.0 / Double(s.patchSize)).squareRoot()
        let w = randomFloats(s.weightCount, &rng, scale: std * 1.7), b = randomFloats(s.outChannels, &rng, scale: 0.1)
        let dy = randomFloats(s.outputCount, &rng)
        var y = [Float](repeating: 0, count: s.outputCount), col = [Float](repeating: 0, count: s.colCount)
        var dw = [Float](repeating: 0, count: s.weightCount), db = [Float](repeating: 0, count: s.outChannels)
        var dx = [Float](repeating: 0, count: s.inputCount), scratch = [Float](repeating: 0, count: s.colCount)
        if s.outChannels == 1 {
            Ops.convForwardSingle(x, w, b, &y, s)
            Ops.convBackwardSingle(dy, w, x: x, &dw, &db, &dx, s)
        } else {
            Ops.convForward(x, w, b, &y, s, col: &col)
            Ops.convBackward(dy, w, col: col, &dw, &db, &dx, scratch: &scratch, s)
        }
        let fast = FastPath.convolve(view: v, side: side, x: x, weights: w, bias: b, dy: dy)
        let name = "\(v.inChannels)->\(v.outChannels) k\(v.kernel) side \(side)"
        assertMatches(fast.y, y, "\(name) forward", file: file, line: line)
        assertMatches(fast.dw, dw, "\(name) dW", file: file, line: line)
        assertMatches(fast.db, db, "\(name) db", file: file, line: line)
        if let fdx = fast.dx { assertMatches(fdx, dx, "\(name) dX", file: file, line: line) }
        else { XCTAssertEqual(v.inChannels, 1, "dX is skipped only for one input channel", file: file, line: line) }
    }

    /// Every layer of the three architectures at their patch sizes and at patch 21, plus odd channel counts.
    func testLayersMatchReference() throws {
        guard requireAVX512() else { return }
        var seed: UInt64 = 100
        for (arch, patch) in FastPathTests.architectures {
            for p in [patch, 21] {
                var side = p
                for v in arch.views {
                    seed += 1
                    checkLayer(v, side: side, seed: seed)
                    side -= v.kernel - 1
                }
            }
        }
        // Channel counts that are not multiples of 16 (padded inside), a 1x1 layer with few pixels.
        for (cin, cout, k, side) in [(1, 8, 5, 16), (8, 4, 1, 12), (4, 1, 3, 10), (20, 37, 3, 9), (37, 1, 5, 7), (3, 16, 3, 3)] {
            seed += 1
            checkLayer(LayerView(inChannels: cin, outChannels: cout, kernel: k, weightOffset: 0), side: side, seed: seed)
        }
    }

    /// The Winograd forms of the middle layers (forward without ReLU, backward-data without the mask) against Ops,
    /// at patch sides that are and are not whole tiles; these shapes must take the Winograd path.
    func testWinogradLayersMatchReference() throws {
        guard requireAVX512() else { return }
        var seed: UInt64 = 500
        for (cin, cout, k, side) in [(128, 64, 3, 26), (128, 64, 3, 24), (64, 32, 5, 29), (64, 32, 5, 25), (64, 32, 5, 17)] {
            seed += 1
            var rng = SplitMix64(seed: seed)
            let v = LayerView(inChannels: cin, outChannels: cout, kernel: k, weightOffset: 0)
            let f = FastLayer(view: v, side: side, outSide: side - k + 1, sx: cin, so: cout)
            XCTAssertTrue(f.winogradForward && f.winogradBackward, "\(cin)->\(cout) k\(k) runs Winograd")
            let s = ConvShape(inChannels: cin, outChannels: cout, kernel: k, batch: 1, height: side, width: side)
            let x = randomFloats(s.inputCount, &rng), dy = randomFloats(s.outputCount, &rng)
            let w = randomFloats(s.weightCount, &rng, scale: (2.0 / Double(s.patchSize)).squareRoot() * 1.7)
            let b = randomFloats(cout, &rng, scale: 0.1)
            var y = [Float](repeating: 0, count: s.outputCount), col = [Float](repeating: 0, count: s.colCount)
            var dw = [Float](repeating: 0, count: s.weightCount), db = [Float](repeating: 0, count: cout)
            var dx = [Float](repeating: 0, count: s.inputCount), scratch = [Float](repeating: 0, count: s.colCount)
            Ops.convForward(x, w, b, &y, s, col: &col)
            Ops.convBackward(dy, w, col: col, &dw, &db, &dx, scratch: &scratch, s)

            let W = FastWeights([f]), mem = Buffers(), ws = PatchWinogradWorkspace(), fw = FastWinograd(f, mem)
            W.pack(w + b)
            let hw = side * side, o = f.outSide, ohw = o * o
            let xcl = mem.floats(hw * cin), dycl = mem.floats(ohw * cout)
            let ycl = mem.floats(ohw * cout), dxcl = mem.floats(hw * cin)
            for c in 0..<cin { for p in 0..<hw { xcl[p * cin + c] = x[c * hw + p] } }
            for c in 0..<cout { for p in 0..<ohw { dycl[p * cout + c] = dy[c * ohw + p] } }
            fw.forward(W.winogradForward[0]!, x: xcl, bias: W.bias[0], relu: false, out: ycl, workspace: ws)
            fw.backwardData(W.winogradBackward[0]!, dy: dycl, mask: nil, dx: dxcl, workspace: ws)
            let name = "Winograd \(cin)->\(cout) k\(k) side \(side)"
            // Winograd's rounding follows the size of the terms, not of their sum: errors are measured against the
            // largest output (floor 1), where they are ~1e-5 (the direct kernels' are ~1e-6).
            assertMatches((0..<y.count).map { ycl[($0 % ohw) * cout + $0 / ohw] }, y, rel: 5e-5, floor: 1, "\(name) forward")
            assertMatches((0..<dx.count).map { dxcl[($0 % hw) * cin + $0 / hw] }, dx, rel: 5e-5, floor: 1, "\(name) dX")
        }
    }

    /// Whole models, several batches and thread counts: loss and every gradient against the OpenBLAS path,
    /// and the network output of a single patch.
    func testModelsMatchReference() throws {
        guard requireAVX512() else { return }
        var seed: UInt64 = 1
        var cases = FastPathTests.architectures.map { ($0.0, $0.1, 4) }
        cases += FastPathTests.architectures.map { ($0.0, 21, 3) }
        cases.append((try Architecture(kernels: [5, 1, 3], filters: [8, 4]), 16, 11))
        cases.append((try Architecture(kernels: [3, 3, 3, 3], filters: [20, 17, 5]), 15, 9))
        for (arch, patch, batch) in cases {
            seed += 1
            var rng = SplitMix64(seed: seed)
            let o = patch - 2 * arch.border
            let params = Model.initialParameters(arch, seed: seed, std: nil).map { $0 * 1.3 }
            // Inputs and labels in 0...1 like image patches; the loss gradient is (y - t)/batch.
            let inputs = randomFloats(batch * patch * patch, &rng, scale: 0.5, offset: 0.5)
            let labels = randomFloats(batch * o * o, &rng, scale: 0.5, offset: 0.5)
            let ref = try Model(arch: arch, patch: patch, params: params, threads: 2, micro: 1, kernels: .openblas)
            let fast = try Model(arch: arch, patch: patch, params: params, threads: 2, micro: 1, kernels: .avx512)
            XCTAssertEqual(ref.kernels, .openblas)
            XCTAssertEqual(fast.kernels, .avx512)
            let mr = ref.step(inputs: inputs, labels: labels, batch: batch)
            let mf = fast.step(inputs: inputs, labels: labels, batch: batch)
            XCTAssertEqual(mf, mr, accuracy: 1e-4 * mr, "\(arch.name) patch \(patch) loss")
            for v in arch.views {
                assertMatches(Array(fast.grads[v.weightOffset..<v.biasOffset]), Array(ref.grads[v.weightOffset..<v.biasOffset]),
                              "\(arch.name) patch \(patch) dW of \(v.inChannels)->\(v.outChannels)")
                assertMatches(Array(fast.grads[v.biasOffset..<v.end]), Array(ref.grads[v.biasOffset..<v.end]),
                              "\(arch.name) patch \(patch) db of \(v.inChannels)->\(v.outChannels)")
            }
            // The network output of one patch.
            let r1 = try Model(arch: arch, patch: patch, params: params, threads: 1, kernels: .openblas)
            let f1 = try Model(arch: arch, patch: patch, params: params, threads: 1, kernels: .avx512)
            r1.step(inputs: inputs, labels: labels, batch: 1)
            f1.step(inputs: inputs, labels: labels, batch: 1)
            assertMatches(f1.lastOutput, r1.lastOutput, "\(arch.name) patch \(patch) output")
        }
    }

    /// The thread count changes nothing at all on the AVX-512 path either.
    func testFastPathIsDeterministicAcrossThreadCounts() throws {
        guard requireAVX512() else { return }
        let arch = try Architecture(kernels: [9, 5, 5], filters: [64, 32])
        let patch = 21, batch = 19, o = patch - 2 * arch.border
        var rng = SplitMix64(seed: 77)
        let params = Model.initialParameters(arch, seed: 3, std: nil)
        let inputs = randomFloats(batch * patch * patch, &rng, scale: 0.5, offset: 0.5)
        let labels = randomFloats(batch * o * o, &rng, scale: 0.5, offset: 0.5)
        var results: [[Float]] = []
        for t in [1, 2, 3] {
            let m = try Model(arch: arch, patch: patch, params: params, threads: t, kernels: .avx512)
            XCTAssertEqual(m.kernels, .avx512)
            m.step(inputs: inputs, labels: labels, batch: batch)
            m.step(inputs: inputs, labels: labels, batch: batch)
            results.append(m.grads)
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }
}
