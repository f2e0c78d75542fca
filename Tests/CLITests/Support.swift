// Helpers for end-to-end tests: run the built `srcnn`, find ../shared, make temp folders.
import Foundation
import TestSupport
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

typealias RunResult = ProcessOutput

/// The built `srcnn` with `args`, extra environment `env`; waits and captures its output.
@discardableResult
func runSRCNN(_ args: [String], env: [String: String] = [:]) throws -> RunResult {
    try runCapturing(Paths.binary.path, args, environment: ProcessInfo.processInfo.environment.merging(env) { $1 })
}

func makeTempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}
