// End-to-end trainer tests: a tiny model learns (beats bicubic), resume is bit-identical, bad checkpoints fail clearly.
import Foundation
import TestSupport
import XCTest
import SRCNN
import SRCNNHost
import SRCNNImageIO
import SRCNNTraining

enum TrainPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let data = root.deletingLastPathComponent().appendingPathComponent("shared/data")
}

/// A smooth synthetic HR plane with some edges (values 0...1), deterministic for `seed`.
func syntheticPlane(_ w: Int, _ h: Int, seed: UInt64) -> Plane {
    var rng = SplitMix64(seed: seed)
    let a = rng.nextUniform() * 0.3 + 0.05, b = rng.nextUniform() * 0.3 + 0.05, c = rng.nextUniform() * 6
    var d = [Float](repeating: 0, count: w * h)
    for y in 0..<h {
        for x in 0..<w {
            var v = 0.5 + 0.3 * sin(a * Double(x) + c) * cos(b * Double(y))
            if (x / 7 + y / 11) % 3 == 0 { v += 0.15 }
            d[y * w + x] = quantize8AsUnit(Float(min(1, max(0, v))))
        }
    }
    return Plane(width: w, height: h, data: d)
}

func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-train-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

final class DataTests: XCTestCase {
    func testPatchesAreBicubicInputAndCentredHRLabel() throws {
        let hr = syntheticPlane(50, 41, seed: 1)
        var set = PatchSet(size: 20, border: 4)
        set.add(hrLuma: hr, scale: 2, settings: PatchSettings(size: 20, stride: 10))
        // modcrop -> 50x40; positions 0,10,20,30 across, 0,10,20 down.
        XCTAssertEqual(set.count, 4 * 3)
        XCTAssertEqual(set.labelSide, 12)
        let (h, bic) = BenchmarkProtocol.degrade(hr, scale: 2)
        // Patch 5 = row 1, column 1: top-left (10, 10).
        let i = 5
        XCTAssertEqual(set.inputs[i * 400 + 3 * 20 + 7], bic[17, 13])
        XCTAssertEqual(set.labels[i * 144 + 2 * 12 + 5], h[10 + 4 + 5, 10 + 4 + 2])
    }

    func testEightDistinctTransforms() {
        let p = syntheticPlane(7, 5, seed: 2)
        let all = (0..<8).map { PatchSet.transform(p, $0) }
        XCTAssertEqual(all[0], p)
        XCTAssertEqual(Set(all.map { $0.data }).count, 8)
        XCTAssertEqual(all[4].width, 5)
        // One patch per transform (7x5 modcrops to 6x4, transposed 5x7 to 4x6).
        var set = PatchSet(size: 4, border: 1)
        set.add(hrLuma: p, scale: 2, settings: PatchSettings(size: 4, stride: 100, flips: true))
        XCTAssertEqual(set.count, 8)
    }
}

final class TrainerTests: XCTestCase {
    let arch = try! Architecture(kernels: [5, 1, 3], filters: [8, 4])

    func syntheticData(_ config: TrainConfig) -> (PatchSet, [ValidationImage]) {
        var set = PatchSet(size: config.patches.size, border: config.arch.border)
        for s in 0..<4 { set.add(hrLuma: syntheticPlane(64, 60, seed: UInt64(s) + 10), scale: config.scale, settings: config.patches) }
        return (set, [ValidationImage(name: "v", hrLuma: syntheticPlane(40, 40, seed: 99), scale: config.scale)])
    }

    func config(epochs: Int = 3) -> TrainConfig {
        TrainConfig(arch: arch, scale: 2, patches: PatchSettings(size: 16, stride: 8), batch: 8,
                    optimizer: OptimizerConfig(kind: .adam, lr: 3e-3), seed: 7, dataset: "synthetic",
                    epochs: epochs, stepsPerEpoch: 20, threads: 2, micro: 3)
    }

