// The plug-in's GIMP-free core: settings as GIMP stores them, the job's region, the progress plan.
import Glibc
import SRCNNPluginCore
import XCTest

final class PluginCoreTests: XCTestCase {
    func testSettingsRoundTripAndOlderData() {
        var s = Settings()
        s.scale = 2.5
        s.weights = "/a path/with\nnewline.safetensors"
        s.allLayers = true
        s.output = .newImage
        s.exactWidth = 640
        s.exactHeight = 400
        s.photoForJPEG = false
        s.photoForOther = true
        XCTAssertEqual(Settings(serialized: s.serialized), s)
        XCTAssertEqual(s.exactSize?.width, 640)
        // What versions before the output mode stored: a resize by the scale.
        let old = Settings(serialized: Array("3.0\n1\nfsrcnn".utf8))
        XCTAssertEqual(old?.scale, 3)
        XCTAssertEqual(old?.allLayers, true)
        XCTAssertEqual(old?.weights, "fsrcnn")
        XCTAssertEqual(old?.output, .resize)
        XCTAssertNil(old?.exactSize)
        // Before the dialog's Input: photo weights for JPEGs, clean ones for the rest.
        let before = Settings(serialized: Array("2.0\n0 1 0 0\nsrcnn".utf8))
        XCTAssertEqual(before?.output, .newImage)
        XCTAssertEqual([before?.photoForJPEG, before?.photoForOther], [true, false])
        for bad in ["", "2\n", "x\n0\n", "2\n2\n", "2\n0 7 0 0\n", "2\n0 1 -1 5\n", "2\n0 1\n",
                    "2\n0 1 0 0 2 0\n", "2\n0 1 0 0 1\n"] {
            XCTAssertNil(Settings(serialized: Array(bad.utf8)), bad)
        }
    }

    func testScaleIsChecked() {
        var s = Settings()
        for bad in [0.5, 9, .nan, .infinity] {
            s.scale = bad
            XCTAssertThrowsError(try s.validate(), "\(bad)")
        }
        s.scale = 8
        XCTAssertNoThrow(try s.validate())
    }

    func testRegionOfANewImageIsTheSelectionBounds() {
        let sel = PixelRect(x: 10, y: 5, width: 20, height: 8)
        XCTAssertEqual(JobRegion.of(mode: .newImage, imageWidth: 50, imageHeight: 40, selection: sel),
                       JobRegion(area: sel, crops: true))
        // No selection, or a resize: the whole image, uncropped.
        let whole = JobRegion(area: PixelRect(x: 0, y: 0, width: 50, height: 40), crops: false)
        XCTAssertEqual(JobRegion.of(mode: .newImage, imageWidth: 50, imageHeight: 40, selection: nil), whole)
        XCTAssertEqual(JobRegion.of(mode: .resize, imageWidth: 50, imageHeight: 40, selection: sel), whole)
        // A selection reaching past the canvas is clipped to it.
        XCTAssertEqual(JobRegion.of(mode: .newImage, imageWidth: 50, imageHeight: 40,
                                    selection: PixelRect(x: 40, y: -5, width: 30, height: 10)).area,
                       PixelRect(x: 40, y: 0, width: 10, height: 5))
    }

    func testLayerPartsInsideARegion() throws {
        let crop = JobRegion(area: PixelRect(x: 10, y: 5, width: 20, height: 8), crops: true)
        // A layer at (4, 7), 10×30: its columns 6..<10 and rows 0..<6 are inside, at (0, 2) of the new image.
        let p = try XCTUnwrap(crop.part(ofLayer: PixelRect(x: 4, y: 7, width: 10, height: 30)))
        XCTAssertEqual(p.source, PixelRect(x: 6, y: 0, width: 4, height: 6))
        XCTAssertEqual([p.offsetX, p.offsetY], [0, 2])
        XCTAssertNil(crop.part(ofLayer: PixelRect(x: 30, y: 0, width: 5, height: 5)), "outside: removed by the crop")
        // Uncropped, a layer past the canvas is used whole, at its own offsets.
        let whole = JobRegion(area: PixelRect(x: 0, y: 0, width: 50, height: 40), crops: false)
        let q = try XCTUnwrap(whole.part(ofLayer: PixelRect(x: -3, y: 35, width: 10, height: 10)))
        XCTAssertEqual(q.source, PixelRect(x: 0, y: 0, width: 10, height: 10))
        XCTAssertEqual([q.offsetX, q.offsetY], [-3, 35])
    }

