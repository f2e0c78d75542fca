// Helpers for the plug-in tests: real headless GIMP (gimp-console) in a fresh profile per test.
import Foundation
import SRCNN
import TestSupport
import XCTest

enum PluginPaths {
    /// The folder of the release build this test bundle belongs to (holds srcnn-upscale and libSRCNNGimp.so).
    static var buildFolder: URL {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // Linux: .build/<config>/SRCNNUpscalePackageTests.xctest is the test executable itself.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir
    }
    static var shim: URL { buildFolder.appendingPathComponent("srcnn-upscale") }
    static var library: URL { buildFolder.appendingPathComponent("libSRCNNGimp.so") }
    /// The `srcnn` command-line tool of the same build.
    static var cli: URL { buildFolder.appendingPathComponent("srcnn") }
    static let gimpConsole = "/usr/bin/gimp-console"
    /// The package root (this file is Tests/PluginTests/GimpSupport.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

extension PluginPaths {
    /// ../shared beside the checkout (Set5, reference weights).
    static var shared: URL { packageRoot.deletingLastPathComponent().appendingPathComponent("shared") }
}

struct GimpResult {
    var status: Int32
    var stdout: String
    var stderr: String
    /// gimp-console exits 0 even when a batch command fails: this is what tells.
    var failed: Bool { stderr.contains("execution error") || stderr.contains("Plug-in crashed") }
}

/// A fresh GIMP profile with the freshly built plug-in installed, in its own temp folder.
final class GimpProfile {
    let root: URL
    var profile: URL { root.appendingPathComponent("gimp-profile") }
    var pluginFolder: URL { profile.appendingPathComponent("plug-ins/srcnn-upscale") }

