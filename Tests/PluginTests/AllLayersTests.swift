// The "all layers" mode (layers = 1): every pixel layer, inside groups too, is enhanced like `srcnn upscale`;
// the batch helper keeps an XCF's layers and enhances them all.
import Foundation
import SRCNN
import SRCNNImageIO
import XCTest

extension PluginTests {
    /// Script-Fu that builds a three-layer image from `input`: the background, an 8x6 RGBA plasma layer at
    /// (5, 4) inside a layer group, and a 12x10 RGB plasma layer at (3, 2) on top. Binds img, bg, group,
    /// inner and top around `body`.
    func layeredImage(_ input: String, _ body: String) -> String {
        """
        (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
               (bg (car (gimp-image-get-active-layer img)))
               (group (car (gimp-layer-group-new img)))
               (inner (car (gimp-layer-new img 8 6 RGBA-IMAGE "inner" 100 LAYER-MODE-NORMAL)))
               (top (car (gimp-layer-new img 12 10 RGB-IMAGE "top" 100 LAYER-MODE-NORMAL))))
          (gimp-image-insert-layer img group 0 0)
          (gimp-image-insert-layer img inner group 0)
          (gimp-layer-set-offsets inner 5 4)
          (gimp-drawable-fill inner FILL-WHITE)
          (plug-in-plasma RUN-NONINTERACTIVE img inner 11 2.5)
          (gimp-image-insert-layer img top 0 0)
          (gimp-layer-set-offsets top 3 2)
          (gimp-drawable-fill top FILL-WHITE)
          (plug-in-plasma RUN-NONINTERACTIVE img top 12 1.5)
          \(body))
        """
    }

    func saveLayer(_ layer: String, _ path: String) -> String {
        "(gimp-file-save RUN-NONINTERACTIVE img \(layer) \(scm(path)) \(scm(path)))"
    }

    func testAllLayersEnhancesEveryPixelLayerInsideGroups() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let input = try writeImage(gimp, name: "in.png", width: 20, height: 16, channels: 3)
        let fm = FileManager.default
        for d in ["in", "out"] { try fm.createDirectory(atPath: gimp.path(d), withIntermediateDirectories: true) }
        let layers = ["bg", "inner", "top"]
        let xcf = gimp.path("in/layers.xcf")
        // 1. The plug-in on all layers, with the drawable a layer group (unused in this mode); each layer saved
        //    before and after. 2. The batch helper on the same image saved as XCF.
        let direct = layeredImage(input, layers.map { saveLayer($0, gimp.path("\($0)-before.png")) }.joined(separator: "\n")
            + "\n(gimp-xcf-save 0 img bg \(scm(xcf)) \(scm(xcf)))"
            + "\n(plug-in-srcnn-upscale RUN-NONINTERACTIVE img group 2.0 \(scm(weights)) 1)"
            + "\n(if (not (= (car (gimp-image-width img)) 40)) (error \"the image did not grow\"))\n"
            + layers.map { saveLayer($0, gimp.path("\($0)-after.png")) }.joined(separator: "\n"))
        let batch = "(srcnn-batch-upscale-with-weights \(scm(gimp.path("in") + "/*.xcf")) \(scm(gimp.path("out"))) 2.0 \(scm(weights)))"
        let out = gimp.path("out/layers.xcf")
        // The batch's XCF, reopened: still two top-level layers and a group holding the third; each layer saved.
        let reopen = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(out)) \(scm(out)))))
                   (top-level (cadr (gimp-image-get-layers img)))
                   (top (vector-ref top-level 0)) (group (vector-ref top-level 1)) (bg (vector-ref top-level 2))
                   (inner (vector-ref (cadr (gimp-item-get-children group)) 0)))
              (if (not (= (car (gimp-image-get-layers img)) 3)) (error "the XCF lost its layers"))
              \(layers.map { saveLayer($0, gimp.path("\($0)-batch.png")) }.joined(separator: "\n")))
            """
        let r = try gimp.batch([direct, batch, reopen])
        XCTAssertFalse(r.failed, r.stderr)
        for (name, w, h, channels) in [("bg", 40, 32, 3), ("inner", 16, 12, 4), ("top", 24, 20, 3)] {
            let after = try ImageFile.load(gimp.path("\(name)-after.png"))
            XCTAssertEqual([after.width, after.height, after.planes.count], [w, h, channels], name)
            let cli = try cliUpscale(gimp.path("\(name)-before.png"), gimp.path("\(name)-cli.png"), width: w, height: h,
                                     weights: weights)
            assertClose(after.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
            // SRCNN really ran on this layer: it differs from the plain bicubic resize of the same pixels.
            let before = try ImageFile.load(gimp.path("\(name)-before.png"))
            let bicubic = before.planes.map { Resize.bicubic($0, width: w, height: h) }
            XCTAssertGreaterThan(bicubic[0].maxAbsDifference(after.planes[0]), 3.0 / 255, "\(name) looks merely bicubic")
            let batched = try ImageFile.load(gimp.path("\(name)-batch.png"))
            assertClose(batched.planes, after.planes, tolerance: 0)
        }
    }

    /// Active-layer mode on the same image leaves the other layers bicubic (GIMP's cubic scale), so the two
    /// modes really differ.
    func testActiveLayerModeLeavesOtherLayersToTheCubicScale() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let input = try writeImage(gimp, name: "in.png", width: 20, height: 16, channels: 3)
        let script = layeredImage(input, saveLayer("top", gimp.path("top-before.png"))
            + "\n(plug-in-srcnn-upscale RUN-NONINTERACTIVE img bg 2.0 \(scm(weights)) 0)\n"
            + saveLayer("top", gimp.path("top-after.png")))
        let r = try gimp.batch([script])
        XCTAssertFalse(r.failed, r.stderr)
        let after = try ImageFile.load(gimp.path("top-after.png"))
        XCTAssertEqual([after.width, after.height], [24, 20])
        let cli = try cliUpscale(gimp.path("top-before.png"), gimp.path("top-cli.png"), width: 24, height: 20, weights: weights)
        XCTAssertGreaterThan(after.planes[0].maxAbsDifference(cli.planes[0]), 3.0 / 255, "the top layer was enhanced too")
    }
}
