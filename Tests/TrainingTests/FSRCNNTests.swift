// FSRCNN: the training pass equals the engine's reference on each label window, gradients match finite
// differences, the engine's forward matches its reference, flips at gather time keep patch and label aligned.
import XCTest
@testable import SRCNN
@testable import SRCNNTraining

final class FSRCNNTests: XCTestCase {
    /// A small FSRCNN (d 6, s 3, m 1) with random (not zero) biases, for exact comparisons.
    func tinyArch() throws -> Architecture {
        try Architecture(kernels: [5, 1, 3, 1, 9], filters: [6, 3, 3, 6], family: .fsrcnn)
    }

    func randomParams(_ arch: Architecture, seed: UInt64) -> [Float] {
        var p = FSRCNNModel.initialParameters(arch, seed: seed, std: nil)
        var r = SplitMix64(seed: seed + 7)
        for v in arch.views {
            for i in 0..<v.outChannels { p[v.biasOffset + i] = Float(r.nextUniform() * 0.2 - 0.1) }
            for i in 0..<v.slopeCount { p[v.slopeOffset + i] = Float(r.nextUniform() * 0.5) }
            // A deconvolution as large as the body's weights, so its gradients are not negligible.
            if v.slopeCount == 0 { for i in 0..<v.weightCount { p[v.weightOffset + i] *= 100 } }
        }
        return p
    }

    func testLabelWindowIsExactlyTheFullySupportedPixels() throws {
        let arch = try Architecture.fsrcnn()
        for (s, n) in [(2, 26), (3, 22), (4, 20), (3, 15)] {
            let g = try FSRCNNGeometry(arch: arch, scale: s, lrPatch: n)
            let R = g.radius, k = g.kernel, p = g.padding
            let supported = (0..<(s * n)).filter { Y in
                (0..<n).filter { y in (0..<k).contains(Y - s * y + p) }.allSatisfy { $0 >= R && $0 < n - R }
            }
            XCTAssertEqual(supported.first, g.labelStart, "x\(s) patch \(n)")
            XCTAssertEqual(supported.count, g.labelSide, "x\(s) patch \(n)")
            XCTAssertEqual(supported.last! - supported.first! + 1, supported.count, "contiguous")
            // The stored window holds the label window and its mirror image.
            XCTAssertLessThanOrEqual(g.storedStart, g.labelStart)
            XCTAssertEqual(g.storedStart + g.storedSide, s * n - g.storedStart)
        }
        XCTAssertThrowsError(try FSRCNNGeometry(arch: arch, scale: 3, lrPatch: 12))
    }