    /// 60 steps straight == k steps, checkpoint, a new trainer resuming for the rest: bit-identical state,
    /// stopping mid-epoch (30) and at an epoch boundary (40), with Adam and with SGD.
    func testResumeIsBitIdentical() throws {
        for (kind, stopAt) in [(OptimizerConfig.Kind.adam, 30), (.adam, 40), (.sgd, 30), (.sgd, 20)] {
            var c = config()
            c.optimizer = kind == .adam ? OptimizerConfig(kind: .adam, lr: 3e-3) : OptimizerConfig(kind: .sgd, lr: 1e-2, lastLayerLR: 1e-3)
            let (data, val) = syntheticData(c)
            let dir = try tempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            let straight = try Trainer(config: c, data: data, validation: val)
            straight.log = { _ in }
            XCTAssertEqual(try straight.run(), .finished)
            XCTAssertEqual(straight.state.step, 60)

            let ck = dir.appendingPathComponent("run.ckpt").path
            let first = try Trainer(config: c, data: data, validation: val, outputs: TrainOutputs(checkpoint: ck))
            first.log = { _ in }
            XCTAssertEqual(try first.run(maxSteps: stopAt), .maxSteps)
            var c2 = c
            c2.threads = stopAt == 30 ? 1 : 3   // results do not depend on the thread count
            let second = try Trainer(config: c2, data: data, validation: val, outputs: TrainOutputs(checkpoint: ck), resume: ck)
            second.log = { _ in }
            XCTAssertEqual(second.state.step, stopAt)
            XCTAssertEqual(try second.run(), .finished)
            XCTAssertEqual(second.model.params, straight.model.params, "\(kind) parameters, stop at \(stopAt)")
            XCTAssertEqual(second.optimizer.m, straight.optimizer.m)
            XCTAssertEqual(second.optimizer.v, straight.optimizer.v)
            XCTAssertEqual(second.best, straight.best)
            XCTAssertEqual(second.state.history.map(\.loss), straight.state.history.map(\.loss))
            XCTAssertEqual(second.state.history.map(\.valPSNR), straight.state.history.map(\.valPSNR))
            // No temporary files left behind by the atomic writes.
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["run.ckpt"])
        }
    }

    func testBadCheckpointsFailClearly() throws {
        let c = config(epochs: 1)
        let (data, val) = syntheticData(c)
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ck = dir.appendingPathComponent("a.ckpt").path
        let t = try Trainer(config: c, data: data, validation: val, outputs: TrainOutputs(checkpoint: ck))
        t.log = { _ in }
        try t.run()
        let good = try Data(contentsOf: URL(fileURLWithPath: ck))
        func expectError(_ bytes: Data, _ needle: String, config cfg: TrainConfig? = nil, line: UInt = #line) {
            let p = dir.appendingPathComponent("b.ckpt").path
            _ = FileManager.default.createFile(atPath: p, contents: bytes)
            XCTAssertThrowsError(try Trainer(config: cfg ?? c, data: data, validation: val, resume: p), line: line) { e in
                XCTAssertTrue("\(e)".contains(needle), "\(e)", line: line)
                XCTAssertTrue("\(e)".contains("b.ckpt"), "\(e)", line: line)
            }
        }
        var flipped = good
        flipped[good.count / 2] ^= 0x10
        expectError(flipped, "checksum mismatch")
        expectError(good.prefix(good.count - 100), "checksum mismatch")
        expectError(good.prefix(10), "bad magic")
        expectError(Data("hello world, not a checkpoint".utf8), "bad magic")
        var v2 = good
        v2[8] = 9
        expectError(v2, "format version 9")
        var other = c
        other.arch = try Architecture(kernels: [5, 1, 3], filters: [8, 5])
        expectError(good, "does not match this run: architecture 5-1-3 (8/4) in the checkpoint, 5-1-3 (8/5) now", config: other)
        other = c; other.batch = 4
        expectError(good, "batch 8 in the checkpoint, 4 now", config: other)
        XCTAssertThrowsError(try Trainer(config: c, data: data, validation: val, resume: dir.appendingPathComponent("none").path)) { e in
            XCTAssertTrue("\(e)".contains("cannot read checkpoint"), "\(e)")
        }
    }

    /// A tiny model trained a few hundred steps on T91 crops: the loss falls and val PSNR beats bicubic.
    func testTinyModelLearnsOnT91() throws {
        let t91 = TrainPaths.data.appendingPathComponent("T91"), set5 = TrainPaths.data.appendingPathComponent("Set5")
        guard requireShared(t91), requireShared(set5) else { return }
        let c = TrainConfig(arch: arch, scale: 2, patches: PatchSettings(size: 24, stride: 12), batch: 32,
                            optimizer: OptimizerConfig(kind: .adam, lr: 3e-3), seed: 1, dataset: "T91 crops",
                            epochs: 25, stepsPerEpoch: 100, threads: 2, micro: 16)
        var data = PatchSet(size: 24, border: arch.border)
        let files = try FileManager.default.contentsOfDirectory(atPath: t91.path).filter { $0.hasSuffix(".png") }.sorted()
        for f in files.prefix(32) {
            let y = BenchmarkProtocol.hrLuma(try ImageFile.load(t91.appendingPathComponent(f).path).planes)
            data.add(hrLuma: y.crop(x: 0, y: 0, width: min(y.width, 120), height: min(y.height, 120)), scale: 2, settings: c.patches)
        }
        XCTAssertGreaterThan(data.count, 500)
        let val = try ["bird_GT.png", "head_GT.png"].map { n -> ValidationImage in
            let img = try ImageFile.load(set5.appendingPathComponent(n).path)
            return ValidationImage(name: n, hrLuma: BenchmarkProtocol.hrLuma(img.planes), scale: 2)
        }
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = TrainOutputs(weights: dir.appendingPathComponent("w.safetensors").path,
                               checkpoint: dir.appendingPathComponent("w.ckpt").path,
                               csv: dir.appendingPathComponent("w.csv").path, svg: dir.appendingPathComponent("w.svg").path)
        let t = try Trainer(config: c, data: data, validation: val, outputs: out)
        t.log = { print($0) }
        try t.run()
        let h = t.state.history
        XCTAssertEqual(h.count, 25)
        XCTAssertLessThan(h.last!.loss, h.first!.loss / 2)
        let bic = try XCTUnwrap(t.state.bicubicPSNR), best = try XCTUnwrap(t.state.bestPSNR)
        XCTAssertGreaterThan(best, bic + 0.05, "best val PSNR \(best) vs bicubic \(bic)")
        // The saved weights reproduce the best val PSNR under the engine's own forward pass.
        let net = try Network(contentsOf: out.weights!)
        XCTAssertEqual(net.metadata["scale"], "2")
        XCTAssertEqual(net.metadata["architecture"], "5-1-3 (8/4)")
        let psnr = try val.map { v in Metrics.psnr(try net.forward(v.bicubic), v.hr, shave: 2) }.reduce(0, +) / 2
        XCTAssertEqual(psnr, best, accuracy: 1e-9)
        let csv = try String(contentsOfFile: out.csv!, encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 26)
        let svg = try String(contentsOfFile: out.svg!, encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("polyline"))
    }
}