    func testProgressOnlyMovesForward() {
        let plan = ProgressPlan(layerPixels: [300, 0, 100])
        var last = 0.0
        for i in 0..<3 {
            for f in stride(from: 0.0, through: 1.0, by: 0.25) {
                let v = plan.value(layer: i, fraction: f)
                XCTAssertGreaterThanOrEqual(v, last)
                last = v
            }
        }
        XCTAssertEqual(plan.range(ofLayer: 0).lowerBound, ProgressPlan.prepared)
        XCTAssertEqual(plan.range(ofLayer: 2).upperBound, ProgressPlan.computed, accuracy: 1e-12)
        XCTAssertEqual(plan.range(ofLayer: 0).upperBound, 0.02 + 0.93 * 0.75, accuracy: 1e-12)
        XCTAssertLessThan(ProgressPlan.computed, ProgressPlan.written)
    }
}

final class EstimateTests: XCTestCase {
    /// The model's measured rate for the pixels, the write at its measured speed; the text rounds sensibly.
    func testEstimateFromThePreviewRate() {
        // 100,000 pixels in 0.05 s: 2 MP/s; 24 MP of RGB: 12 s, plus 72 MB written at 30 MB/s.
        let e = RunEstimate(modelPixels: 100_000, modelSeconds: 0.05, outputPixels: 24_000_000, bytesPerPixel: 3)
        XCTAssertEqual(e.seconds, 12 + 72e6 / RunEstimate.writeBytesPerSecond, accuracy: 1e-9)
        XCTAssertEqual(e.resultMB, 72, accuracy: 1e-9)
        XCTAssertEqual(e.text, "Estimate: about 14 s; the result takes 72 MB in GIMP")
        XCTAssertEqual(RunEstimate(modelPixels: 1000, modelSeconds: 1, outputPixels: 180_000_000, bytesPerPixel: 8).text,
                       "Estimate: about 50 h; the result takes 1.4 GB in GIMP")
        XCTAssertTrue(RunEstimate(modelPixels: 1, modelSeconds: 0, outputPixels: 10, bytesPerPixel: 1).text
                        .hasPrefix("Estimate: under a second"))
    }
}

final class WorkerTests: XCTestCase {
    /// The work runs on another thread; its calls through `main` run on this one; progress arrives mapped and in
    /// order; the result and a failure come back.
    func testWorkerForwardsProgressAndMainThreadCalls() throws {
        noteMainThread()
        let main = MainThreadCalls()
        let here = pthread_self()
        var reported: [Double] = []
        let value = try runWithProgress(from: 0.2, to: 0.6, main: main, report: { reported.append($0) }) { progress in
            XCTAssertEqual(pthread_equal(pthread_self(), here), 0, "the work runs on a worker thread")
            for i in 1...4 {
                let onMain = try main.run { pthread_equal(pthread_self(), here) != 0 }
                XCTAssertTrue(onMain)
                progress(Double(i) / 4)
                usleep(150_000)
            }
            return 42
        }
        XCTAssertEqual(value, 42)
        XCTAssertFalse(reported.isEmpty)
        XCTAssertEqual(reported, reported.sorted())
        XCTAssertTrue(reported.allSatisfy { (0.2...0.6).contains($0) }, "\(reported)")
        struct Failure: Error {}
        XCTAssertThrowsError(try runWithProgress(from: 0, to: 1, main: main, report: { _ in }) { _ -> Int in
            throw Failure()
        })
        XCTAssertEqual(formatG(2.5), "2.5")
        XCTAssertEqual(formatG(1.0 / 3), "0.333333")
    }
}