    /// The training pass on a patch (valid convolutions) gives the engine reference's pixels in the label window.
    func testTrainingPassEqualsEngineReferenceOnTheLabelWindow() throws {
        let arch = try tinyArch()
        let params = randomParams(arch, seed: 3)
        for s in [2, 3, 4] {
            let g = try FSRCNNGeometry(arch: arch, scale: s, lrPatch: 14)
            let model = try FSRCNNModel(arch: arch, geometry: g, params: params, threads: 1, batch: 2)
            let lr = syntheticPlane(14, 14, seed: UInt64(s))
            let lr2 = syntheticPlane(14, 14, seed: UInt64(s) + 10)
            let inputs = lr.data + lr2.data
            let labels = [Float](repeating: 0, count: 2 * g.labelSide * g.labelSide)
            let mse = model.step(inputs: inputs, labels: labels, batch: 2)
            let engine = FSRCNNModel.model(arch, params, scale: s)
            var sse = 0.0
            for img in [lr, lr2] {
                let ref = engine.forwardReference(img)
                for y in 0..<g.labelSide {
                    for x in 0..<g.labelSide {
                        let v = Double(ref.data[(g.labelStart + y) * ref.width + g.labelStart + x])
                        sse += v * v
                    }
                }
            }
            XCTAssertEqual(mse, sse / Double(2 * g.labelSide * g.labelSide), accuracy: 1e-6 * max(1, mse), "x\(s)")
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        let arch = try tinyArch()
        let g = try FSRCNNGeometry(arch: arch, scale: 3, lrPatch: 12)
        var params = randomParams(arch, seed: 5)
        let model = try FSRCNNModel(arch: arch, geometry: g, params: params, threads: 2, batch: 3)
        var r = SplitMix64(seed: 9)
        let inputs = (0..<(3 * 144)).map { _ in Float(r.nextUniform()) }
        let labels = (0..<(3 * g.labelSide * g.labelSide)).map { _ in Float(r.nextUniform()) }
        model.step(inputs: inputs, labels: labels, batch: 3)
        let grads = model.grads
        // L = 1/(2N) sum (y - t)^2 = mse * L^2 / 2 per patch.
        func loss(_ p: [Float]) -> Double {
            model.params = p
            return model.step(inputs: inputs, labels: labels, batch: 3) * Double(g.labelSide * g.labelSide) / 2
        }
        let views = arch.views
        var checked = 0
        for (l, v) in views.enumerated() {
            var picks = [v.weightOffset, v.weightOffset + v.weightCount / 2, v.biasOffset]
            if v.slopeCount > 0 { picks.append(v.slopeOffset) }
            for i in picks {
                let h: Float = 1e-2 * max(0.01, abs(params[i]))
                var plus = params, minus = params
                plus[i] += h; minus[i] -= h
                let numeric = (loss(plus) - loss(minus)) / Double(2 * h)
                XCTAssertEqual(Double(grads[i]), numeric, accuracy: 2e-3 * max(1e-3, abs(numeric)) + 1e-6,
                               "layer \(l) parameter \(i)")
                checked += 1
            }
        }
        params = model.params
        XCTAssertGreaterThan(checked, 15)
    }

    func testEngineForwardMatchesReference() throws {
        let arch = try tinyArch()
        for s in [2, 3, 4] {
            let m = FSRCNNModel.model(arch, randomParams(arch, seed: UInt64(20 + s)), scale: s)
            let lr = syntheticPlane(17, 11, seed: UInt64(s))
            let ref = m.forwardReference(lr)
            for threads in [1, 2, 3] {
                let fast = try m.forward(lr, threads: threads)
                XCTAssertEqual(fast.width, 17 * s); XCTAssertEqual(fast.height, 11 * s)
                let diff = zip(fast.data, ref.data).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(diff, 1e-5, "x\(s), \(threads) threads")
            }
        }
        // One pixel in, scale x scale out.
        let one = FSRCNNModel.model(arch, randomParams(arch, seed: 1), scale: 3)
        let p = Plane(width: 1, height: 1, data: [0.5])
        XCTAssertLessThan(abs(try one.forward(p).data[4] - one.forwardReference(p).data[4]), 1e-5)
    }

    /// A patch gathered with a flip equals, within resize rounding, the unflipped patch of the flipped image.
    func testFlipsAtGatherKeepPatchAndLabelAligned() throws {
        let arch = try Architecture.fsrcnn()
        for s in [2, 3] {
            let g = try FSRCNNGeometry(arch: arch, scale: s, lrPatch: 20)
            let side = 26 * s   // LR 26: patches at x = 0 and 6 (mirror positions of each other)
            let hr = syntheticPlane(side, side, seed: UInt64(s))
            var flipped = PatchSet(fsrcnn: g, flips: true), plain = PatchSet(fsrcnn: g, flips: false)
            flipped.addLowResolution(hrLuma: hr, geometry: g, settings: PatchSettings(size: 20, stride: 6))
            for t in 0..<8 {
                plain = PatchSet(fsrcnn: g, flips: false)
                plain.addLowResolution(hrLuma: PatchSet.transform(hr, t), geometry: g,
                                       settings: PatchSettings(size: 20, stride: 6))
                var bi: [Float] = [], bl: [Float] = []
                // Find a seed whose draw for position 0 is t, then gather patch 0 with it.
                var seed: UInt64 = 0
                while PatchSet.flip(seed: seed, position: 0) != t { seed += 1 }
                flipped.gather([0], inputs: &bi, labels: &bl, seed: seed)
                var best = Float.infinity
                for j in 0..<plain.count {
                    var pi: [Float] = [], pl: [Float] = []
                    plain.gather([j], inputs: &pi, labels: &pl)
                    let d = max(zip(bi, pi).map { abs($0 - $1) }.max()!, zip(bl, pl).map { abs($0 - $1) }.max()!)
                    best = min(best, d)
                }
                XCTAssertLessThan(best, 1e-5, "x\(s) transform \(t)")
            }
        }
    }
}

final class FSRCNNTrainerTests: XCTestCase {
    func config(epochs: Int = 3) throws -> TrainConfig {
        var c = TrainConfig(arch: try Architecture(kernels: [5, 1, 3, 1, 9], filters: [8, 4, 4, 8], family: .fsrcnn),
                            scale: 3, patches: PatchSettings(size: 16, stride: 4, flips: true), batch: 8,
                            optimizer: OptimizerConfig(kind: .adam, lr: 3e-3), seed: 7,
                            dataset: "synthetic", epochs: epochs, stepsPerEpoch: 20, threads: 2, micro: 1)
        c.validation = "synthetic"
        return c
    }