    /// A profile GIMP has initialised once, copied for every test (a first start takes seconds).
    private static let template: Result<URL, Error> = Result(catching: {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-gimp-template-\(UUID().uuidString)")
        let profile = dir.appendingPathComponent("gimp-profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let r = try GimpProfile.runGimp(["-b", "(gimp-quit 0)"], profile: profile, home: dir, fast: false)
        guard FileManager.default.fileExists(atPath: profile.appendingPathComponent("gimprc").path) || r.status == 0 else {
            throw SRCNNError.io("gimp-console could not create a profile: \(r.stderr)")
        }
        atexit { if let dir = try? GimpProfile.template.get() { try? FileManager.default.removeItem(at: dir) } }
        return dir
    })

    /// nil (after a SKIP line) when GIMP is not installed outside CI; fails the test in CI.
    static func make(file: StaticString = #filePath, line: UInt = #line) throws -> GimpProfile? {
        guard FileManager.default.isExecutableFile(atPath: PluginPaths.gimpConsole) else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("gimp-console not installed (required in CI)", file: file, line: line)
            } else {
                print("SKIP: gimp-console not installed; run ./install.sh --deps-only")
            }
            return nil
        }
        for f in [PluginPaths.shim, PluginPaths.library] where !FileManager.default.fileExists(atPath: f.path) {
            XCTFail("\(f.path) not built: run swift build -c release first", file: file, line: line)
            return nil
        }
        let template = try template.get()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-gimp-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: template, to: root)
        let p = GimpProfile(root: root)
        let fm = FileManager.default
        // GIMP expects its writable data folders (it complains at exit otherwise).
        for d in ["gradients", "brushes", "patterns", "palettes"] {
            try fm.createDirectory(at: p.profile.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        try fm.createDirectory(at: p.pluginFolder.appendingPathComponent("weights"), withIntermediateDirectories: true)
        try fm.copyItem(at: PluginPaths.shim, to: p.pluginFolder.appendingPathComponent("srcnn-upscale"))
        try fm.copyItem(at: PluginPaths.library, to: p.pluginFolder.appendingPathComponent("libSRCNNGimp.so"))
        try fm.copyItem(at: PluginPaths.packageRoot.appendingPathComponent("Plugin/help"),
                        to: p.pluginFolder.appendingPathComponent("help"))
        // The Script-Fu batch helpers, as install.sh installs them.
        let scripts = p.profile.appendingPathComponent("scripts")
        try fm.createDirectory(at: scripts, withIntermediateDirectories: true)
        try fm.copyItem(at: PluginPaths.packageRoot.appendingPathComponent("Plugin/srcnn-batch.scm"),
                        to: scripts.appendingPathComponent("srcnn-batch.scm"))
        return p
    }

    /// An empty profile folder GIMP has never seen (for install.sh, which initialises it itself).
    static func makeEmpty() throws -> GimpProfile {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-gimp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return GimpProfile(root: root)
    }

    private init(root: URL) { self.root = root }

    deinit { try? FileManager.default.removeItem(at: root) }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// Runs each Script-Fu command as one `-b`, then quits; 120 s timeout so a hang fails instead of stalling.
    /// `display`: the X display plug-in dialogs may use (none by default: headless).
    /// `hiding`: a folder GIMP (and so the plug-in) sees as empty (see `HiddenFolder`).
    /// `environment`: extra variables for GIMP and the plug-in (e.g. SRCNN_WEIGHTS_DIR).
    func batch(_ commands: [String], display: String? = nil, hiding: String? = nil,
               environment: [String: String] = [:]) throws -> GimpResult {
        try GimpProfile.runGimp(commands.flatMap { ["-b", $0] } + ["-b", "(gimp-quit 0)"], profile: profile, home: root,
                                display: display, hiding: hiding, environment: environment)
    }

    /// `fast`: without data (brushes, gradients...) and fonts, which the tests do not need (much quicker start).
    static func runGimp(_ args: [String], profile: URL, home: URL, fast: Bool = true, display: String? = nil,
                        hiding: String? = nil, environment: [String: String] = [:]) throws -> GimpResult {
        let command = ["/usr/bin/timeout", "120", PluginPaths.gimpConsole, "-i"] + (fast ? ["-d", "-f"] : []) + args
        let (executable, arguments) = hiding.map { (HiddenFolder.unshare, HiddenFolder.arguments($0) + command) }
            ?? (command[0], Array(command.dropFirst()))
        var env = ProcessInfo.processInfo.environment
        env["GIMP2_DIRECTORY"] = profile.path
        env["HOME"] = home.path
        // The plug-in's job folders (and GEGL's swap) under this test's HOME, whatever the caller's XDG settings.
        env["XDG_CACHE_HOME"] = home.appendingPathComponent(".cache").path
        env["SRCNN_WEIGHTS_DIR"] = nil
        env["DISPLAY"] = display
        // No Swift toolchain on the path or the loader path: the plug-in must not need it.
        env["PATH"] = "/usr/bin:/bin"
        env["LD_LIBRARY_PATH"] = nil
        env["WAYLAND_DISPLAY"] = nil
        env.merge(environment) { $1 }
        let r = try runCapturing(executable, arguments, environment: env)
        return GimpResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

/// Runs a command in a private mount namespace where a folder is covered by an empty read-only tmpfs, so a
/// binary that needs anything from it fails to load (used to hide the Swift toolchain's runtime libraries).
enum HiddenFolder {
    static let unshare = "/usr/bin/unshare"

    /// unshare's arguments before the command: mount the tmpfs over `folder`, then exec the command.
    static func arguments(_ folder: String) -> [String] {
        ["--mount", "--propagation", "private", "/bin/sh", "-c",
         "mount -t tmpfs -o ro,size=4k srcnn-hidden \"$1\" || exit 97; shift; exec \"$@\"", "sh", folder]
    }

    /// Whether this machine lets us create a mount namespace (root or CAP_SYS_ADMIN); prints why not otherwise.
    static var available: Bool {
        guard FileManager.default.isExecutableFile(atPath: unshare),
              let (status, out) = try? runTool(unshare, arguments("/mnt") + ["/bin/true"]) else {
            print("SKIP: \(unshare) not available"); return false
        }
        if status != 0 { print("SKIP: cannot create a mount namespace here (\(out.trimmingCharacters(in: .whitespacesAndNewlines)))") }
        return status == 0
    }

    /// The folder this (dynamically linked) test process loaded the Swift runtime from, e.g. the toolchain's
    /// usr/lib/swift/linux.
    static var swiftRuntimeFolder: String? {
        // /proc files report size 0: read to the end instead of by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? handle.close() }
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in maps.split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            return URL(fileURLWithPath: String(line[slash...])).deletingLastPathComponent().path
        }
        return nil
    }
}

/// A Script-Fu string literal.
func scm(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// Smooth-ish random test planes (values 0...1, on the 8-bit grid).
func testPlanes(width: Int, height: Int, count: Int, seed: UInt64) -> [Plane] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { c in
        var p = Plane(width: width, height: height)
        let fx = 0.1 + rng.nextUniform() * 0.3, fy = 0.1 + rng.nextUniform() * 0.3
        for y in 0..<height {
            for x in 0..<width {
                let v = 0.5 + 0.3 * sin(Double(x) * fx + Double(c)) * cos(Double(y) * fy) + 0.15 * (rng.nextUniform() - 0.5)
                p.data[y * width + x] = (min(max(Float(v), 0), 1) * 255).rounded() / 255
            }
        }
        return p
    }
}

/// Runs a command to completion (for xdotool); returns its status and stdout.
@discardableResult
func runTool(_ path: String, _ args: [String], env extra: [String: String] = [:]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    for (k, v) in extra { env[k] = v }
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A private Xvfb server for GUI tests; stopped (by its own process) on deinit.
final class VirtualDisplay {
    let name: String
    private let process: Process

    /// nil (after a SKIP line) when Xvfb or xdotool is missing outside CI; fails the test in CI.
    static func start(file: StaticString = #filePath, line: UInt = #line) throws -> VirtualDisplay? {
        for tool in ["/usr/bin/Xvfb", "/usr/bin/xdotool"] where !FileManager.default.isExecutableFile(atPath: tool) {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("\(tool) not installed (required in CI)", file: file, line: line)
            } else {
                print("SKIP: \(tool) not installed; run ./install.sh --deps-only")
            }
            return nil
        }
        // A display number nobody uses (no lock file).
        var number = 90 + Int(ProcessInfo.processInfo.processIdentifier % 100)
        while FileManager.default.fileExists(atPath: "/tmp/.X\(number)-lock") { number += 1 }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
        p.arguments = [":\(number)", "-screen", "0", "1024x768x24", "-nolisten", "tcp"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let d = VirtualDisplay(name: ":\(number)", process: p)
        for _ in 0..<100 {   // up to 10 s for the server to accept clients
            if try runTool("/usr/bin/xdotool", ["getdisplaygeometry"], env: ["DISPLAY": d.name]).0 == 0 { return d }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("Xvfb \(d.name) did not start", file: file, line: line)
        return nil
    }

    private init(name: String, process: Process) { self.name = name; self.process = process }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    func xdotool(_ args: [String]) throws -> (Int32, String) {
        try runTool("/usr/bin/xdotool", args, env: ["DISPLAY": name])
    }

    /// Waits (up to `seconds`) for a window whose name matches; returns its id.
    func waitForWindow(named pattern: String, seconds: Double) throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let (status, out) = try xdotool(["search", "--name", pattern])
            if status == 0, let id = out.split(separator: "\n").first { return String(id) }
            Thread.sleep(forTimeInterval: 0.25)
        }
        return nil
    }
}
