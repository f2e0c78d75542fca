// FSRCNN through the CLI: --model picks the shipped family, --weights takes either family, info and eval know it.
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import XCTest

final class FSRCNNCLITests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// `--model fsrcnn-photo` / `srcnn-photo` pick the photo files (`<name>-x<scale>.safetensors`), never the clean
    /// ones beside them, and say clearly when none is shipped.
    func testPhotoModelNamesPickThePhotoFiles() throws {
        let weightsDir = dir.appendingPathComponent("weights")
        try FileManager.default.createDirectory(at: weightsDir, withIntermediateDirectories: true)
        let photo = FSRCNN.random(d: 8, s: 4, m: 2, scale: 3, seed: 5)
        try writeFileAtomically(photo.safetensorsBytes(),
                                to: weightsDir.appendingPathComponent("fsrcnn-photo-x3.safetensors").path)
        try ImageFile.save(RasterImage(width: 9, height: 7, planes: [Plane(width: 9, height: 7,
                                       data: (0..<63).map { Float($0 % 7) / 7 })], depth: .u8), to: path("in.png"))
        let env = ["SRCNN_WEIGHTS_DIR": weightsDir.path]
        var r = try runSRCNN(["upscale", path("in.png"), path("out.png"), "--model", "FSRCNN-photo", "--scale", "3"],
                             env: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("fsrcnn-photo-x3.safetensors"), r.stderr)
        let expected = try photo.upscale([try ImageFile.load(path("in.png")).planes[0]], width: 27, height: 21)
        let diff = zip(try ImageFile.load(path("out.png")).planes[0].data, expected[0].data)
            .map { abs($0 - min(1, max(0, $1))) }.max()!
        XCTAssertLessThanOrEqual(diff, 0.5 / 255 + 1e-6)
        // The clean name still finds the clean file (Weights/fsrcnn-x3), not the photo one.
        r = try runSRCNN(["upscale", path("in.png"), path("c.png"), "--model", "fsrcnn", "--scale", "3"], env: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("(fsrcnn-x3.safetensors)"), r.stderr)
        // No srcnn-photo here (nor in Weights/ yet): one clear line; an unknown name lists the names.
        r = try runSRCNN(["upscale", path("in.png"), path("d.png"), "--model", "srcnn-photo"],
                         env: ["SRCNN_WEIGHTS_DIR": weightsDir.path])
        if !FileManager.default.fileExists(atPath: Paths.root.appendingPathComponent("Weights/srcnn-photo-x2.safetensors").path) {
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("no shipped srcnn-photo weights found"), r.stderr)
        }
        r = try runSRCNN(["upscale", path("in.png"), path("e.png"), "--model", "srcnn-foto"], env: env)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("srcnn, fsrcnn, srcnn-photo, fsrcnn-photo"), r.stderr)
        XCTAssertEqual(ShippedModel(name: "fsrcnn-photo"), ShippedModel(.fsrcnn, photo: true))
        XCTAssertNil(ShippedModel(name: "photo"))
        XCTAssertEqual(ShippedWeights.find(in: [weightsDir.path], model: ShippedModel(.fsrcnn)).count, 0)
    }

    func testFSRCNNUpscaleEqualsTheEngine() throws {
        let weightsDir = dir.appendingPathComponent("weights")
        try FileManager.default.createDirectory(at: weightsDir, withIntermediateDirectories: true)
        let model = FSRCNN.random(d: 8, s: 4, m: 2, scale: 3, seed: 4)
        try writeFileAtomically(model.safetensorsBytes(), to: weightsDir.appendingPathComponent("fsrcnn-x3.safetensors").path)
        var rng = SplitMix64(seed: 3)
        let planes = (0..<3).map { _ in
            Plane(width: 21, height: 13, data: (0..<(21 * 13)).map { _ in Float(Int(rng.nextUniform() * 255)) / 255 })
        }
        try ImageFile.save(RasterImage(width: 21, height: 13, planes: planes, depth: .u8), to: path("in.png"))
        let env = ["SRCNN_WEIGHTS_DIR": weightsDir.path]
        // x3: the native scale; x2.5: x3 then bicubic down (the nearest native scale at or above the factor; the
        // shipped Weights/fsrcnn-x2 is searched too, and does not qualify at 2.5).
        for (scale, w, h) in [("3", 63, 39), ("2.5", 53, 33)] {
            let r = try runSRCNN(["upscale", path("in.png"), path("out.png"), "--model", "fsrcnn", "--scale", scale],
                                 env: env)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("fsrcnn-x3.safetensors"), r.stderr)
            let out = try ImageFile.load(path("out.png"))
            XCTAssertEqual(out.width, w); XCTAssertEqual(out.height, h)
            let expected = try model.upscale(planes, width: w, height: h, threads: 2)
            for c in 0..<3 {
                let diff = zip(out.planes[c].data, expected[c].data).map { abs($0 - min(1, max(0, $1))) }.max()!
                XCTAssertLessThanOrEqual(diff, 0.5 / 255 + 1e-6, "x\(scale) channel \(c)")
            }
        }
        // The same file by path, and what `info` says of it.
        var r = try runSRCNN(["upscale", path("in.png"), path("b.png"), "--weights",
                              weightsDir.appendingPathComponent("fsrcnn-x3.safetensors").path, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runSRCNN(["info", weightsDir.appendingPathComponent("fsrcnn-x3.safetensors").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("family:            fsrcnn"), r.stdout)
        XCTAssertTrue(r.stdout.contains("9x9 transposed, stride 3"), r.stdout)
        // eval: the shipped SRCNN beside the FSRCNN file, one column each.
        try FileManager.default.createDirectory(atPath: path("set"), withIntermediateDirectories: true)
        try ImageFile.save(RasterImage(width: 21, height: 13, planes: planes, depth: .u8), to: path("set/a.png"))
        r = try runSRCNN(["eval", "--set", path("set"), "--scale", "3", "--model", "fsrcnn", "-q"], env: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("bicubic") && r.stdout.contains("fsrcnn-x3"), r.stdout)
        // bench times FSRCNN files too (output side 30: a 10x10 LR plane), after its check against the reference.
        r = try runSRCNN(["bench", "--weights", weightsDir.appendingPathComponent("fsrcnn-x3.safetensors").path,
                          "--sizes", "30", "--repeats", "1", "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first.map(String.init))
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(obj["family"] as? String, "fsrcnn")
        XCTAssertEqual(obj["side"] as? Int, 30)
        XCTAssertLessThan(try XCTUnwrap(obj["max_abs_diff_vs_reference"] as? Double), 1e-4)
        // Both selectors at once is a usage error; an unknown family names the choices.
        r = try runSRCNN(["upscale", path("in.png"), path("c.png"), "--model", "fsrcnn", "--weights", "x.safetensors"])
        XCTAssertEqual(r.status, 64, r.stderr)
        r = try runSRCNN(["upscale", path("in.png"), path("c.png"), "--model", "esrgan"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("srcnn, fsrcnn"), r.stderr)
    }
}
