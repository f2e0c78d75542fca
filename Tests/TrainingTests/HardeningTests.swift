// Crafted checkpoints (valid checksum, absurd settings), non-finite state and bad options: one clear error each,
// never a crash or NaN weights written.
import Foundation
import SRCNN
import SRCNNHost
import SRCNNTraining
import XCTest

final class HardeningTests: XCTestCase {
    func config() -> TrainConfig {
        TrainConfig(arch: try! Architecture(kernels: [5, 1, 3], filters: [8, 4]), scale: 2,
                    patches: PatchSettings(size: 16, stride: 8), batch: 8, optimizer: OptimizerConfig(kind: .adam, lr: 3e-3),
                    seed: 3, epochs: 1, stepsPerEpoch: 5, threads: 2)
    }

    func data(_ c: TrainConfig) -> PatchSet {
        var set = PatchSet(size: c.patches.size, border: c.arch.border)
        for s in 1...3 { set.add(hrLuma: syntheticPlane(48, 40, seed: UInt64(s)), scale: c.scale, settings: c.patches) }
        return set
    }

    /// A checkpoint whose content is changed by `edit` and then re-encoded, so the checksum is valid and the
    /// semantic checks are what must refuse it.
    func crafted(_ edit: (inout Checkpoint) -> Void, in dir: URL) throws -> String {
        let c = config()
        let ck = dir.appendingPathComponent("good.ckpt").path
        let t = try Trainer(config: c, data: data(c), validation: [], outputs: TrainOutputs(checkpoint: ck))
        t.log = { _ in }
        try t.run(maxSteps: 2)
        var k = try Checkpoint(contentsOf: ck)
        edit(&k)
        let p = dir.appendingPathComponent("crafted.ckpt").path
        try writeFileAtomically(try k.encoded(), to: p)
        return p
    }

    func testCraftedCheckpointsAreRefusedWithOneLine() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, (inout Checkpoint) -> Void)] = [
            ("patch size 0", { $0.config.patches.size = 0 }),
            ("patch size 5", { $0.config.patches.size = 5 }),
            ("scale must be 1 to 8, got 0", { $0.config.scale = 0 }),
            ("negative or inconsistent step counters", { $0.state.step = -1 }),
            ("batch must be 1 to 65536", { $0.config.batch = 1 << 40 }),
            ("patch stride must be 1 to 1024", { $0.config.patches.stride = 0 }),
            ("steps per epoch must be at least 1", { $0.config.stepsPerEpoch = -1 }),
            ("downscales must be factors between 0 and 1", { $0.config.patches.downscales = [2.0] }),
            ("beyond the epoch's 5 steps", { $0.state.stepInEpoch = 7; $0.state.step = 9 }),
            ("kernel sizes must be odd", { $0.config.arch.kernels = [4, 1, 3] }),
            ("NaN or infinite", { $0.params[3] = .nan }),
            ("NaN or infinite", { $0.m[0] = .infinity }),
            // The history drives the CSV and SVG (an epoch of Int.min overflowed the curve's x axis).
            ("1 history records for 0 epochs", { $0.state.history = [record(1)] }),
            ("out of order", { $0.state.epoch = 1; $0.state.history = [record(Int.min)] }),
            ("out of order", { $0.state.epoch = 2; $0.state.history = [record(2), record(1)] }),
            ("negative or non-finite", { $0.state.epoch = 1; $0.state.history = [record(1, loss: -1)] }),
            ("best epoch 3 is not one of the 1 done", { $0.state.epoch = 1; $0.state.bestEpoch = 3 }),
            ("best epoch -1 is not one of the 0 done", { $0.state.bestEpoch = -1 }),
        ]
        for (needle, edit) in cases {
            let p = try crafted(edit, in: dir)
            XCTAssertThrowsError(try Checkpoint(contentsOf: p), needle) { e in
                XCTAssertTrue("\(e)".contains(needle), "expected '\(needle)': \(e)")
                XCTAssertTrue("\(e)".contains("crafted.ckpt"), "\(e)")
                XCTAssertFalse("\(e)".contains("\n"), "\(e)")
            }
        }
    }

    /// Array lengths are 64-bit in the file: one past Int.max used to trap converting to Int (found by reading the
    /// decoder for the checkpoint fuzz harness); now it is a truncated array like any other wrong length.
    func testHugeArrayLengthIsAnError() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var b = try [UInt8](Data(contentsOf: URL(fileURLWithPath: crafted({ _ in }, in: dir))))
        let hlen = Int(b[12]) | Int(b[13]) << 8 | Int(b[14]) << 16 | Int(b[15]) << 24
        for i in 0..<8 { b[16 + hlen + i] = i == 7 ? 0x80 : (i == 0 ? 1 : 0) }   // 2^63 + 1 parameters
        b.removeLast(8)
        b += withUnsafeBytes(of: b.withUnsafeBytes { Checkpoint.fnv1a($0) }.littleEndian) { Array($0) }
        XCTAssertThrowsError(try Checkpoint(decoding: b, name: "huge")) { e in
            XCTAssertTrue("\(e)".contains("truncated array"), "\(e)")
        }
    }

    func testConfigChecksBeforeAnyWork() throws {
        var c = config()
        c.patches.size = 5
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("needs 7 to 1024"), "\($0)") }
        c = config(); c.stepsPerEpoch = 0
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("steps per epoch"), "\($0)") }
        c = config(); c.optimizer.lr = .nan
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("learning rate"), "\($0)") }
        XCTAssertNoThrow(try config().validate())
    }

    /// NaN in the parameters hides from the loss behind ReLU: the trainer must refuse to write anything.
    func testNonFiniteParametersWriteNothing() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = config()
        let w = dir.appendingPathComponent("w.safetensors").path, ck = dir.appendingPathComponent("w.ckpt").path
        let t = try Trainer(config: c, data: data(c), validation: [], outputs: TrainOutputs(weights: w, checkpoint: ck))
        t.log = { _ in }
        // Every first-layer weight NaN: ReLU's max(0, NaN) = 0 keeps the loss finite.
        for i in 0..<(8 * 25) { t.model.params[i] = .nan }
        XCTAssertThrowsError(try t.run()) { XCTAssertTrue("\($0)".contains("not finite"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: w), "no NaN weights written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ck), "no checkpoint of a diverged run")
    }
}

/// One epoch's line of a checkpoint's history.
private func record(_ epoch: Int, loss: Double = 0.01) -> EpochRecord {
    EpochRecord(epoch: epoch, step: 0, loss: loss, valPSNR: 30, patchesPerSecond: 100, seconds: 1)
}
