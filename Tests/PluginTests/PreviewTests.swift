// The dialog's preview in a real GIMP under Xvfb: what it shows is the engine's result (right of the divider) and
// bicubic (left), it follows the scale without blocking the dialog, and dragging the picture pans it.
import Foundation
import SRCNN
import SRCNNImageIO
import TestSupport
import XCTest

extension PluginTests {
    /// Waits for the preview the dialog writes as number `n` (SRCNN_PREVIEW_DUMP); its picture and rectangle.
    func waitForPreview(_ folder: String, _ n: Int, seconds: Double = 60) throws
        -> (image: RasterImage, x: Int, y: Int, w: Int, h: Int, divider: Int, layerWidth: Int, layerHeight: Int)? {
        let ppm = folder + "/preview-\(n).ppm", txt = folder + "/preview-\(n).txt"
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: ppm) {
            if Date() > deadline { return nil }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let lines = try String(contentsOfFile: txt, encoding: .utf8).split(separator: "\n")
        let f = (lines.first ?? "").split(separator: " ").compactMap { Int($0) }
        guard f.count == 7 else { XCTFail("bad \(txt)"); return nil }
        // The second line: the run's estimate.
        XCTAssertTrue(lines.count == 2 && lines[1].hasPrefix("Estimate: "), "\(lines)")
        return (try ImageFile.load(ppm), f[0], f[1], f[2], f[3], f[4], f[5], f[6])
    }

    func testPreviewShowsTheEngineResultAndFollowsTheDialog() throws {
        guard let gimp = try GimpProfile.make(), let display = try VirtualDisplay.start() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 31)
        try FileManager.default.copyItem(atPath: weights,
                                         toPath: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x3.safetensors").path)
        let input = try writeImage(gimp, name: "in.png", width: 120, height: 90, channels: 3, seed: 12)
        let dumps = gimp.path("previews")
        try FileManager.default.createDirectory(atPath: dumps, withIntermediateDirectories: true)
        let out = gimp.path("out.png")
        let command = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d (car (gimp-image-get-active-drawable img))))
              (plug-in-srcnn-upscale RUN-INTERACTIVE img d 2.0 "" 0)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out))))
            """
        final class Box: @unchecked Sendable { var result: Result<GimpResult, Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = Result { try gimp.batch([command], display: display.name,
                                                 environment: ["SRCNN_PREVIEW_DUMP": dumps]) }
            done.signal()
        }
        defer { _ = done.wait(timeout: .now() + 130) }
        guard let window = try display.waitForWindow(named: "^SRCNN Upscale$", seconds: 60) else {
            return XCTFail("the dialog did not appear")
        }
        // 1. The first preview (×2: the layer's result is 240×180, the view 240×180 of it, divider in the middle).
        guard let p1 = try waitForPreview(dumps, 1) else { return XCTFail("no preview appeared") }
        XCTAssertEqual([p1.layerWidth, p1.layerHeight, p1.w, p1.h], [240, 180, 240, 180])
        let cli = try cliUpscale(input, gimp.path("cli.png"), width: 240, height: 180, weights: weights)
        let original = try ImageFile.load(input)
        let bicubic = original.planes.map { Resize.bicubic($0, width: 240, height: 180) }
        var worstSR: Float = 0, worstBicubic: Float = 0, sidesDiffer: Float = 0
        for c in 0..<3 {
            for y in 0..<p1.h {
                for x in 0..<p1.w where x != p1.divider {
                    let shown = p1.image.planes[c].data[y * p1.w + x]
                    let i = (p1.y + y) * 240 + p1.x + x
                    sidesDiffer = max(sidesDiffer, abs(cli.planes[c].data[i] - min(1, max(0, bicubic[c].data[i]))))
                    if x > p1.divider {
                        worstSR = max(worstSR, abs(shown - cli.planes[c].data[(p1.y + y) * 240 + p1.x + x]))
                    } else {
                        let b = min(1, max(0, bicubic[c].data[(p1.y + y) * 240 + p1.x + x]))
                        worstBicubic = max(worstBicubic, abs(shown - b))
                    }
                }
            }
        }
        XCTAssertLessThanOrEqual(worstSR, 1.0 / 255 + 1e-5, "right of the divider: the engine's result")
        XCTAssertLessThanOrEqual(worstBicubic, 1.0 / 255 + 1e-5, "left of the divider: bicubic")
        XCTAssertTrue(p1.divider > 0 && p1.divider < p1.w)
        XCTAssertGreaterThan(sidesDiffer, 4.0 / 255, "the weights must make the two sides distinguishable")

        // 2. A new scale gives a new preview (×3: 360×270, a 320×240 view of it).
        _ = try display.xdotool(["windowfocus", "--sync", window])
        _ = try display.xdotool(["key", "alt+s"])
        _ = try display.xdotool(["key", "ctrl+a"])
        _ = try display.xdotool(["type", "3"])
        _ = try display.xdotool(["key", "Tab"])
        guard let p2 = try waitForPreview(dumps, 2) else { return XCTFail("the preview did not follow the scale") }
        XCTAssertEqual([p2.layerWidth, p2.layerHeight, p2.w, p2.h], [360, 270, 320, 240])

        // 3. Dragging the picture to the left pans the view to the right.
        let (_, geometry) = try display.xdotool(["getwindowgeometry", "--shell", window])
        let pos = Dictionary(uniqueKeysWithValues: geometry.split(separator: "\n").compactMap { line -> (String, Int)? in
            let kv = line.split(separator: "=")
            return kv.count == 2 ? (String(kv[0]), Int(kv[1]) ?? 0) : nil
        })
        let px = (pos["X"] ?? 0) + 12 + 60, py = (pos["Y"] ?? 0) + 12 + 120
        _ = try display.xdotool(["mousemove", "\(px)", "\(py)"])
        _ = try display.xdotool(["mousedown", "1"])
        _ = try display.xdotool(["mousemove", "\(px - 30)", "\(py)"])
        _ = try display.xdotool(["mousemove", "\(px - 60)", "\(py)"])
        _ = try display.xdotool(["mouseup", "1"])
        guard let p3 = try waitForPreview(dumps, 3) else { return XCTFail("dragging did not pan the preview") }
        XCTAssertGreaterThan(p3.x, p2.x, "the view moved right")

        // 4. A change and OK at once: the dialog answers while a preview is computed, and the run uses ×2.5.
        _ = try display.xdotool(["windowfocus", "--sync", window])
        _ = try display.xdotool(["key", "alt+s"])
        _ = try display.xdotool(["key", "ctrl+a"])
        _ = try display.xdotool(["type", "2.5"])
        _ = try display.xdotool(["key", "Tab"])
        _ = try display.xdotool(["key", "alt+o"])
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "the dialog did not close")
        let r = try XCTUnwrap(box.result).get()
        XCTAssertFalse(r.failed, r.stderr)
        let img = try ImageFile.load(out)
        XCTAssertEqual([img.width, img.height], [300, 225])
        done.signal()
    }
}
