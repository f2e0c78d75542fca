// `srcnn train` end to end: outputs, stop + resume == straight run, SIGINT checkpoint, clear checkpoint errors.
import Foundation
import TestSupport
import XCTest
import SRCNN
import SRCNNHost

final class TrainCLITests: XCTestCase {
    /// A small training folder (6 T91 images) and a validation folder (Set5 bird).
    func folders() throws -> (data: String, val: String, dir: URL)? {
        let t91 = Paths.data.appendingPathComponent("T91"), set5 = Paths.data.appendingPathComponent("Set5")
        guard requireShared(t91), requireShared(set5) else { return nil }
        let dir = try makeTempDir()
        let data = dir.appendingPathComponent("data"), val = dir.appendingPathComponent("val")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: val, withIntermediateDirectories: true)
        for n in ["t1.png", "t2.png", "t3.png", "t4.png", "t5.png", "t6.png"] {
            try FileManager.default.copyItem(at: t91.appendingPathComponent(n), to: data.appendingPathComponent(n))
        }
        try FileManager.default.copyItem(at: set5.appendingPathComponent("bird_GT.png"), to: val.appendingPathComponent("bird.png"))
        return (data.path, val.path, dir)
    }

    func tensors(_ path: String) throws -> [ConvLayer] { try Network(contentsOf: path).layers }

    func testTrainStopResumeMatchesStraightRun() throws {
        guard let f = try folders() else { return }
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let common = ["train", "--data", f.data, "--val", f.val, "--layers", "5-1-3", "--filters", "8,4", "--scale", "2",
                      "--patch", "20", "--stride", "10", "--batch", "16", "--epochs", "3", "--steps-per-epoch", "10",
                      "--lr", "3e-3", "--seed", "5", "--quiet"]
        let a = f.dir.appendingPathComponent("a.safetensors").path, b = f.dir.appendingPathComponent("b.safetensors").path
        let r1 = try runSRCNN(common + ["-o", a])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        XCTAssertTrue(r1.stdout.contains("patches 20x20 (labels 14x14)"), r1.stdout)
        XCTAssertTrue(r1.stdout.contains("epoch 3/3"), r1.stdout)
        let r2 = try runSRCNN(common + ["-o", b, "--max-steps", "15"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let r3 = try runSRCNN(common + ["-o", b, "--resume", b + ".ckpt"])
        XCTAssertEqual(r3.status, 0, r3.stderr)
        XCTAssertTrue(r3.stdout.contains("resuming at epoch 1, step 15"), r3.stdout)
        XCTAssertEqual(try tensors(a), try tensors(b))
        let net = try Network(contentsOf: b)
        XCTAssertEqual(net.metadata["scale"], "2")
        XCTAssertEqual(net.metadata["epochs"], "3")
        XCTAssertEqual(net.metadata["patch_size"], "20")
        XCTAssertNotNil(net.metadata["val_psnr"])
        let csv = try String(contentsOfFile: f.dir.appendingPathComponent("b.csv").path, encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 4, csv)
        XCTAssertTrue(FileManager.default.fileExists(atPath: f.dir.appendingPathComponent("b.svg").path))

        // A changed setting on resume, and a damaged checkpoint, are errors (never a silent restart).
        let r4 = try runSRCNN(common + ["-o", b, "--resume", b + ".ckpt", "--batch", "8"])
        XCTAssertEqual(r4.status, 1)
        XCTAssertTrue(r4.stderr.contains("does not match: batch 16 in the checkpoint, 8 now"), r4.stderr)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: b + ".ckpt"))
        bytes[bytes.count / 3] ^= 1
        let bad = f.dir.appendingPathComponent("bad.ckpt").path
        try bytes.write(to: URL(fileURLWithPath: bad))
        let r5 = try runSRCNN(common + ["-o", b, "--resume", bad])
        XCTAssertEqual(r5.status, 1)
        XCTAssertEqual(r5.stderr, "srcnn: error: checkpoint \(bad): checksum mismatch (file is corrupt or truncated)\n")
    }

    /// The validation choice is part of the checkpoint: a resume without --val/--no-val keeps it (before, it fell
    /// back to Set5 and picked different "best" weights), and a different one is a mismatch.
    func testValidationChoiceIsResumed() throws {
        guard let f = try folders() else { return }
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let o = f.dir.appendingPathComponent("nv.safetensors").path
        let common = ["train", "--data", f.data, "--layers", "5-1-3", "--filters", "8,4", "--scale", "2", "--patch", "20",
                      "--stride", "10", "--batch", "16", "--epochs", "2", "--steps-per-epoch", "5", "--quiet", "-o", o]
        let r1 = try runSRCNN(common + ["--no-val", "--max-steps", "3"])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        let r2 = try runSRCNN(common + ["--resume", o + ".ckpt"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertFalse(r2.stdout.contains("validation:"), "resumed without validation, as recorded: \(r2.stdout)")
        XCTAssertNil(try Network(contentsOf: o).metadata["val_psnr"])
        let r3 = try runSRCNN(common + ["--resume", o + ".ckpt", "--val", f.val, "--epochs", "3"])
        XCTAssertEqual(r3.status, 1)
        XCTAssertTrue(r3.stderr.contains("validation none in the checkpoint"), r3.stderr)
    }

    func testSIGINTSavesACheckpointThatResumes() throws {
        guard let f = try folders() else { return }
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let out = f.dir.appendingPathComponent("s.safetensors").path
        let args = ["train", "--data", f.data, "--no-val", "--layers", "9-1-5", "--filters", "32,16", "--scale", "2",
                    "--patch", "24", "--stride", "12", "--batch", "16", "--epochs", "1", "--steps-per-epoch", "1000000", "-o", out]
        let p = Process()
        p.executableURL = Paths.binary
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 2.5)
        p.interrupt()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130, text)
        XCTAssertTrue(text.contains("checkpoint saved"), text)
        let r = try runSRCNN(args + ["--resume", out + ".ckpt", "--max-steps", "1"])   // already past step 1: stops at once
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("resuming at epoch 0, step "), r.stdout)
    }
}

/// Bad `srcnn train` options fail at once with one line (before: SIGSEGV for --patch 0/5, a misleading error
/// after training for --steps-per-epoch 0 or a missing output folder).
final class TrainOptionCLITests: XCTestCase {
    func testBadOptionsFailBeforeTraining() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("m.safetensors").path
        let base = ["train", "--data", data.path, "--no-val", "--layers", "9-5-5", "--filters", "8,4", "--quiet"]
        for (extra, needle) in [(["--patch", "0", "-o", out], "patch size 0"), (["--patch", "5", "-o", out], "patch size 5"),
                                (["--steps-per-epoch", "0", "-o", out], "steps per epoch"),
                                (["-o", dir.appendingPathComponent("no/such/m.safetensors").path], "does not exist")] {
            let t0 = Date()
            let r = try runSRCNN(base + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertLessThan(r.status, 128, "\(extra): no crash signal")
            XCTAssertTrue(r.stderr.contains(needle), "\(extra): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(extra): \(r.stderr)")
            XCTAssertLessThan(Date().timeIntervalSince(t0), 5, "\(extra): refused before any work")
        }
    }
}
