// The plug-in on high-precision and degenerate images in real headless GIMP 2.10 (fresh profile per test):
// 16-bit RGBA PNG keeps 16 bits and its alpha, 32-bit float grey TIFF stays float, a 1×1 image is no crash.
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import XCTest

final class PrecisionTests: XCTestCase {
    /// A 9-1-5 (8, 4 filters) network whose output is its input (a centre tap through channel 0 of each
    /// layer, the other channels random but unused at the end): the plug-in's result must then be the
    /// engine's bicubic resize of the input itself, which makes precision losses visible. (Random networks often put Y below 0,
    /// which clamps RGB to black: on the 8-bit grid whatever the precision.)
    func writeIdentityWeights(_ gimp: GimpProfile, seed: UInt64 = 7) throws -> String {
        var net = Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: seed)
        for l in net.layers.indices {
            let layer = net.layers[l], k = layer.kernel, perOut = layer.inChannels * k * k
            // Output channel 0 reads only input channel 0, centre tap, weight 1 (ReLU passes Y >= 0).
            for i in 0..<perOut { net.layers[l].weights[i] = 0 }
            net.layers[l].weights[(k / 2) * k + k / 2] = 1
            if l == net.layers.count - 1 { net.layers[l].bias[0] = 0 }
        }
        let path = gimp.path("identity.safetensors")
        try net.write(to: path)
        return path
    }

    /// Load `input`, upscale with the plug-in, print the image's precision (as "precision=<n>"), save.
    func upscaleCommand(_ input: String, _ output: String, scale: String, weights: String) -> String {
        """
        (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
               (d (car (gimp-image-get-active-drawable img))))
          (plug-in-srcnn-upscale RUN-NONINTERACTIVE img d \(scale) \(scm(weights)) 0)
          (gimp-message (string-append "precision=" (number->string (car (gimp-image-get-precision img)))))
          (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(output)) \(scm(output))))
        """
    }

    /// Load, scale with GIMP's cubic interpolation (what the image's other layers get), save.
    func bicubicCommand(_ input: String, _ output: String, width: Int, height: Int) -> String {
        """
        (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input))))))
          (gimp-context-push)
          (gimp-context-set-interpolation INTERPOLATION-CUBIC)
          (gimp-image-scale img \(width) \(height))
          (gimp-context-pop)
          (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(output)) \(scm(output))))
        """
    }

    /// RGBA 16-bit PNG ×2: GIMP exports it at the image's precision, so the result is 16-bit with real
    /// 16-bit values (not 8-bit data widened), 4 planes, and the half-transparent alpha gradient survives.
    func testRGBA16BitPNGKeeps16BitsAndAlpha() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let weights = try writeIdentityWeights(gimp)
        let (w, h) = (40, 30)
        var planes = testPlanes(width: w, height: h, count: 3, seed: 21)
        // Off the 8-bit grid: a small smooth offset in 1/65535 steps.
        for c in 0..<3 {
            for i in 0..<(w * h) {
                let v = planes[c].data[i] + Float((i * 37 + c * 11) % 200) / 65535
                planes[c].data[i] = (min(max(v, 0), 1) * 65535).rounded() / 65535
            }
        }
        var alpha = Plane(width: w, height: h)
        for y in 0..<h { for x in 0..<w { alpha.data[y * w + x] = ((0.2 + 0.6 * Float(x) / Float(w - 1)) * 65535).rounded() / 65535 } }
        let input = gimp.path("in16.png")
        try ImageFile.save(RasterImage(width: w, height: h, planes: planes + [alpha], depth: .u16), to: input)
        XCTAssertEqual(try ImageFile.load(input).depth, .u16)

        let out = gimp.path("out16.png"), bic = gimp.path("bicubic16.png")
        let r = try gimp.batch([upscaleCommand(input, out, scale: "2.0", weights: weights),
                                bicubicCommand(input, bic, width: 2 * w, height: 2 * h)])
        XCTAssertFalse(r.failed, r.stderr)
        let result = try ImageFile.load(out)
        XCTAssertEqual([result.width, result.height, result.planes.count], [2 * w, 2 * h, 4])
        XCTAssertEqual(result.depth, .u16)
        guard result.planes.count == 4, result.width == 2 * w, result.height == 2 * h else { return }
        // Not 8-bit data widened to 16 bits (that would make every sample a multiple of 257).
        let perPlane = result.planes.map { p in p.data.filter { Int(($0 * 65535).rounded()) % 257 != 0 }.count }
        let precision = r.stderr.split(separator: "\n").first { $0.contains("precision=") } ?? ""
        for (c, n) in perPlane.enumerated() {
            XCTAssertGreaterThan(n, (2 * w) * (2 * h) / 2, "plane \(c): \(perPlane) samples off the 8-bit grid; \(precision)")
        }
        // The plug-in resizes the layer like `srcnn upscale` (the engine's MATLAB bicubic on each plane, SRCNN on Y):
        // with the identity network every plane is the engine's bicubic resize of the 16-bit input, to 16-bit rounding.
        let source = try ImageFile.load(input)
        for c in 0..<4 {
            let expected = Resize.bicubic(source.planes[c], width: 2 * w, height: 2 * h).map { min(max($0, 0), 1) }
            XCTAssertLessThanOrEqual(result.planes[c].maxAbsDifference(expected), 2.0 / 65535, "plane \(c)")
        }
        // GIMP's own cubic scale of the same file also stays 16-bit (what the other layers get).
        let bicubic = try ImageFile.load(bic)
        XCTAssertEqual(bicubic.planes.count, 4)
        XCTAssertEqual(bicubic.depth, .u16)
        let a = result.planes[3]
        var worst: Float = 0
        for y in 0..<a.height {
            for x in 2..<(a.width - 2) {   // away from the edges, where bicubic clamps
                let expected = 0.2 + 0.6 * (Float(x) + 0.5 - 1) / Float(a.width - 2)   // source x = (x + 0.5) / 2 - 0.5
                worst = max(worst, abs(a.data[y * a.width + x] - expected))
            }
        }
        XCTAssertLessThan(worst, 0.01, "alpha gradient")
        XCTAssertGreaterThan(a.data.min() ?? 0, 0.15)
        XCTAssertLessThan(a.data.max() ?? 1, 0.85)
    }

    /// Grey 32-bit float TIFF ×2: the image stays float in GIMP and is exported as a float TIFF, size doubled.
    func testGrey32BitFloatTIFFStaysFloat() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let weights = try writeIdentityWeights(gimp, seed: 13)
        let (w, h) = (24, 18)
        var plane = testPlanes(width: w, height: h, count: 1, seed: 8)[0]
        for i in 0..<(w * h) { plane.data[i] += Float(i % 7) * 1e-4 }   // off any integer grid
        let input = gimp.path("inf.tif")
        try ImageFile.save(RasterImage(width: w, height: h, planes: [plane], depth: .float), to: input)
        let loaded = try ImageFile.load(input)
        XCTAssertEqual([loaded.depth == .float ? 1 : 0, loaded.planes.count], [1, 1])

        let out = gimp.path("outf.tif")
        let r = try gimp.batch(["""
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (before (car (gimp-image-get-precision img))))
              (plug-in-srcnn-upscale RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) 2.0 \(scm(weights)) 0)
              (gimp-message (string-append "precision-before=" (number->string before)
                                           " precision-after=" (number->string (car (gimp-image-get-precision img)))
                                           " base=" (number->string (car (gimp-image-base-type img)))))
              (file-tiff-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out)) 0))
            """])
        XCTAssertFalse(r.failed, r.stderr)
        // GIMP 2.10: 600 = PRECISION-FLOAT-LINEAR, 650 = PRECISION-FLOAT-GAMMA.
        let all = r.stdout + r.stderr
        guard let range = all.range(of: "precision-before=") else { return XCTFail("no precision printed: \(all)") }
        let line = all[range.lowerBound...].prefix { $0 != "\n" }
        let before = line.split(separator: " ")[0].split(separator: "=")[1]
        XCTAssertTrue(["600", "650"].contains(String(before)), String(line))
        XCTAssertTrue(line.contains("precision-after=\(before)"), String(line))
        XCTAssertTrue(line.contains("base=1"), String(line))   // GRAY
        let result = try ImageFile.load(out)
        XCTAssertEqual([result.width, result.height, result.planes.count], [2 * w, 2 * h, 1])
        XCTAssertEqual(result.depth, .float)
        // Real float data: not all on the 16-bit grid.
        let offGrid = result.planes[0].data.filter { abs($0 * 65535 - ($0 * 65535).rounded()) > 0.01 }.count
        XCTAssertGreaterThan(offGrid, result.planes[0].data.count / 2)
    }

    /// A 1×1 RGB image ×2: either a 2×2 result or a clear refusal; no crash, and the image stays usable.
    func testOneByOneRGBImage() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let weights = try writeIdentityWeights(gimp)
        let input = gimp.path("one.png")
        try ImageFile.save(RasterImage(width: 1, height: 1, planes: [Plane(width: 1, height: 1, data: [0.2]),
                                                                     Plane(width: 1, height: 1, data: [0.6]),
                                                                     Plane(width: 1, height: 1, data: [0.4])],
                                       depth: .u8), to: input)
        let out = gimp.path("out.png"), after = gimp.path("after.png")
        let r = try gimp.batch(["""
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input))))))
              (catch #f
                (plug-in-srcnn-upscale RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) 2.0 \(scm(weights)) 0)
                (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out))))
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(after)) \(scm(after))))
            """])
        XCTAssertFalse(r.stderr.contains("Plug-in crashed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("batch command executed successfully"), r.stderr)
        let image = try ImageFile.load(after)   // the image is still valid after the call
        let refusal = r.stderr.split(separator: "\n").first { $0.contains("SRCNN Upscale") }
        print("1×1 ×2:", FileManager.default.fileExists(atPath: out) ? "upscaled" : "refused: \(refusal ?? "")")
        if FileManager.default.fileExists(atPath: out) {
            let result = try ImageFile.load(out)
            XCTAssertEqual([result.width, result.height, result.planes.count], [2, 2, 3])
            XCTAssertEqual([image.width, image.height], [2, 2])
            for p in result.planes { XCTAssertTrue(p.data.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }) }
        } else {
            XCTAssertTrue(r.stderr.contains("SRCNN Upscale"), "refused without a clear message: \(r.stderr)")
            XCTAssertEqual([image.width, image.height], [1, 1])
        }
    }
}
