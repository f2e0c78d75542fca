// The plug-in killed (kill -9, as GIMP's Cancel does) while it upscales and while its commit writes the image:
// the image is either exactly as it was or exactly the finished result, never half-done, and GIMP goes on working.
import Foundation
import SRCNN
import SRCNNImageIO
import TestSupport
import XCTest

extension PluginTests {
    /// The plug-in processes running a procedure from this profile's plug-in folder, oldest first.
    func pluginProcesses(_ gimp: GimpProfile) -> [pid_t] {
        let exe = gimp.pluginFolder.appendingPathComponent("srcnn-upscale").path
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        // Running a procedure (GIMP also starts the plug-in with -query and -init when it registers it).
        func running(_ pid: pid_t) -> Bool {
            guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return cmd.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "-run" }
        }
        let mine = pids.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/exe")) == exe && running($0)
        }
        func started(_ pid: pid_t) -> Int {
            // Field 22 of /proc/PID/stat (after the parenthesised command name) is the start time in ticks.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return .max }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 19 ? Int(fields[19]) ?? .max : .max
        }
        return mine.sorted { (started($0), $0) < (started($1), $1) }
    }

    /// Runs `commands` in GIMP on another thread; `during` runs meanwhile (it kills a plug-in process).
    func batchWhile(_ gimp: GimpProfile, _ commands: [String], environment: [String: String] = [:],
               during: () -> Void) throws -> GimpResult {
        final class Box: @unchecked Sendable { var result: Result<GimpResult, Error>? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            box.result = Result { try gimp.batch(commands, environment: environment) }
            done.signal()
        }
        during()
        done.wait()
        return try box.result!.get()
    }

    /// Polls until `condition` holds (true) or `seconds` pass (false).
    func poll(seconds: Double, until condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(20_000)
        }
        return false
    }

    /// Load, upscale (a failure is caught, so the script goes on), save what the image then is.
    func killableCommand(_ input: String, _ output: String, weights: String) -> String {
        """
        (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
               (d (car (gimp-image-get-active-drawable img))))
          (catch #f (plug-in-srcnn-upscale RUN-NONINTERACTIVE img d 2.0 \(scm(weights)) 0))
          (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(output)) \(scm(output))))
        """
    }

    /// Killed once its commit has scaled the image and before it writes a pixel (the commit is held there by the
    /// fault-injection delay): the commit, a process of its own, still finishes, so the saved image equals
    /// `srcnn upscale`. (With the write phase inside the killed process, as before, the image was left cubic.)
    func testKillDuringTheCommitLeavesTheFinishedImage() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 31)
        let input = try writeImage(gimp, name: "k.png", width: 60, height: 45, channels: 3, seed: 9)
        let out = gimp.path("k-out.png")
        var killed: pid_t = 0
        let r = try batchWhile(gimp, [killableCommand(input, out, weights: weights)],
                          environment: ["SRCNN_FAULT_COMMIT_DELAY_MS": "3000"]) {
            // The commit has taken the job over (its folder renamed to commit-*) and then scales the image and waits.
            guard poll(seconds: 60, until: { ((try? jobFolders(gimp)) ?? []).contains { $0.hasPrefix("commit-") } }) else {
                return
            }
            usleep(1_000_000)
            killed = pluginProcesses(gimp)[0]
            kill(killed, SIGKILL)
        }
        XCTAssertNotEqual(killed, 0, "the commit never started: \(r.stderr)")
        let result = try ImageFile.load(out)
        let cli = try cliUpscale(input, gimp.path("k-cli.png"), width: 120, height: 90, weights: weights)
        assertClose(result.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
        XCTAssertEqual(try jobFolders(gimp), [], "the commit leaves no job folder")
    }

    /// Killed while SRCNN runs (nothing written yet): the image is exactly as it was; GIMP then runs the plug-in
    /// again on the same image and that run finishes, and a job folder left by a killed run is removed by it.
    func testKillDuringSRCNNLeavesTheImageUntouchedAndGimpWorking() throws {
        guard let gimp = try GimpProfile.make() else { return }
        // A larger image and 9-5-5 so that the SRCNN phase lasts long enough to be hit.
        let net = Network.random(kernels: [9, 5, 5], filters: [64, 32], seed: 5)
        let weights = gimp.path("big.safetensors")
        try net.write(to: weights)
        let input = try writeImage(gimp, name: "u.png", width: 800, height: 600, channels: 3, seed: 4)
        let untouched = gimp.path("u-untouched.png"), again = gimp.path("u-again.png")
        let staleJob = gimp.root.appendingPathComponent(".cache/srcnn-upscale/job-999999999-1")
        try FileManager.default.createDirectory(at: staleJob, withIntermediateDirectories: true)
        try Data("1 1 1 3\n".utf8).write(to: staleJob.appendingPathComponent("manifest"))
        let small = try writeWeights(gimp).0
        let second = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d (car (gimp-image-get-active-drawable img))))
              (plug-in-srcnn-upscale RUN-NONINTERACTIVE img d 1.2 \(scm(small)) 0)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(again)) \(scm(again))))
            """
        var killedAlone = false
        let r = try batchWhile(gimp, [killableCommand(input, untouched, weights: weights), second]) {
            guard poll(seconds: 60, until: { pluginProcesses(gimp).count == 1 }) else { return }
            usleep(300_000)
            let procs = pluginProcesses(gimp)
            killedAlone = procs.count == 1   // no commit yet: SRCNN is still running
            if let pid = procs.first { kill(pid, SIGKILL) }
        }
        XCTAssertTrue(killedAlone, "the kill did not land in the SRCNN phase: \(r.stderr)")
        let before = try ImageFile.load(input), after = try ImageFile.load(untouched)
        XCTAssertEqual([after.width, after.height], [before.width, before.height])
        assertClose(after.planes, before.planes, tolerance: 0)
        let next = try ImageFile.load(again)
        XCTAssertEqual([next.width, next.height], [960, 720], "GIMP ran the plug-in again after the kill: \(r.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: staleJob.path), "a dead run's job folder is removed")
        XCTAssertEqual(try jobFolders(gimp), [])
    }

    func jobFolders(_ gimp: GimpProfile) throws -> [String] {
        let root = gimp.root.appendingPathComponent(".cache/srcnn-upscale").path
        guard FileManager.default.fileExists(atPath: root) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: root)
    }
}
