// `srcnn`: the command-line front end of the SRCNN engine (upscale, eval, info, bench, train).
import ArgumentParser
import Foundation
import SRCNN
import SRCNNHost

@main
struct SRCNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srcnn",
        abstract: "Super-resolution with SRCNN (Dong et al. 2014/2016) on the CPU.",
        subcommands: [Upscale.self, Eval.self, Info.self, Bench.self, Train.self])

    static func main() {
        if let warning = HostEnvironment.applyKernelChoice() { printErr("srcnn: warning: \(warning)") }
        main(nil)
    }
}

/// Options every long-running subcommand shares.
struct CommonOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "No progress output on stderr.")
    var quiet = false

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Tile size in pixels for the SRCNN pass (bounds memory; results do not depend on it).")
    var tile: Int = ForwardOptions().tileSize

    var forwardOptions: ForwardOptions { ForwardOptions(tileSize: tile, threads: threads) }
}

/// Runs `body`, turning any error into one `srcnn: error: ...` line on stderr and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as SRCNNError {
        printErr("srcnn: error: \(e)")
        throw ExitCode(e == .cancelled ? 130 : 1)
    } catch let e as ExitCode {
        throw e
    } catch {
        printErr("srcnn: error: \(error)")
        throw ExitCode(1)
    }
}

/// A one-line progress display on stderr (a carriage-return bar), silent when quiet.
final class ProgressLine: @unchecked Sendable {
    private var label: String
    private let quiet: Bool
    private let lock = NSLock()
    private var lastPercent = -1
    private let start = Date()

    /// A live bar only on a terminal; a log (pipe, file) gets just the final line.
    private let live = isatty(2) != 0

    init(_ label: String, quiet: Bool) { self.label = label; self.quiet = quiet }

    var handler: ProgressHandler {
        { [self] f in update(f) }
    }

    func update(_ fraction: Double) {
        guard !quiet, live else { return }
        let p = Int((fraction * 100).rounded(.down))
        lock.lock(); defer { lock.unlock() }
        guard p != lastPercent else { return }
        lastPercent = p
        let t = Date().timeIntervalSince(start)
        FileHandle.standardError.write(String(format: "\r%@ %3d%% %6.1fs", label, p, t).data(using: .utf8)!)
    }

    func finish(_ message: String = "") { finish(label, message) }

    /// The closing line, under `label` (e.g. the sizes once they are known).
    func finish(_ label: String, _ message: String) {
        guard !quiet else { return }
        let t = Date().timeIntervalSince(start)
        FileHandle.standardError.write(String(format: "%@%@ done in %.2fs %@\n", live ? "\r" : "", label, t, message).data(using: .utf8)!)
    }

    /// A new label for the bar (e.g. once the sizes are known).
    func rename(_ l: String) { lock.lock(); label = l; lock.unlock() }

    /// A line of its own (an error in a batch) without breaking the bar: the bar is redrawn on the next update.
    func interrupt(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(((live && !quiet && lastPercent >= 0 ? "\n" : "") + line + "\n").data(using: .utf8)!)
        lastPercent = -1
    }
}

func printErr(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }
