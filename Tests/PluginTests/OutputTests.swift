// Where the result goes: plug-in-srcnn-upscale-new-image makes a new image (of the selection's bounding box when
// there is a selection) and leaves the original as it was.
import Foundation
import SRCNN
import SRCNNImageIO
import TestSupport
import XCTest

extension PluginTests {
    /// The new image of a selection equals `srcnn upscale` of that rectangle cut from the file; the original keeps
    /// its size, pixels and selection; without a selection the new image is the whole image upscaled. A layer that
    /// lies partly inside the selection keeps only that part, and one outside it is left out.
    func testNewImageFromTheSelectionLeavesTheOriginal() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 21)
        let input = try writeImage(gimp, name: "orig.png", width: 40, height: 30, channels: 3, seed: 4)
        let sel = gimp.path("sel-x2.png"), whole = gimp.path("whole-x2.png"), after = gimp.path("orig-after.png")
        let command = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d (car (gimp-image-get-active-drawable img))))
              (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 6 4 20 12)
              (let* ((new (car (plug-in-srcnn-upscale-new-image RUN-NONINTERACTIVE img d 2.0 \(scm(weights)) 0))))
                (if (not (and (= (car (gimp-image-width new)) 40) (= (car (gimp-image-height new)) 24)))
                    (error "the new image is not the selection x2"))
                (gimp-file-save RUN-NONINTERACTIVE new (car (gimp-image-get-active-drawable new)) \(scm(sel)) \(scm(sel)))
                (gimp-image-delete new))
              (if (not (and (= (car (gimp-image-width img)) 40) (= (car (gimp-image-height img)) 30)))
                  (error "the original changed size"))
              (let ((b (gimp-selection-bounds img)))
                (if (or (= (car b) FALSE) (not (= (cadr b) 6)) (not (= (caddr b) 4)))
                    (error "the original's selection changed")))
              (if (not (= (car (gimp-image-undo-is-enabled img)) TRUE)) (error "undo left off"))
              (gimp-file-save RUN-NONINTERACTIVE img d \(scm(after)) \(scm(after)))
              (gimp-selection-none img)
              (let* ((new (car (plug-in-srcnn-upscale-new-image RUN-NONINTERACTIVE img d 2.0 \(scm(weights)) 0))))
                (gimp-file-save RUN-NONINTERACTIVE new (car (gimp-image-get-active-drawable new)) \(scm(whole)) \(scm(whole)))
                (gimp-image-delete new)))
            """
        let r = try gimp.batch([command])
        XCTAssertFalse(r.failed, r.stderr)
        let original = try ImageFile.load(input)
        XCTAssertEqual(try ImageFile.load(after).planes.map { $0.data }, original.planes.map { $0.data }, "the original changed")
        let cut = gimp.path("cut.png")
        try ImageFile.save(RasterImage(width: 20, height: 12,
                                       planes: original.planes.map { $0.crop(x: 6, y: 4, width: 20, height: 12) },
                                       depth: .u8), to: cut)
        let cliSel = try cliUpscale(cut, gimp.path("cut-cli.png"), width: 40, height: 24, weights: weights)
        assertClose(try ImageFile.load(sel).planes, cliSel.planes, tolerance: 1.0 / 255 + 1e-5)
        let cliWhole = try cliUpscale(input, gimp.path("whole-cli.png"), width: 80, height: 60, weights: weights)
        assertClose(try ImageFile.load(whole).planes, cliWhole.planes, tolerance: 1.0 / 255 + 1e-5)
    }

    /// All layers into a new image of a selection: a layer partly inside keeps its part (upscaled from exactly
    /// those pixels), a layer wholly outside is dropped by the crop and does not stop the run.
    func testNewImageOfASelectionWithOffsetLayers() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 22)
        let input = try writeImage(gimp, name: "bg.png", width: 40, height: 30, channels: 3, seed: 5)
        let part = try writeImage(gimp, name: "part.png", width: 16, height: 10, channels: 3, seed: 6)
        let out = gimp.path("part-x3.png")
        let command = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (p (car (gimp-file-load-layer RUN-NONINTERACTIVE img \(scm(part)))))
                   (far (car (gimp-layer-new img 4 4 RGB-IMAGE "far" 100 LAYER-MODE-NORMAL))))
              (gimp-image-insert-layer img p 0 0)
              (gimp-layer-set-offsets p 2 20)
              (gimp-image-insert-layer img far 0 0)
              (gimp-layer-set-offsets far 36 0)
              (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 10 18 20 12)
              (let* ((new (car (plug-in-srcnn-upscale-new-image RUN-NONINTERACTIVE img p 3.0 \(scm(weights)) 1)))
                     (layers (gimp-image-get-layers new)))
                (if (not (= (car layers) 2)) (error "expected 2 layers in the new image"))
                (let ((top (aref (cadr layers) 0)))
                  (if (not (and (= (car (gimp-drawable-width top)) 24) (= (car (gimp-drawable-height top)) 30)))
                      (error "the cropped layer has the wrong size"))
                  (gimp-file-save RUN-NONINTERACTIVE new top \(scm(out)) \(scm(out))))))
            """
        let r = try gimp.batch([command])
        XCTAssertFalse(r.failed, r.stderr)
        // The layer at (2, 20), 16×10, inside the selection (10, 18, 20×12): its columns 8..<16, all 10 rows, at
        // (0, 2) of the 20×12 new image; ×3: 24×30.
        let layer = try ImageFile.load(part)
        let cut = gimp.path("part-cut.png")
        try ImageFile.save(RasterImage(width: 8, height: 10,
                                       planes: layer.planes.map { $0.crop(x: 8, y: 0, width: 8, height: 10) },
                                       depth: .u8), to: cut)
        let cli = try cliUpscale(cut, gimp.path("part-cli.png"), width: 24, height: 30, weights: weights)
        assertClose(try ImageFile.load(out).planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
    }
}

