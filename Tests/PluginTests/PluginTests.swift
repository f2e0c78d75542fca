// The GIMP plug-in in real headless GIMP 2.10: each test gets a fresh GIMP2_DIRECTORY with the freshly
// built plug-in installed, runs Script-Fu through gimp-console and checks stderr and the files written.
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import TestSupport
import XCTest

final class PluginTests: XCTestCase {
    /// A small random SRCNN (fast) written into the profile's folder. Output channel 0 of each layer is an
    /// identity tap plus 5 % of random weights over every input channel, so the result stays mostly inside
    /// 0...1 (a plain random network clamps nearly every pixel to black or white, which would prove little)
    /// while still depending on every layer's weights.
    func writeWeights(_ gimp: GimpProfile, name: String = "random.safetensors", seed: UInt64 = 7) throws -> (String, Network) {
        var net = Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: seed)
        let noise = Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: seed ^ 0x5EED)
        for l in net.layers.indices {
            let k = net.layers[l].kernel, perOut = net.layers[l].inChannels * k * k
            for i in 0..<perOut {
                net.layers[l].weights[i] = (i == (k / 2) * k + k / 2 ? 1 : 0) + 0.05 * noise.layers[l].weights[i]
            }
            net.layers[l].bias[0] = 0
        }
        let path = gimp.path(name)
        try net.write(to: path)
        return (path, net)
    }

    func writeImage(_ gimp: GimpProfile, name: String, width: Int, height: Int, channels: Int, seed: UInt64 = 1) throws -> String {
        let path = gimp.path(name)
        try ImageFile.save(RasterImage(width: width, height: height,
                                       planes: testPlanes(width: width, height: height, count: channels, seed: seed),
                                       depth: .u8), to: path)
        return path
    }

    /// Load, upscale with the plug-in, save.
    func upscaleCommand(_ input: String, _ output: String, scale: String, weights: String) -> String {
        """
        (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
               (d (car (gimp-image-get-active-drawable img))))
          (plug-in-srcnn-upscale RUN-NONINTERACTIVE img d \(scale) \(scm(weights)) 0)
          (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(output)) \(scm(output))))
        """
    }

    /// `srcnn upscale` (the CLI built beside this test bundle) of `input` to width×height with `weights`.
    func cliUpscale(_ input: String, _ output: String, width: Int, height: Int, weights: String,
                    file: StaticString = #filePath, line: UInt = #line) throws -> RasterImage {
        let (status, out) = try runTool(PluginPaths.cli.path, ["upscale", input, output, "--width", "\(width)",
                                                               "--height", "\(height)", "--weights", weights, "--quiet"])
        XCTAssertEqual(status, 0, "srcnn upscale failed: \(out)", file: file, line: line)
        return try ImageFile.load(output)
    }

    func assertClose(_ a: [Plane], _ b: [Plane], tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (i, (p, q)) in zip(a, b).enumerated() {
            XCTAssertEqual(p.width, q.width, file: file, line: line)
            XCTAssertEqual(p.height, q.height, file: file, line: line)
            guard p.width == q.width, p.height == q.height else { return }
            XCTAssertLessThanOrEqual(p.maxAbsDifference(q), tolerance, "plane \(i)", file: file, line: line)
        }
    }

    /// The plug-in's layer is exactly `srcnn upscale` of the same file (MATLAB bicubic of the original pixels,
    /// SRCNN on Y): the plug-in computes in float and GIMP rounds to 8 bits once, so within one step of 1/255.
    func testRGBx2AndX3EqualTheCLI() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let input = try writeImage(gimp, name: "in.png", width: 40, height: 30, channels: 3)
        // The larger one is written back in several strips of rows.
        let large = try writeImage(gimp, name: "large.png", width: 160, height: 120, channels: 3, seed: 2)
        let out2 = gimp.path("out2.png"), out3 = gimp.path("out3.png"), outL = gimp.path("outL.png")
        let r = try gimp.batch([upscaleCommand(input, out2, scale: "2.0", weights: weights),
                                upscaleCommand(input, out3, scale: "3.0", weights: weights),
                                upscaleCommand(large, outL, scale: "3.0", weights: weights)])
        XCTAssertFalse(r.failed, r.stderr)
        for (source, out, w, h) in [(input, out2, 80, 60), (input, out3, 120, 90), (large, outL, 480, 360)] {
            let result = try ImageFile.load(out)
            XCTAssertEqual([result.width, result.height, result.planes.count], [w, h, 3])
            XCTAssertEqual(result.depth, .u8)
            let cli = try cliUpscale(source, gimp.path("cli-\(w).png"), width: w, height: h, weights: weights)
            assertClose(result.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
            // The comparison only means something if the pixels are not clamped to black or white.
            let samples = result.planes.flatMap(\.data)
            let clamped = samples.filter { $0 <= 0 || $0 >= 1 }.count
            XCTAssertLessThan(clamped, samples.count / 10, "\(clamped) of \(samples.count) samples clamped")
        }
    }

    /// FSRCNN weights through the plug-in (a file, and the "fsrcnn" name for the shipped model): the layer equals
    /// `srcnn upscale` of the same file within one step of 1/255, at the native scale and at x2 (x3 then bicubic).
    func testFSRCNNEqualsTheCLI() throws {
        guard let gimp = try GimpProfile.make() else { return }
        var model = FSRCNN.random(d: 8, s: 4, m: 1, scale: 3, seed: 5)
        // Near an identity upsampler (a bicubic-like start), so the pixels are not all clamped.
        model.deconv.weights = model.deconv.weights.map { $0 * 50 }
        let folder = gimp.path("fsrcnn-weights")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let weights = folder + "/fsrcnn-x3.safetensors"
        try writeFileAtomically(model.safetensorsBytes(), to: weights)
        let input = try writeImage(gimp, name: "f.png", width: 30, height: 20, channels: 3, seed: 6)
        let out3 = gimp.path("f3.png"), out2 = gimp.path("f2.png")
        let r = try gimp.batch([upscaleCommand(input, out3, scale: "3.0", weights: weights),
                                upscaleCommand(input, out2, scale: "2.0", weights: "fsrcnn")],
                               environment: ["SRCNN_WEIGHTS_DIR": folder])
        XCTAssertFalse(r.failed, r.stderr)
        XCTAssertTrue(r.stderr.contains("fsrcnn-x3.safetensors"), r.stderr)
        for (out, w, h) in [(out3, 90, 60), (out2, 60, 40)] {
            let result = try ImageFile.load(out)
            XCTAssertEqual([result.width, result.height, result.planes.count], [w, h, 3])
            let cli = try cliUpscale(input, gimp.path("fcli-\(w).png"), width: w, height: h, weights: weights)
            assertClose(result.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
        }
    }

    /// A leftover selection neither masks the result (before: SRCNN inside it, plain cubic outside, with a seam)
    /// nor is lost: the whole layer equals the CLI's, and the selection comes back scaled, as Scale Image leaves it.
    func testLeftoverSelectionDoesNotMaskTheResult() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 13)
        let input = try writeImage(gimp, name: "sel.png", width: 40, height: 30, channels: 3, seed: 6)
        let out = gimp.path("sel-x2.png")
        let command = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d (car (gimp-image-get-active-drawable img))))
              (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 5 5 10 10)
              (plug-in-srcnn-upscale RUN-NONINTERACTIVE img d 2.0 \(scm(weights)) 0)
              (let ((b (gimp-selection-bounds img)))
                (if (or (= (car b) FALSE) (> (cadr b) 12) (< (cadddr b) 28)) (error "selection not restored")))
              (if (not (= (car (gimp-image-get-channels img)) 0)) (error "a saved-selection channel was left behind"))
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out))))
            """
        let r = try gimp.batch([command])
        XCTAssertFalse(r.failed, r.stderr)
        let result = try ImageFile.load(out)
        let cli = try cliUpscale(input, gimp.path("sel-cli.png"), width: 80, height: 60, weights: weights)
        assertClose(result.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
    }

    /// plug-in-srcnn-upscale-to-size: an exact size, or one side with the aspect ratio kept, equal to the CLI's
    /// `--width/--height`; a bad size is a clear error.
    func testToSizeProcedureEqualsTheCLI() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 21)
        let input = try writeImage(gimp, name: "ts.png", width: 40, height: 30, channels: 3, seed: 8)
        func command(_ w: Int, _ h: Int, _ out: String) -> String {
            """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d (car (gimp-image-get-active-drawable img))))
              (plug-in-srcnn-upscale-to-size RUN-NONINTERACTIVE img d \(w) \(h) \(scm(weights)) 0)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out))))
            """
        }
        let exact = gimp.path("ts-exact.png"), wide = gimp.path("ts-wide.png")
        let r = try gimp.batch([command(100, 75, exact), command(90, 0, wide)])
        XCTAssertFalse(r.failed, r.stderr)
        for (out, w, h) in [(exact, 100, 75), (wide, 90, 68)] {   // 30 * 90/40 = 67.5 -> 68
            let result = try ImageFile.load(out)
            XCTAssertEqual([result.width, result.height], [w, h])
            let cli = try cliUpscale(input, gimp.path("ts-cli-\(w).png"), width: w, height: h, weights: weights)
            assertClose(result.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
        }
        let bad = try gimp.batch([command(0, 0, gimp.path("never.png"))])
        XCTAssertTrue(bad.failed)
        XCTAssertTrue(bad.stderr.contains("width and height must be positive"), bad.stderr)
    }

    /// One size rule (SizeRule): the plug-in and `srcnn upscale --scale` give the same size for odd factors,
    /// and the same pixels.
    func testOddFactorsGiveTheCLISize() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 3)
        let input = try writeImage(gimp, name: "odd.png", width: 100, height: 7, channels: 3, seed: 4)
        var commands: [String] = [], cases: [(String, String)] = []
        for f in ["1.3333", "2.7", "1.05"] {
            let out = gimp.path("odd-\(f).png")
            commands.append(upscaleCommand(input, out, scale: f, weights: weights))
            cases.append((f, out))
        }
        let r = try gimp.batch(commands)
        XCTAssertFalse(r.failed, r.stderr)
        for (f, out) in cases {
            let plugin = try ImageFile.load(out)
            let cliOut = gimp.path("cli-odd-\(f).png")
            let (status, text) = try runTool(PluginPaths.cli.path, ["upscale", input, cliOut, "--scale", f,
                                                                    "--weights", weights, "--quiet"])
            XCTAssertEqual(status, 0, text)
            let cli = try ImageFile.load(cliOut)
            XCTAssertEqual([plugin.width, plugin.height], [cli.width, cli.height], "x\(f)")
            XCTAssertEqual([plugin.width, plugin.height],
                           [SizeRule.side(100, scale: Double(f)!), SizeRule.side(7, scale: Double(f)!)], "x\(f)")
            assertClose(plugin.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
        }
    }

    func testGreyAlphaX3AndFractionalScale() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp, seed: 11)
        let input = try writeImage(gimp, name: "in.png", width: 21, height: 17, channels: 2, seed: 5)
        let out3 = gimp.path("out3.png"), outF = gimp.path("out-2.5.png")
        let r = try gimp.batch([upscaleCommand(input, out3, scale: "3.0", weights: weights),
                                upscaleCommand(input, outF, scale: "2.5", weights: weights)])
        XCTAssertFalse(r.failed, r.stderr)
        let result = try ImageFile.load(out3)
        XCTAssertEqual([result.width, result.height, result.planes.count], [63, 51, 2])
        assertClose(result.planes, try cliUpscale(input, gimp.path("cli3.png"), width: 63, height: 51, weights: weights).planes,
                    tolerance: 1.0 / 255 + 1e-5)
        let frac = try ImageFile.load(outF)
        XCTAssertEqual([frac.width, frac.height], [53, 43])   // round(21 * 2.5), round(17 * 2.5)
        assertClose(frac.planes, try cliUpscale(input, gimp.path("cliF.png"), width: 53, height: 43, weights: weights).planes,
                    tolerance: 1.0 / 255 + 1e-5)
    }

    /// Set5 ×3 with the authors' 9-5-5 weights: LR inputs made as the eval protocol degrades (modcrop, MATLAB
    /// bicubic ÷3 of each RGB plane, saved as 8-bit PNG), upscaled by the plug-in in one GIMP run and by
    /// `srcnn upscale`; Y-PSNR against the modcropped HR (3 px shaved) must agree within 0.05 dB.
    func testSet5X3PSNRMatchesTheCLI() throws {
        let set5 = PluginPaths.shared.appendingPathComponent("data/Set5")
        let weights = PluginPaths.shared.appendingPathComponent("reference-weights/srcnn_9-5-5_ImageNet_x3.safetensors")
        guard requireShared(set5), requireShared(weights), let gimp = try GimpProfile.make() else { return }
        let names = try FileManager.default.contentsOfDirectory(atPath: set5.path).filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(names.count, 5)
        var commands: [String] = []
        var hrLumas: [Plane] = []
        for name in names {
            let hr = try ImageFile.load(set5.appendingPathComponent(name).path)
            let cropped = hr.planes.prefix(3).map { $0.modcrop(3) }
            hrLumas.append(BenchmarkProtocol.hrLuma(cropped))
            let w = cropped[0].width / 3, h = cropped[0].height / 3
            let lr = cropped.map { Resize.bicubic($0, width: w, height: h) }
            try ImageFile.save(RasterImage(width: w, height: h, planes: lr, depth: .u8), to: gimp.path("lr-" + name))
            commands.append(upscaleCommand(gimp.path("lr-" + name), gimp.path("gimp-" + name), scale: "3.0", weights: weights.path))
        }
        let r = try gimp.batch(commands)
        XCTAssertFalse(r.failed, r.stderr)
        var table = "Set5 x3, 9-5-5 ImageNet, Y-PSNR (dB), 3 px shaved\nimage       plug-in    srcnn upscale   diff\n"
        var sums = (0.0, 0.0)
        func pad(_ s: String) -> String { s.padding(toLength: 12, withPad: " ", startingAt: 0) }
        for (name, hrY) in zip(names, hrLumas) {
            let plugin = try ImageFile.load(gimp.path("gimp-" + name))
            let cli = try cliUpscale(gimp.path("lr-" + name), gimp.path("cli-" + name), width: hrY.width, height: hrY.height,
                                     weights: weights.path)
            XCTAssertEqual([plugin.width, plugin.height], [hrY.width, hrY.height], name)
            guard plugin.width == hrY.width, plugin.height == hrY.height else { continue }
            let p = Metrics.psnr(BenchmarkProtocol.hrLuma(plugin.planes), hrY, shave: 3)
            let c = Metrics.psnr(BenchmarkProtocol.hrLuma(cli.planes), hrY, shave: 3)
            sums.0 += p; sums.1 += c
            table += pad(String(name.dropLast(4))) + String(format: " %8.3f %12.3f %+10.4f\n", p, c, p - c)
            XCTAssertEqual(p, c, accuracy: 0.05, name)
        }
        let n = Double(names.count)
        table += pad("mean") + String(format: " %8.3f %12.3f %+10.4f", sums.0 / n, sums.1 / n, (sums.0 - sums.1) / n)
        print(table)
    }

    func testShippedWeightsAreUsedWhenWeightsIsEmpty() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let net = Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: 3)
        try net.write(to: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x2.safetensors").path)
        let input = try writeImage(gimp, name: "in.png", width: 16, height: 12, channels: 3)
        let out = gimp.path("out.png")
        let same = gimp.path("same.png")
        let r = try gimp.batch([upscaleCommand(input, out, scale: "2.0", weights: ""),
                                upscaleCommand(input, same, scale: "1.0", weights: "")])   // x1: SRCNN only
        XCTAssertFalse(r.failed, r.stderr)
        let result = try ImageFile.load(out)
        XCTAssertEqual([result.width, result.height, result.planes.count], [32, 24, 3])
        let unscaled = try ImageFile.load(same)
        XCTAssertEqual([unscaled.width, unscaled.height], [16, 12])
        // Registered where the issue wants it (GIMP caches registrations in pluginrc).
        let pluginrc = String(decoding: try Data(contentsOf: gimp.profile.appendingPathComponent("pluginrc")), as: UTF8.self)
        for needle in ["\"plug-in-srcnn-upscale\"", "\"<Image>/Filters/Enhance\"", "SRCNN Upscale…", "\"RGB*, GRAY*\""] {
            XCTAssertTrue(pluginrc.contains(needle), needle)
        }
    }

    /// One batch command: load `input`, run each attempt under `catch` (an error aborts that attempt only;
    /// a successful one saves out<i>.png), then save the image as it is to after.png.
    func attemptsCommand(_ gimp: GimpProfile, input: String, prepare: String = "", attempts: [(String, String)]) -> String {
        var body = ""
        for (i, a) in attempts.enumerated() {
            let out = gimp.path("out\(i).png")
            body += """
                (catch #f
                  (plug-in-srcnn-upscale RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(a.0) \(scm(a.1)) 0)
                  (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out))))

              """
        }
        let after = gimp.path("after.png")
        return """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input))))))
              \(prepare)
            \(body)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(after)) \(scm(after))))
            """
    }

    func testIndexedImageIsRefusedAndLeftUnchanged() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let input = try writeImage(gimp, name: "in.png", width: 20, height: 10, channels: 3)
        let indexed = "(gimp-image-convert-indexed img 0 0 16 FALSE FALSE \"\")"
        let r = try gimp.batch([attemptsCommand(gimp, input: input, prepare: indexed, attempts: [("2.0", weights)]),
                                // Uncaught, as a user's batch script would see it: an execution error, not a calling error.
                                "(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))) \(indexed)"
                                    + " (plug-in-srcnn-upscale RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) 2.0 \(scm(weights)) 0))"])
        XCTAssertTrue(r.stderr.contains("convert to RGB first"), r.stderr)
        XCTAssertTrue(r.stderr.contains("batch command experienced an execution error"), r.stderr)
        XCTAssertTrue(r.stderr.contains("Procedure execution of plug-in-srcnn-upscale failed: SRCNN Upscale: indexed"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Plug-in crashed"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: gimp.path("out0.png")))
        let unchanged = try ImageFile.load(gimp.path("after.png"))
        XCTAssertEqual([unchanged.width, unchanged.height], [20, 10])
    }

    func testBadScaleAndBadWeightsAreErrorsThatLeaveTheImageAlone() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let corrupt = gimp.path("corrupt.safetensors")
        try Data("this is not a safetensors file".utf8).write(to: URL(fileURLWithPath: corrupt))
        let input = try writeImage(gimp, name: "in.png", width: 20, height: 10, channels: 3)
        let cases: [(String, String, String)] = [("9.0", weights, "out of range"), ("0.5", weights, "out of range"),
                                                 ("2.0", corrupt, "cannot use weights"),
                                                 ("2.0", gimp.path("missing.safetensors"), "cannot read weights file"),
                                                 ("2.0", "", "no shipped weights found")]
        let r = try gimp.batch([attemptsCommand(gimp, input: input, attempts: cases.map { ($0.0, $0.1) })])
        XCTAssertFalse(r.stderr.contains("Plug-in crashed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("batch command executed successfully"), r.stderr)
        for (i, c) in cases.enumerated() {
            XCTAssertTrue(r.stderr.contains(c.2), "\(c): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: gimp.path("out\(i).png")), "\(c)")
        }
        let unchanged = try ImageFile.load(gimp.path("after.png"))
        XCTAssertEqual([unchanged.width, unchanged.height], [20, 10])
    }

    func testLastValuesAreRepeatedAndInteractiveWithoutDisplayFallsBack() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let input = try writeImage(gimp, name: "in.png", width: 10, height: 8, channels: 3)
        let first = gimp.path("first.png"), repeated = gimp.path("repeated.png"), interactive = gimp.path("interactive.png")
        // The later calls pass scale 2 and no weights (no shipped weights installed): only the remembered
        // values (x3, the random weights) can make them succeed.
        let r = try gimp.batch([upscaleCommand(input, first, scale: "3.0", weights: weights),
                                upscaleCommand(input, repeated, scale: "2.0", weights: "")
                                    .replacingOccurrences(of: "(plug-in-srcnn-upscale RUN-NONINTERACTIVE", with: "(plug-in-srcnn-upscale RUN-WITH-LAST-VALS"),
                                upscaleCommand(input, interactive, scale: "2.0", weights: "")
                                    .replacingOccurrences(of: "(plug-in-srcnn-upscale RUN-NONINTERACTIVE", with: "(plug-in-srcnn-upscale RUN-INTERACTIVE")])
        XCTAssertFalse(r.failed, r.stderr)
        for path in [first, repeated, interactive] {
            let img = try ImageFile.load(path)
            XCTAssertEqual([img.width, img.height], [30, 24], path)
        }
    }

    /// The real dialog on a virtual display: set the scale to 3, tick "All layers", press OK: the image grows
    /// x3 with the shipped model ("Automatic") and a second layer (not the drawable passed) is enhanced too.
    func testDialogUnderXvfb() throws {
        guard let gimp = try GimpProfile.make(), let display = try VirtualDisplay.start() else { return }
        let (weights, _) = try writeWeights(gimp)
        try FileManager.default.copyItem(atPath: weights,
                                         toPath: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x3.safetensors").path)
        let input = try writeImage(gimp, name: "in.png", width: 12, height: 10, channels: 3)
        let out = gimp.path("out.png"), topBefore = gimp.path("top-before.png"), topAfter = gimp.path("top-after.png")
        let command = layeredImage(input, saveLayer("top", topBefore)
            + "\n(plug-in-srcnn-upscale RUN-INTERACTIVE img bg 2.0 \"\" 0)\n" + saveLayer("bg", out) + saveLayer("top", topAfter))
        final class Box: @unchecked Sendable { var result: Result<GimpResult, Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = Result { try gimp.batch([command], display: display.name) }
            done.signal()
        }
        guard let window = try display.waitForWindow(named: "^SRCNN Upscale$", seconds: 60) else {
            XCTFail("the dialog did not appear")
            _ = done.wait(timeout: .now() + 130)
            return
        }
        _ = try display.xdotool(["windowfocus", "--sync", window])
        _ = try display.xdotool(["key", "ctrl+a"])   // XTEST events to the focused dialog
        _ = try display.xdotool(["type", "3"])
        _ = try display.xdotool(["key", "Tab"])
        Thread.sleep(forTimeInterval: 0.3)
        _ = try display.xdotool(["key", "alt+a"])   // "All layers"
        Thread.sleep(forTimeInterval: 0.3)
        _ = try display.xdotool(["key", "alt+o"])
        XCTAssertEqual(done.wait(timeout: .now() + 130), .success)
        let r = try XCTUnwrap(box.result).get()
        XCTAssertFalse(r.failed, r.stderr)
        let img = try ImageFile.load(out)
        XCTAssertEqual([img.width, img.height, img.planes.count], [36, 30, 3])
        // The top layer (12x10 -> 36x30) went through SRCNN, not just GIMP's cubic scale.
        let top = try ImageFile.load(topAfter)
        let cli = try cliUpscale(topBefore, gimp.path("top-cli.png"), width: 36, height: 30, weights: weights)
        assertClose(top.planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
    }

    /// The dialog's Help button (F1) opens the page installed beside the plug-in (help/en/index.html through the
    /// help domain the plug-in registers), not GIMP's "user manual is not installed" box. GIMP is set to use the
    /// web browser for help (its own help browser is not packaged), with a command that records the URL.
    func testHelpOpensTheInstalledPage() throws {
        guard let gimp = try GimpProfile.make(), let display = try VirtualDisplay.start() else { return }
        let urls = gimp.path("urls.txt"), recorder = gimp.path("record-url.sh")
        try "#!/bin/sh\necho \"$1\" >> \(urls)\n".write(toFile: recorder, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: recorder)
        let rc = gimp.profile.appendingPathComponent("gimprc")
        let before = (try? String(contentsOf: rc, encoding: .utf8)) ?? ""
        try (before + "\n(help-browser web-browser)\n").write(to: rc, atomically: true, encoding: .utf8)
        // GIMP's web browser opens the page with the desktop's default application for HTML (GIO): make that
        // a recorder, in this test's own HOME.
        let apps = gimp.root.appendingPathComponent(".local/share/applications")
        try FileManager.default.createDirectory(at: apps, withIntermediateDirectories: true)
        try "[Desktop Entry]\nType=Application\nName=Record URL\nExec=\(recorder) %u\nMimeType=text/html;\n"
            .write(to: apps.appendingPathComponent("srcnn-record-url.desktop"), atomically: true, encoding: .utf8)
        let config = gimp.root.appendingPathComponent(".config")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try "[Default Applications]\ntext/html=srcnn-record-url.desktop\n"
            .write(to: config.appendingPathComponent("mimeapps.list"), atomically: true, encoding: .utf8)
        let input = try writeImage(gimp, name: "in.png", width: 12, height: 10, channels: 3)
        // Help lives in GIMP's user interface (gimp-console has none): the real GIMP, as a user runs it.
        try? FileManager.default.removeItem(at: gimp.profile.appendingPathComponent("backups"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        p.arguments = ["120", "/usr/bin/gimp", "-n", "-s", "-d", "-f", "--console-messages", input]
        var env = ProcessInfo.processInfo.environment
        env["GIMP2_DIRECTORY"] = gimp.profile.path
        env["HOME"] = gimp.root.path
        env["XDG_CONFIG_HOME"] = config.path
        env["XDG_DATA_HOME"] = gimp.root.appendingPathComponent(".local/share").path
        env["DISPLAY"] = display.name
        env["PATH"] = "/usr/bin:/bin"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: gimp.path("help-stderr.log"), contents: nil)
        p.standardError = FileHandle(forWritingAtPath: gimp.path("help-stderr.log"))
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        guard let main = try display.waitForWindow(named: "12x10 – GIMP$", seconds: 90) else {
            return XCTFail("GIMP's image window did not appear")
        }
        Thread.sleep(forTimeInterval: 1)
        guard let dialog = try openDialog(display, from: main) else { return }
        _ = try display.xdotool(["windowfocus", "--sync", dialog])
        _ = try display.xdotool(["key", "F1"])
        var url = ""
        for _ in 0..<150 where url.isEmpty {
            Thread.sleep(forTimeInterval: 0.2)
            url = (try? String(contentsOfFile: urls, encoding: .utf8)) ?? ""
        }
        let page = gimp.pluginFolder.appendingPathComponent("help/en/index.html").path
        let log = ((try? String(contentsOfFile: gimp.path("help-stderr.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { !$0.contains("theme engine") && !$0.isEmpty }.joined(separator: "\n")
        XCTAssertTrue(url.contains(page), "Help opened '\(url)', expected \(page); GIMP said: \(log)")
        XCTAssertNil(try display.waitForWindow(named: "^GIMP Message$|User Manual", seconds: 0.5),
                     "GIMP showed a message instead of the page")
    }

    /// With FSRCNN weights shipped, the dialog's model list offers "FSRCNN — fast" (second row); picking it runs
    /// the shipped FSRCNN model, and the choice is remembered (RUN-WITH-LAST-VALS uses it again).
    func testDialogOffersFSRCNNWhenShipped() throws {
        guard let gimp = try GimpProfile.make(), let display = try VirtualDisplay.start() else { return }
        var model = FSRCNN.random(d: 8, s: 4, m: 1, scale: 3, seed: 2)
        model.deconv.weights = model.deconv.weights.map { $0 * 50 }
        let shipped = gimp.pluginFolder.appendingPathComponent("weights/fsrcnn-x3.safetensors").path
        try writeFileAtomically(model.safetensorsBytes(), to: shipped)
        let input = try writeImage(gimp, name: "in.png", width: 12, height: 10, channels: 3)
        let out = gimp.path("out.png"), again = gimp.path("again.png")
        let command = """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d (car (gimp-image-get-active-drawable img)))
                   (img2 (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (d2 (car (gimp-image-get-active-drawable img2))))
              (plug-in-srcnn-upscale RUN-INTERACTIVE img d 2.0 "" 0)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out)))
              (plug-in-srcnn-upscale RUN-WITH-LAST-VALS img2 d2 2.0 "" 0)
              (gimp-file-save RUN-NONINTERACTIVE img2 (car (gimp-image-get-active-drawable img2)) \(scm(again)) \(scm(again))))
            """
        final class Box: @unchecked Sendable { var result: Result<GimpResult, Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = Result { try gimp.batch([command], display: display.name) }
            done.signal()
        }
        guard let window = try display.waitForWindow(named: "^SRCNN Upscale$", seconds: 60) else {
            XCTFail("the dialog did not appear")
            _ = done.wait(timeout: .now() + 130)
            return
        }
        _ = try display.xdotool(["windowfocus", "--sync", window])
        _ = try display.xdotool(["key", "alt+m"])    // the Model list
        Thread.sleep(forTimeInterval: 0.3)
        _ = try display.xdotool(["key", "Down"])     // row 2: FSRCNN — fast
        Thread.sleep(forTimeInterval: 0.3)
        _ = try display.xdotool(["key", "alt+o"])
        XCTAssertEqual(done.wait(timeout: .now() + 130), .success)
        let r = try XCTUnwrap(box.result).get()
        XCTAssertFalse(r.failed, r.stderr)
        let runs = r.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("srcnn-upscale: ×") }
        XCTAssertEqual(runs.count, 2, r.stderr)
        XCTAssertTrue(runs.allSatisfy { $0.hasSuffix("fsrcnn-x3.safetensors") }, r.stderr)
        for file in [out, again] {
            let img = try ImageFile.load(file)
            XCTAssertEqual([img.width, img.height], [24, 20])
        }
        let cli = try cliUpscale(input, gimp.path("cli.png"), width: 24, height: 20, weights: shipped)
        assertClose(try ImageFile.load(out).planes, cli.planes, tolerance: 1.0 / 255 + 1e-5)
    }

    /// The dialog's Input (issue 13): photo weights by default for an image loaded from a JPEG, clean ones for a
    /// PNG, and the choice remembered apart for each: a JPEG switched to Clean stays Clean next time.
    func testDialogInputDefaultsToPhotoForJPEGs() throws {
        guard let gimp = try GimpProfile.make(), let display = try VirtualDisplay.start() else { return }
        let folder = gimp.pluginFolder.appendingPathComponent("weights")
        try Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: 4).write(to: folder.appendingPathComponent("srcnn-x2.safetensors").path)
        try Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: 5).write(to: folder.appendingPathComponent("srcnn-photo-x2.safetensors").path)
        let jpeg = try writeImage(gimp, name: "in.jpg", width: 12, height: 10, channels: 3, seed: 1)
        let png = try writeImage(gimp, name: "in.png", width: 12, height: 10, channels: 3, seed: 2)
        func run(_ file: String) -> String {
            """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(file)) \(scm(file)))))
                   (d (car (gimp-image-get-active-drawable img))))
              (plug-in-srcnn-upscale RUN-INTERACTIVE img d 2.0 "" 0))
            """
        }
        final class Box: @unchecked Sendable { var result: Result<GimpResult, Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = Result { try gimp.batch([run(jpeg), run(png), run(jpeg), run(jpeg)], display: display.name) }
            done.signal()
        }
        // Per dialog: the keys pressed before OK (alt+l: Input "Clean").
        for (n, keys) in ([[], [], ["alt+l"], []] as [[String]]).enumerated() {
            guard let window = try display.waitForWindow(named: "^SRCNN Upscale$", seconds: 60) else {
                XCTFail("dialog \(n + 1) did not appear")
                _ = done.wait(timeout: .now() + 130)
                return
            }
            _ = try display.xdotool(["windowfocus", "--sync", window])
            Thread.sleep(forTimeInterval: 0.3)
            for k in keys { _ = try display.xdotool(["key", k]); Thread.sleep(forTimeInterval: 0.3) }
            _ = try display.xdotool(["key", "alt+o"])
            // The next dialog is another process's window (X may give it the same id): wait for this one to go.
            let gone = Date().addingTimeInterval(30)
            while Date() < gone, try display.xdotool(["search", "--name", "^SRCNN Upscale$"]).0 == 0 {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 130), .success)
        let r = try XCTUnwrap(box.result).get()
        XCTAssertFalse(r.failed, r.stderr)
        let runs = r.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("srcnn-upscale: ×") }
        XCTAssertEqual(runs.map { $0.components(separatedBy: "/").last ?? "" },
                       ["srcnn-photo-x2.safetensors", "srcnn-x2.safetensors", "srcnn-x2.safetensors",
                        "srcnn-x2.safetensors"], r.stderr)
    }

    /// Plugin/srcnn-batch.scm: every matching file upscaled into the output folder under its own name.
    func testBatchScript() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let net = Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: 4)
        try net.write(to: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x2.safetensors").path)
        let fm = FileManager.default
        for d in ["in", "out", "out2"] { try fm.createDirectory(atPath: gimp.path(d), withIntermediateDirectories: true) }
        _ = try writeImage(gimp, name: "in/a.jpg", width: 16, height: 12, channels: 3, seed: 1)
        _ = try writeImage(gimp, name: "in/b.jpg", width: 10, height: 20, channels: 3, seed: 2)
        _ = try writeImage(gimp, name: "in/c.png", width: 8, height: 8, channels: 1, seed: 3)
        let r = try gimp.batch(["(srcnn-batch-upscale \(scm(gimp.path("in") + "/*.jpg")) \(scm(gimp.path("out") + "/")) 2.0)",
                                "(srcnn-batch-upscale-with-weights \(scm(gimp.path("in") + "/*.png")) \(scm(gimp.path("out2"))) 3.0 \(scm(weights)))"])
        XCTAssertFalse(r.failed, r.stderr)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: gimp.path("out")).sorted(), ["a.jpg", "b.jpg"])
        let a = try ImageFile.load(gimp.path("out/a.jpg")), b = try ImageFile.load(gimp.path("out/b.jpg"))
        XCTAssertEqual([a.width, a.height, b.width, b.height], [32, 24, 20, 40])
        let c = try ImageFile.load(gimp.path("out2/c.png"))
        XCTAssertEqual([c.width, c.height, c.planes.count], [24, 24, 1])
    }

    /// The batch script's failure cases (issue 11 bug 2): a missing output folder is created (before: the first
    /// result was lost and the rest never ran), files go in name order with plain progress lines (not
    /// "script-fu-Warning"), a bad file is reported and the others still done, a final count, and an empty
    /// glob or any failure is an execution error.
    func testBatchScriptFailureCases() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let fm = FileManager.default
        try fm.createDirectory(atPath: gimp.path("in"), withIntermediateDirectories: true)
        for (i, n) in ["c", "a", "b"].enumerated() {
            _ = try writeImage(gimp, name: "in/\(n).png", width: 12, height: 10, channels: 3, seed: UInt64(i + 1))
        }
        let glob = scm(gimp.path("in") + "/*.png")
        var r = try gimp.batch(["(srcnn-batch-upscale-with-weights \(glob) \(scm(gimp.path("new/deeper"))) 2.0 \(scm(weights)))"])
        XCTAssertFalse(r.failed, r.stderr)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: gimp.path("new/deeper")).sorted(), ["a.png", "b.png", "c.png"])
        let lines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("srcnn-batch-upscale:") }
        XCTAssertEqual(lines.count, 4, r.stdout)
        XCTAssertTrue(lines.first?.contains("/in/a.png ->") == true && lines[1].contains("/in/b.png ->")
                      && lines[2].contains("/in/c.png ->"), "name order: \(lines)")
        XCTAssertEqual(lines.last, "srcnn-batch-upscale: 3 succeeded, 0 failed")
        XCTAssertFalse(r.stderr.contains("script-fu-Warning"), r.stderr)

        // A damaged file in the middle: reported, the others done, the batch fails at the end.
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: gimp.path("in/b.png")))
        r = try gimp.batch(["(srcnn-batch-upscale-with-weights \(glob) \(scm(gimp.path("out2"))) 2.0 \(scm(weights)))"])
        XCTAssertTrue(r.failed, "a failed file makes the batch fail: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("FAILED \(gimp.path("in/b.png"))"), r.stdout)
        XCTAssertTrue(r.stdout.contains("2 succeeded, 1 failed"), r.stdout)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: gimp.path("out2")).sorted(), ["a.png", "c.png"])

        // An output "folder" that is a file: refused before any work.
        try Data("x".utf8).write(to: URL(fileURLWithPath: gimp.path("afile")))
        r = try gimp.batch(["(srcnn-batch-upscale-with-weights \(glob) \(scm(gimp.path("afile"))) 2.0 \(scm(weights)))"])
        XCTAssertTrue(r.failed, r.stderr)
        XCTAssertTrue(r.stderr.contains("is a file"), r.stderr)
        XCTAssertFalse(r.stdout.contains("->"), "no work done: \(r.stdout)")

        // Nothing matches: an error, not "executed successfully".
        r = try gimp.batch(["(srcnn-batch-upscale \(scm(gimp.path("in") + "/*.tiff")) \(scm(gimp.path("out3"))) 2.0)"])
        XCTAssertTrue(r.failed, r.stderr)
        XCTAssertTrue(r.stderr.contains("no files match"), r.stderr)
    }

    /// install.sh into a fresh profile: the plug-in is self-contained (no Swift runtime from the toolchain),
    /// re-running upgrades in place, the installed plug-in works in GIMP, --uninstall removes it.
    func testInstallScriptInstallsASelfContainedPlugin() throws {
        guard try GimpProfile.make() != nil else { return }   // GIMP present (else SKIP/fail)
        let gimp = try GimpProfile.makeEmpty()
        let install = PluginPaths.packageRoot.appendingPathComponent("install.sh").path
        let args = ["--plugin-only", "--gimp-dir", gimp.profile.path]
        var (status, out) = try runTool("/bin/bash", [install] + args)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("installed the GIMP plug-in in \(gimp.pluginFolder.path)"), out)
        let fm = FileManager.default
        let exe = gimp.pluginFolder.appendingPathComponent("srcnn-upscale").path
        let lib = gimp.pluginFolder.appendingPathComponent("libSRCNNGimp.so").path
        XCTAssertTrue(fm.isExecutableFile(atPath: exe))
        XCTAssertTrue(fm.fileExists(atPath: lib))
        XCTAssertTrue(fm.fileExists(atPath: gimp.profile.appendingPathComponent("scripts/srcnn-batch.scm").path))
        for binary in [exe, lib] {
            let (_, deps) = try runTool("/usr/bin/ldd", [binary])
            for bad in ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "not found"] {
                XCTAssertFalse(deps.contains(bad), "\(binary) needs \(bad):\n\(deps)")
            }
        }
        // The engine and the plug-in import only FoundationEssentials: no swift-corelibs-foundation, no ICU
        // (22.7 MB measured; 71.9 MB when they imported Foundation, which links ICU's data statically).
        let libSize = try XCTUnwrap(fm.attributesOfItem(atPath: lib)[.size] as? Int)
        XCTAssertLessThan(libSize, 35_000_000, "libSRCNNGimp.so is \(libSize) bytes: does the plug-in or the engine import Foundation?")
        let libBytes = try Data(contentsOf: URL(fileURLWithPath: lib))
        for bad in ["icudt", "FoundationInternationalization", "$s10Foundation"] {
            XCTAssertNil(libBytes.range(of: Data(bad.utf8)), "libSRCNNGimp.so contains \(bad) (ICU / full Foundation linked in)")
        }
        let (_, libDeps) = try runTool("/usr/bin/ldd", [lib])
        XCTAssertFalse(libDeps.contains("libicu"), libDeps)
        // Upgrade in place.
        (status, out) = try runTool("/bin/bash", [install] + args)
        XCTAssertEqual(status, 0, out)
        XCTAssertFalse(fm.fileExists(atPath: gimp.pluginFolder.path + ".new"))
        // The installed plug-in in GIMP, with the toolchain off PATH and, where this machine allows a mount
        // namespace, the Swift runtime folder covered by an empty tmpfs.
        let net = Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: 2)
        try net.write(to: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x2.safetensors").path)
        let input = try writeImage(gimp, name: "in.png", width: 12, height: 9, channels: 4)
        let result = gimp.path("out.png")
        var hidden: String?
        if HiddenFolder.available {
            hidden = try XCTUnwrap(HiddenFolder.swiftRuntimeFolder, "the test process has no libswiftCore.so mapped")
        }
        let r = try gimp.batch([upscaleCommand(input, result, scale: "2.0", weights: "")], hiding: hidden)
        XCTAssertFalse(r.failed, r.stderr)
        let img = try ImageFile.load(result)
        XCTAssertEqual([img.width, img.height, img.planes.count], [24, 18, 4])
        if let hidden {
            // The control: the development build (dynamic Swift runtime from the toolchain) cannot load there.
            let dev = try XCTUnwrap(try GimpProfile.make())
            try net.write(to: dev.pluginFolder.appendingPathComponent("weights/srcnn-x2.safetensors").path)
            let devInput = try writeImage(dev, name: "in.png", width: 12, height: 9, channels: 4)
            let d = try dev.batch([upscaleCommand(devInput, dev.path("out.png"), scale: "2.0", weights: "")], hiding: hidden)
            XCTAssertTrue(d.failed, "a plug-in linked to \(hidden) still ran with it hidden: \(d.stderr)")
            XCTAssertTrue(d.stderr.contains("libswiftCore.so"), d.stderr)
            XCTAssertFalse(fm.fileExists(atPath: dev.path("out.png")))
        }
        // Uninstall.
        (status, out) = try runTool("/bin/bash", [install, "--uninstall"] + args)
        XCTAssertEqual(status, 0, out)
        XCTAssertFalse(fm.fileExists(atPath: gimp.pluginFolder.path))
        XCTAssertFalse(fm.fileExists(atPath: gimp.profile.appendingPathComponent("scripts/srcnn-batch.scm").path))
    }

    /// A second, smaller layer at an offset (not the active one when loaded): it is the one enhanced, the
    /// whole image grows; a layer group is refused with a message and left alone.
    func testOffsetLayerAndLayerGroup() throws {
        guard let gimp = try GimpProfile.make() else { return }
        let (weights, _) = try writeWeights(gimp)
        let input = try writeImage(gimp, name: "in.png", width: 20, height: 16, channels: 3)
        let out = gimp.path("out.png"), grouped = gimp.path("grouped.png")
        let r = try gimp.batch(["""
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (layer (car (gimp-layer-new img 8 6 RGBA-IMAGE "small" 100 LAYER-MODE-NORMAL))))
              (gimp-image-insert-layer img layer 0 0)
              (gimp-layer-set-offsets layer 5 4)
              (gimp-drawable-fill layer FILL-WHITE)
              (plug-in-srcnn-upscale RUN-NONINTERACTIVE img layer 2.0 \(scm(weights)) 0)
              (if (not (and (= (car (gimp-drawable-width layer)) 16) (= (car (gimp-drawable-height layer)) 12)
                            (= (car (gimp-drawable-offsets layer)) 10)))
                  (error "the small layer was not scaled with the image"))
              (gimp-image-merge-visible-layers img CLIP-TO-IMAGE)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(out)) \(scm(out))))
            """, """
            (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \(scm(input)) \(scm(input)))))
                   (group (car (gimp-layer-group-new img))))
              (gimp-image-insert-layer img group 0 0)
              (catch #f (plug-in-srcnn-upscale RUN-NONINTERACTIVE img group 2.0 \(scm(weights)) 0))
              (gimp-image-delete-layer? img group)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \(scm(grouped)) \(scm(grouped))))
            """.replacingOccurrences(of: "(gimp-image-delete-layer? img group)", with: "(gimp-image-remove-layer img group)")])
        XCTAssertFalse(r.failed, r.stderr)
        let img = try ImageFile.load(out)
        XCTAssertEqual([img.width, img.height], [40, 32])
        XCTAssertTrue(r.stderr.contains("layer group"), r.stderr)
        let unchanged = try ImageFile.load(grouped)
        XCTAssertEqual([unchanged.width, unchanged.height], [20, 16])
    }

    /// The real GIMP GUI on a virtual display: open an image, find "SRCNN Upscale…" through GIMP's action
    /// search (/), run it from there (GIMP passes only run-mode, image and drawable), set x3 in the dialog, OK:
    /// the image window's title shows the new size.
    func testFromTheGimpGUIUnderXvfb() throws {
        guard let gimp = try GimpProfile.make(), let display = try VirtualDisplay.start() else { return }
        let net = Network.random(kernels: [9, 1, 5], filters: [8, 4], seed: 6)
        try net.write(to: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x3.safetensors").path)
        try net.write(to: gimp.pluginFolder.appendingPathComponent("weights/srcnn-x4.safetensors").path)
        let input = try writeImage(gimp, name: "in.png", width: 40, height: 30, channels: 3)
        let log = gimp.path("gimp-stderr.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        // A crash-recovery dialog would block the start.
        try? FileManager.default.removeItem(at: gimp.profile.appendingPathComponent("backups"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        p.arguments = ["180", "/usr/bin/gimp", "-n", "-s", "-d", "-f", input]
        var env = ProcessInfo.processInfo.environment
        env["GIMP2_DIRECTORY"] = gimp.profile.path
        env["HOME"] = gimp.root.path
        env["DISPLAY"] = display.name
        env["PATH"] = "/usr/bin:/bin"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        guard let main = try display.waitForWindow(named: "40x30 – GIMP$", seconds: 90) else {
            return XCTFail("GIMP's image window did not appear")
        }
        Thread.sleep(forTimeInterval: 1)
        guard let dialog = try openDialog(display, from: main) else { return }
        _ = try display.xdotool(["windowfocus", "--sync", dialog])
        _ = try display.xdotool(["key", "ctrl+a"])
        _ = try display.xdotool(["type", "3"])
        _ = try display.xdotool(["key", "Tab"])
        Thread.sleep(forTimeInterval: 0.3)
        // Pick the shipped ×3 model from the list by hand (Automatic, ×3, ×4, Other file).
        _ = try display.xdotool(["key", "alt+m"])
        _ = try display.xdotool(["key", "Down"])
        Thread.sleep(forTimeInterval: 0.3)
        _ = try display.xdotool(["key", "alt+o"])
        XCTAssertNotNil(try display.waitForWindow(named: "120x90 – GIMP$", seconds: 60), "the image did not grow x3")
        XCTAssertNil(try display.waitForWindow(named: "^GIMP Message$", seconds: 0.5), "GIMP showed an error message")
        XCTAssertTrue(try String(contentsOfFile: log, encoding: .utf8).contains("×3 with \(gimp.pluginFolder.path)/weights/srcnn-x3"))

        // Again from the dialog (it opens with the last values: ×3 and that model), now ×4: the hand-picked
        // model must not stick — a new scale goes back to Automatic, which picks the ×4 model (issue 11 bug 3).
        guard let main2 = try display.waitForWindow(named: "120x90 – GIMP$", seconds: 5) else { return XCTFail("no window") }
        guard let dialog2 = try openDialog(display, from: main2) else { return }
        _ = try display.xdotool(["windowfocus", "--sync", dialog2])
        _ = try display.xdotool(["key", "alt+s"])
        _ = try display.xdotool(["key", "ctrl+a"])
        _ = try display.xdotool(["type", "4"])
        _ = try display.xdotool(["key", "Tab"])
        Thread.sleep(forTimeInterval: 0.3)
        _ = try display.xdotool(["key", "alt+o"])
        XCTAssertNotNil(try display.waitForWindow(named: "480x360 – GIMP$", seconds: 60), "the image did not grow x4")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.contains("×4 with \(gimp.pluginFolder.path)/weights/srcnn-x4"), "the ×4 model ran: \(text)")
    }

    /// Opens the plug-in's dialog from GIMP's action search ("/" in the image window); nil after a test failure.
    func openDialog(_ display: VirtualDisplay, from window: String) throws -> String? {
        _ = try display.xdotool(["windowfocus", "--sync", window])
        // Real (XTEST) key events to the focused window: events sent to a window (--window) make GTK's
        // action search activate twice, and the second Return presses OK in the plug-in's dialog.
        _ = try display.xdotool(["key", "slash"])
        guard let search = try display.waitForWindow(named: "^Search Actions$", seconds: 20) else {
            XCTFail("GIMP's action search did not open")
            return nil
        }
        _ = try display.xdotool(["windowfocus", "--sync", search])
        _ = try display.xdotool(["key", "ctrl+a"])   // the search remembers the last text
        _ = try display.xdotool(["type", "SRCNN Upscale"])
        Thread.sleep(forTimeInterval: 1.5)
        _ = try display.xdotool(["key", "Return"])
        guard let dialog = try display.waitForWindow(named: "^SRCNN Upscale$", seconds: 30) else {
            XCTFail("the plug-in's dialog did not open from the GUI")
            return nil
        }
        return dialog
    }
}