    func data(_ c: TrainConfig) throws -> (PatchSet, [ValidationImage]) {
        let g = try c.fsrcnnGeometry()
        var set = PatchSet(fsrcnn: g, flips: c.patches.flips)
        for s in 0..<4 { set.addLowResolution(hrLuma: syntheticPlane(96, 90, seed: UInt64(s) + 10), geometry: g,
                                              settings: c.patches) }
        return (set, [ValidationImage(name: "v", hrLuma: syntheticPlane(60, 60, seed: 99), scale: c.scale)])
    }

    /// It learns (validation above bicubic after a few hundred steps), resumes bit for bit at another thread
    /// count, and writes FSRCNN weights the engine reads back.
    func testLearnsResumesAndWritesFSRCNNWeights() throws {
        var c = try config(epochs: 12)
        c.stepsPerEpoch = 125
        let (set, val) = try data(c)
        XCTAssertGreaterThan(set.count, 50)
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let straight = try Trainer(config: c, data: set, validation: val,
                                   outputs: TrainOutputs(weights: dir.appendingPathComponent("f.safetensors").path))
        straight.log = { _ in }
        try straight.run()
        try straight.writeOutputs()
        // From scratch FSRCNN must learn interpolation itself (it starts near a black image): within this test's
        // 1,500 tiny steps it climbs most of the way to bicubic (it passes it only after far longer runs).
        let bic = try XCTUnwrap(straight.bicubicPSNR), best = try XCTUnwrap(straight.state.bestPSNR)
        let firstEpoch = try XCTUnwrap(straight.state.history.first?.valPSNR)
        print("FSRCNN tiny run: val \(straight.state.history.map { String(format: "%.2f", $0.valPSNR ?? 0) }) dB, bicubic \(bic)")
        XCTAssertGreaterThan(best, firstEpoch + 1.5, "FSRCNN val \(best) dB after \(firstEpoch) dB at epoch 1")
        XCTAssertGreaterThan(best, bic - 1.5, "FSRCNN val \(best) dB vs bicubic \(bic) dB")
        XCTAssertLessThan(straight.state.history.last!.loss, straight.state.history.first!.loss / 3)
        guard case .fsrcnn(let m) = try SRModel(contentsOf: dir.appendingPathComponent("f.safetensors").path) else {
            return XCTFail("not written as FSRCNN")
        }
        XCTAssertEqual(m.scale, 3)
        XCTAssertEqual(try FSRCNNModel.parameters(from: m, arch: c.arch), straight.best)
        // The engine scores the written weights as the trainer's validation did.
        let sr = try m.forward(val[0].lr, threads: 1)
        XCTAssertEqual(Metrics.psnr(sr, val[0].hr, shave: 3), best, accuracy: 1e-9)

        let ck = dir.appendingPathComponent("run.ckpt").path
        let first = try Trainer(config: c, data: set, validation: val, outputs: TrainOutputs(checkpoint: ck))
        first.log = { _ in }
        XCTAssertEqual(try first.run(maxSteps: 610), .maxSteps)
        var c2 = c
        c2.threads = 1
        let second = try Trainer(config: c2, data: set, validation: val, outputs: TrainOutputs(checkpoint: ck),
                                 resume: ck)
        second.log = { _ in }
        XCTAssertEqual(try second.run(), .finished)
        XCTAssertEqual(second.model.params, straight.model.params)
        XCTAssertEqual(second.optimizer.m, straight.optimizer.m)
        XCTAssertEqual(second.state.history.map(\.valPSNR), straight.state.history.map(\.valPSNR))
    }
}