extension PluginTests {
    /// The dialog's size fields are bound together and the output choice works: 250 % gives 100×75; then a width
    /// of 120 with the chain closed gives a height of 90 (×3), and "New image" leaves the original as it was.
    func testDialogSizeFieldsAndNewImageUnderXvfb() throws {
        guard let gimp = try GimpProfile.make(), let display = try VirtualDisplay.start() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 23)
        try FileManager.default.copyItem(atPath: weights,
                                         toPath: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x3.safetensors").path)
        let input = try writeImage(gimp, name: "in.png", width: 40, height: 30, channels: 3, seed: 9)
        let first = gimp.path("first.png"), second = gimp.path("second.png"), made = gimp.path("made.png")
        let command = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d (car (gimp-image-get-active-drawable img)))
                   (img2 (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d2 (car (gimp-image-get-active-drawable img2))))
              (plug-in-srcnn-upscale RUN-INTERACTIVE img d 2.0 "" 0)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(first)) \(scm(first)))
              (plug-in-srcnn-upscale RUN-INTERACTIVE img2 d2 2.0 "" 0)
              (gimp-file-save RUN-NONINTERACTIVE img2 d2 \(scm(second)) \(scm(second)))
              (let* ((ids (vector->list (cadr (gimp-image-list))))
                     (new (apply max ids)))
                (if (not (= (length ids) 3)) (error "expected one new image"))
                (gimp-file-save RUN-NONINTERACTIVE new (car (gimp-image-get-active-drawable new)) \(scm(made)) \(scm(made)))))
            """
        final class Box: @unchecked Sendable { var result: Result<GimpResult, Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = Result { try gimp.batch([command], display: display.name) }
            done.signal()
        }
        for step in 0..<2 {
            guard let window = try display.waitForWindow(named: "^SRCNN Upscale$", seconds: 60) else {
                XCTFail("dialog \(step + 1) did not appear")
                _ = done.wait(timeout: .now() + 130)
                return
            }
            _ = try display.xdotool(["windowfocus", "--sync", window])
            if step == 0 {
                _ = try display.xdotool(["key", "alt+p"])     // Percent
                _ = try display.xdotool(["key", "ctrl+a"])
                _ = try display.xdotool(["type", "250"])
            } else {
                _ = try display.xdotool(["key", "alt+w"])     // Width (the chain is closed)
                _ = try display.xdotool(["key", "ctrl+a"])
                _ = try display.xdotool(["type", "120"])
            }
            _ = try display.xdotool(["key", "Tab"])
            Thread.sleep(forTimeInterval: 0.3)
            if step == 1 { _ = try display.xdotool(["key", "alt+n"]) }   // New image
            Thread.sleep(forTimeInterval: 0.3)
            _ = try display.xdotool(["key", "alt+o"])
            // The first run must be gone before the second dialog is looked for.
            if step == 0 {
                let deadline = Date().addingTimeInterval(60)
                while try display.waitForWindow(named: "^SRCNN Upscale$", seconds: 0.2) != nil, Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.3)
                }
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 130), .success)
        let r = try XCTUnwrap(box.result).get()
        XCTAssertFalse(r.failed, r.stderr)
        let a = try ImageFile.load(first), b = try ImageFile.load(second), c = try ImageFile.load(made)
        XCTAssertEqual([a.width, a.height], [100, 75], "250 %")
        XCTAssertEqual(b.planes.map { $0.data }, try ImageFile.load(input).planes.map { $0.data }, "the original changed")
        XCTAssertEqual([c.width, c.height], [120, 90], "width 120 chained")
        let cli = try cliUpscale(input, gimp.path("cli.png"), width: 120, height: 90, weights: weights)
        assertClose(c.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
    }
}

extension PluginTests {
    /// Issue 11 bug 5: GIMP's own image scale used to report to the plug-in's bar after it had filled, starting it
    /// again from zero. The commit process now takes that progress (libgimp's progress vtable) and shows none:
    /// its log counts the updates GIMP sent there instead of the bar, and the result is unchanged.
    func testGimpsScaleProgressIsKeptOffTheBar() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 24)
        let input = try writeImage(gimp, name: "p.png", width: 300, height: 200, channels: 3, seed: 3)
        let out = gimp.path("p-x2.png")
        let r = try gimp.batch([upscaleCommand(input, out, scale: "2.0", weights: weights)])
        XCTAssertFalse(r.failed, r.stderr)
        let line = r.stderr.split(separator: "\n").first { $0.contains("GIMP's own progress kept off the bar") }
        let count = line.flatMap { $0.split(separator: "(").last?.split(separator: " ").first }.flatMap { Int($0) }
        XCTAssertGreaterThan(count ?? 0, 0, "the commit did not take GIMP's scale progress: \(r.stderr)")
        let cli = try cliUpscale(input, gimp.path("p-cli.png"), width: 600, height: 400, weights: weights)
        assertClose(try ImageFile.load(out).planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
    }
}
