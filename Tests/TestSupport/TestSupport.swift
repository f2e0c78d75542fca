// Helpers shared by the end-to-end test targets: the ../shared data guard and a child-process runner.
import Foundation
import XCTest

/// Shared data (Set5, T91, reference weights) is required in CI and optional elsewhere: returns false (after
/// printing a clear SKIP line) when absent outside CI, fails the test when absent in CI.
public func requireShared(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> Bool {
    if FileManager.default.fileExists(atPath: url.path) { return true }
    if ProcessInfo.processInfo.environment["CI"] != nil {
        XCTFail("missing \(url.path) (required in CI)", file: file, line: line)
    } else {
        print("SKIP: \(url.path) not found; this test needs ../shared beside the checkout")
    }
    return false
}

/// What a finished child process printed.
public struct ProcessOutput {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` with `arguments` in `environment` and waits, capturing stdout and stderr (both pipes are
/// read before waiting, so a chatty child cannot block on a full pipe).
public func runCapturing(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> ProcessOutput {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    final class Box: @unchecked Sendable { var data = Data() }
    let outBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return ProcessOutput(status: p.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}
