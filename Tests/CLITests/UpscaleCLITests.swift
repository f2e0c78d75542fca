// End-to-end tests of `srcnn upscale`, `info` and `bench`: sizes, depth and alpha kept, clear errors.
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import TestSupport
import XCTest

final class UpscaleCLITests: XCTestCase {
    var dir: URL!
    var weights: String!

    override func setUpWithError() throws {
        dir = try makeTempDir()
        // A small random 5-3-3 network, so these tests need nothing from ../shared.
        var net = Network.random(kernels: [5, 3, 3], filters: [8, 4], seed: 42)
        net.metadata = ["scale": "2", "architecture": "test 5-3-3"]
        weights = dir.appendingPathComponent("tiny.safetensors").path
        try net.write(to: weights)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func gradient(_ w: Int, _ h: Int, channels: Int, depth: SampleDepth) -> RasterImage {
        let planes = (0..<channels).map { c in
            Plane(width: w, height: h, data: (0..<(w * h)).map { i in
                let v = Float((i % w) * (c + 1) + (i / w) * 3) / Float(w * (c + 1) + h * 3)
                return c == 3 ? 0.5 + 0.5 * v : v
            })
        }
        return RasterImage(width: w, height: h, planes: planes, depth: depth)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func testUpscaleScaleAndExactSize() throws {
        try ImageFile.save(gradient(40, 30, channels: 3, depth: .u8), to: path("in.png"))
        var r = try runSRCNN(["upscale", path("in.png"), path("x2.png"), "--scale", "2", "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        var out = try ImageFile.load(path("x2.png"))
        XCTAssertEqual([out.width, out.height, out.planes.count], [80, 60, 3])
        XCTAssertEqual(out.depth, .u8)
        r = try runSRCNN(["upscale", path("in.png"), path("x15.png"), "--scale", "1.5", "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        out = try ImageFile.load(path("x15.png"))
        XCTAssertEqual([out.width, out.height], [60, 45])
        r = try runSRCNN(["upscale", path("in.png"), path("exact.png"), "--width", "100", "--height", "75", "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        out = try ImageFile.load(path("exact.png"))
        XCTAssertEqual([out.width, out.height], [100, 75])
        r = try runSRCNN(["upscale", path("in.png"), path("w.png"), "--width", "100", "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        out = try ImageFile.load(path("w.png"))
        XCTAssertEqual([out.width, out.height], [100, 75])
    }

    func testSixteenBitAlphaKept() throws {
        let img = gradient(24, 20, channels: 4, depth: .u16)
        try ImageFile.save(img, to: path("in16.png"))
        let r = try runSRCNN(["upscale", path("in16.png"), path("out16.png"), "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try ImageFile.load(path("out16.png"))
        XCTAssertEqual(out.depth, .u16)
        XCTAssertEqual(out.planes.count, 4)
        XCTAssertEqual([out.width, out.height], [48, 40])
        // Alpha is bicubic only: equal to the engine's resize of the input alpha, to 16-bit precision.
        let alpha = Resize.bicubic(try ImageFile.load(path("in16.png")).planes[3], width: 48, height: 40)
        XCTAssertLessThanOrEqual(out.planes[3].maxAbsDifference(alpha.map { min(1, max(0, $0)) }), 1.0 / 65535 + 1e-6)
    }

    func testGreyImage() throws {
        try ImageFile.save(gradient(30, 20, channels: 1, depth: .u8), to: path("g.png"))
        let r = try runSRCNN(["upscale", path("g.png"), path("g2.png"), "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try ImageFile.load(path("g2.png"))
        XCTAssertEqual(out.planes.count, 1)
        // Grey input is its own Y: the output is the network on the bicubic plane.
        let inY = try ImageFile.load(path("g.png")).planes[0]
        let expected = try Network(contentsOf: weights).forward(Resize.bicubic(inY, width: 60, height: 40))
        XCTAssertLessThanOrEqual(out.planes[0].maxAbsDifference(expected.map { min(1, max(0, $0)) }), 0.5 / 255 + 1e-6)
    }

    func testRefusesToOverwriteInputAndReportsErrors() throws {
        try ImageFile.save(gradient(16, 16, channels: 3, depth: .u8), to: path("a.png"))
        let before = try Data(contentsOf: URL(fileURLWithPath: path("a.png")))
        var r = try runSRCNN(["upscale", path("a.png"), path("a.png"), "--weights", weights])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("refusing to overwrite"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("a.png"))), before)

        try Data("not weights".utf8).write(to: URL(fileURLWithPath: path("bad.safetensors")))
        r = try runSRCNN(["upscale", path("a.png"), path("b.png"), "--weights", path("bad.safetensors")])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("srcnn: error:"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("b.png")))

        r = try runSRCNN(["upscale", path("missing.png"), path("b.png"), "--weights", weights])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("missing.png"), r.stderr)

        r = try runSRCNN(["upscale", path("a.png"), path("b.png"), "--scale", "20", "--weights", weights])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("between 1 and 8"), r.stderr)
    }

    func testNoShippedWeightsNamesTheOption() throws {
        try ImageFile.save(gradient(16, 16, channels: 3, depth: .u8), to: path("a.png"))
        let empty = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: empty) }
        // Only meaningful while Weights/ ships nothing; once it does, the default model must load instead.
        let r = try runSRCNN(["upscale", path("a.png"), path("b.png"), "-q"], env: ["SRCNN_WEIGHTS_DIR": empty.path])
        let shipped = (try? FileManager.default.contentsOfDirectory(atPath: Paths.root.appendingPathComponent("Weights").path))?
            .contains { $0.hasSuffix(".safetensors") } ?? false
        if shipped {
            XCTAssertEqual(r.status, 0, r.stderr)
        } else {
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.contains("--weights"), r.stderr)
        }
    }

    func testInfoAndBench() throws {
        var r = try runSRCNN(["info", weights])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("5-3-3 (8/4)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("receptive field:   9x9"), r.stdout)
        r = try runSRCNN(["bench", "--sizes", "64", "--repeats", "1", "--json", "--arch", "9-1-5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertGreaterThan(line["mps"] as! Double, 0)
        XCTAssertLessThanOrEqual(line["max_abs_diff_vs_reference"] as! Double, 1e-5)
    }

    /// `srcnn info` shows a file's metadata with control characters escaped (no terminal escapes, no forged
    /// lines), and a reader bound means `/dev/zero` is an error, not an endless read.
    func testInfoEscapesMetadataAndReadsAreBounded() throws {
        var net = Network.random(kernels: [3, 1, 3], filters: [4, 2], seed: 9)
        net.metadata = ["scale": "2", "note": "red\u{1B}[31m\nscale:             99", "bidi": "a\u{202E}b"]
        let p = path("evil.safetensors")
        try net.write(to: p)
        let r = try runSRCNN(["info", p])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{202E}"), r.stdout)
        XCTAssertTrue(r.stdout.contains("red\\u{1B}[31m\\u{A}scale:"), r.stdout)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasPrefix("scale:") }.count, 1, r.stdout)
        let t0 = Date()
        let z = try runSRCNN(["info", "/dev/zero"])
        XCTAssertEqual(z.status, 1)
        XCTAssertTrue(z.stderr.contains("larger than 256 MiB"), z.stderr)
        XCTAssertEqual(z.stderr.split(separator: "\n").count, 1, z.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10)
    }

}
