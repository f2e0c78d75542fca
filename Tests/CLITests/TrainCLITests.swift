// `srcnn train` end to end: outputs, stop + resume == straight run, SIGINT checkpoint, clear checkpoint errors.
import Foundation
import TestSupport
import XCTest
import SRCNN
import SRCNNHost
import SRCNNTraining

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

    /// `kill -9` at 30 random moments (data loading, steps, epoch ends with their checkpoint, CSV, SVG and weights
    /// writes): the checkpoint left is always either absent or intact, and the next run always resumes from it
    /// (or starts fresh when there is none), never crashes or trains from a damaged file.
    func testKillNineAtRandomMomentsAlwaysResumes() throws {
        guard let f = try folders() else { return }
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let o = f.dir.appendingPathComponent("k.safetensors").path, ck = o + ".ckpt"
        // Short epochs, so checkpoint writes are frequent and the kills land on them too.
        let args = ["train", "--data", f.data, "--no-val", "--layers", "5-1-3", "--filters", "8,4", "--scale", "2",
                    "--patch", "20", "--stride", "10", "--batch", "8", "--epochs", "400", "--steps-per-epoch", "2",
                    "--quiet", "-o", o]
        var rng = SplitMix64(seed: 2026)
        var resumed = 0
        for i in 0..<30 {
            let p = Process()
            p.executableURL = Paths.binary
            p.arguments = args + (FileManager.default.fileExists(atPath: ck) ? ["--resume", ck] : [])
            // Checkpoint writes slowed to 1 KiB per 15 ms: most kills land inside one (a writer that is not
            // atomic then leaves a truncated checkpoint and this test fails).
            p.environment = ProcessInfo.processInfo.environment.merging(["SRCNN_FAULT_SLOW_WRITES": "15"]) { $1 }
            p.standardOutput = FileHandle.nullDevice
            let err = Pipe()
            p.standardError = err
            try p.run()
            usleep(UInt32(50_000 + rng.nextUniform() * 600_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if p.terminationReason == .exit {
                XCTAssertEqual(p.terminationStatus, 0, "run \(i) ended by itself: \(stderr)")
            }
            if FileManager.default.fileExists(atPath: ck) {
                XCTAssertNoThrow(try Checkpoint(contentsOf: ck), "run \(i): the checkpoint must stay intact")
                resumed += 1
            }
            let temps = try FileManager.default.contentsOfDirectory(atPath: f.dir.path).filter { $0.contains(".tmp-") }
            XCTAssertLessThanOrEqual(temps.count, 4, "run \(i): \(temps)")   // at most the killed run's own
        }
        XCTAssertGreaterThan(resumed, 10, "most runs should have found a checkpoint to resume")
        // A last, uninterrupted resume finishes cleanly from whatever the kills left.
        let r = try runSRCNN(args.map { $0 == "400" ? "401" : $0 } + ["--resume", ck])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNoThrow(try Network(contentsOf: o))
    }

    /// A full disk while training (a tiny tmpfs for the outputs): one line naming ENOSPC, and the checkpoint from
    /// before stays intact.
    func testFullDiskDuringTrainingKeepsTheLastCheckpoint() throws {
        guard let f = try folders() else { return }
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let mnt = f.dir.appendingPathComponent("small").path
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let mount = try runCapturing("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt],
                                     environment: ProcessInfo.processInfo.environment)
        guard mount.status == 0 else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("cannot mount a tmpfs: \(mount.stderr)") }
            return print("SKIP: cannot mount a tmpfs here (needs root): \(mount.stderr)")
        }
        defer { _ = try? runCapturing("/bin/umount", [mnt], environment: [:]) }
        let o = mnt + "/t.safetensors", ck = o + ".ckpt"
        let args = ["train", "--data", f.data, "--no-val", "--layers", "5-1-3", "--filters", "8,4", "--scale", "2",
                    "--patch", "20", "--stride", "10", "--batch", "8", "--steps-per-epoch", "2", "--quiet", "-o", o]
        let r1 = try runSRCNN(args + ["--epochs", "1"])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        // Fill what is left of the disk, then ask for one more epoch: its checkpoint cannot be written.
        let filler = FileHandle(forWritingAtPath: mnt + "/filler") ?? {
            FileManager.default.createFile(atPath: mnt + "/filler", contents: nil)
            return FileHandle(forWritingAtPath: mnt + "/filler")!
        }()
        while (try? filler.write(contentsOf: Data(count: 4096))) != nil {}
        try? filler.close()
        let r = try runSRCNN(args + ["--epochs", "2", "--resume", ck])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("srcnn:") }.count, 1, r.stderr)
        let kept = try Checkpoint(contentsOf: ck)
        XCTAssertEqual(kept.state.epoch, 1, "the checkpoint from before the full disk is intact")
        XCTAssertNoThrow(try Network(contentsOf: o))
        let left = try FileManager.default.contentsOfDirectory(atPath: mnt).filter { $0.contains(".tmp-") }
        XCTAssertEqual(left, [], "no temporary left on the full disk")
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

final class HoldOutTests: XCTestCase {
    /// The default validation is images of the training folder set aside, never trained on.
    func testDefaultValidationIsHeldOutOfTheTrainingFolder() {
        let files = (0..<45).map { String(format: "img%02d.png", $0) }
        let (train, val) = ImageFolders.holdOut(files)
        XCTAssertEqual(val, ["img19.png", "img39.png"])
        XCTAssertEqual(train.count, 43)
        XCTAssertTrue(Set(train).isDisjoint(with: val))
        XCTAssertEqual(ImageFolders.holdOut(["a", "b", "c"]).val, ["c"])
        XCTAssertEqual(ImageFolders.holdOut(["a"]).val, [])
    }
}

final class TrainBenchCLITests: XCTestCase {
    /// `srcnn train --bench` measures every case, FSRCNN's three scales included (LR patch -> label window).
    func testBenchMeasuresSRCNNAndFSRCNN() throws {
        let r = try runSRCNN(["train", "--bench", "--batch", "4", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for (model, sizes) in [("9-5-5 (64/32)", "33 -> 17"), ("FSRCNN(56,12,4) x2", "26 -> 21"),
                               ("FSRCNN(56,12,4) x3", "22 -> 24"), ("FSRCNN(56,12,4) x4", "20 -> 27")] {
            XCTAssertTrue(lines.contains { $0.hasPrefix(model) && $0.contains(sizes) }, "\(model) \(sizes): \(r.stdout)")
        }
        let rates = r.stdout.split(separator: "\n").compactMap { line -> Double? in
            guard let m = line.firstRange(of: " patches/s") else { return nil }
            return Double(line[..<m.lowerBound].split(separator: " ").last ?? "")
        }
        // Where the AVX-512 trainer runs (not forced off by SRCNN_KERNELS), the 9-3-5 and 9-5-5 rows train by
        // Winograd, each followed by its direct-kernel row.
        let winograd = lines.contains { $0.hasPrefix("9-1-5 (64/32)") && $0.hasSuffix("[avx512]") }
        XCTAssertEqual(rates.count, winograd ? 12 : 8, r.stdout)
        XCTAssertEqual(lines.contains { $0.hasPrefix("9-5-5 (64/32)") && $0.hasSuffix("[avx512 + Winograd]") }, winograd,
                       r.stdout)
        XCTAssertEqual(lines.filter { $0.hasSuffix("[avx512 direct]") }.count, winograd ? 4 : 0, r.stdout)
        XCTAssertTrue(rates.allSatisfy { $0 > 0 }, r.stdout)
    }
}
