// Helpers for end-to-end tests: run the built `srcnn`, find ../shared, make temp folders.
import Foundation
import XCTest

enum Paths {
    /// The package root (this file is Tests/CLITests/Support.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    static var referenceWeights: URL { shared.appendingPathComponent("reference-weights") }
    static var data: URL { shared.appendingPathComponent("data") }

    /// The `srcnn` executable built beside this test bundle.
    static var binary: URL {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // Linux: .build/<config>/SRCNNUpscalePackageTests.xctest is the test executable itself.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("srcnn")
    }
}

/// Shared data (Set5, reference weights) is required in CI and optional elsewhere: returns false
/// (after printing a clear SKIP line) when absent outside CI, fails the test when absent in CI.
func requireShared(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> Bool {
    if FileManager.default.fileExists(atPath: url.path) { return true }
    if ProcessInfo.processInfo.environment["CI"] != nil {
        XCTFail("missing \(url.path) (required in CI)", file: file, line: line)
    } else {
        print("SKIP: \(url.path) not found; this test needs ../shared beside the checkout")
    }
    return false
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

@discardableResult
func runSRCNN(_ args: [String], env: [String: String] = [:]) throws -> RunResult {
    let p = Process()
    p.executableURL = Paths.binary
    p.arguments = args
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read both pipes before waiting so a chatty child cannot block on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }
    let outBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let outData = outBox.data
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

func makeTempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}
