// Photo degradations (issue 13): deterministic for a seed, labels untouched, the JPEG round trip really is a
// 4:2:0 JPEG at the drawn quality, settings checked and recorded.
import XCTest
@testable import SRCNN
@testable import SRCNNTraining
import SRCNNImageIO

final class DegradationTests: XCTestCase {
    let codec: JPEGCodec = { try JPEGRoundTrip.apply($0, quality: $1) }

    /// A 96x80 colour image with edges, gradients and texture (values 0...1, 8-bit like a decoded file).
    func photo(seed: UInt64 = 3) -> [Plane] {
        var r = SplitMix64(seed: seed)
        return (0..<3).map { c in
            Plane(width: 96, height: 80, data: (0..<(96 * 80)).map { i in
                let x = i % 96, y = i / 96
                let v = 0.5 + 0.3 * sin(Double(x) * 0.4 + Double(c)) * cos(Double(y) * 0.25) + (x > 30 ? 0.1 : -0.1)
                return quantize8AsUnit(Float(min(1, max(0, v + 0.05 * (r.nextUniform() - 0.5)))))
            })
        }
    }

    func testDrawsAreDeterministicAndFollowTheSettings() {
        let d = Degradation(jpeg: 30...95, noise: 0...4, clean: 0.25)
        let a = (0..<400).map { d.draw(seed: 7, key: UInt64($0)) }
        XCTAssertEqual(a, (0..<400).map { d.draw(seed: 7, key: UInt64($0)) })
        XCTAssertNotEqual(a, (0..<400).map { d.draw(seed: 8, key: UInt64($0)) })
        let clean = a.filter(\.clean).count
        XCTAssert((60...140).contains(clean), "\(clean) of 400 clean, want about 100")
        let q = a.compactMap(\.quality)
        XCTAssertEqual(q.count, 400 - clean)
        XCTAssertEqual(q.min(), 30); XCTAssertEqual(q.max(), 95)
        XCTAssert(a.filter { !$0.clean }.allSatisfy { (0...4).contains($0.sigma) })
        XCTAssertEqual(d.validationQuality, 62)
    }

    func testJPEGRoundTripIsLossyAt420AndNearlyExactAtTop() throws {
        let img = photo()
        let hi = try JPEGRoundTrip.apply(img, quality: 100), lo = try JPEGRoundTrip.apply(img, quality: 20)
        let err = { (a: [Plane]) -> Float in
            let d = zip(a, img).flatMap { zip($0.data, $1.data).map { abs($0 - $1) } }
            return d.reduce(0, +) / Float(d.count)
        }
        XCTAssertLessThan(err(hi), 0.02)
        XCTAssertGreaterThan(err(lo), 3 * err(hi))
        // A 1-pixel red/blue chroma checker on equal luma cannot survive 4:2:0 chroma (2x2 averaged), even at 100.
        let n = 32
        let checker = (0..<3).map { c in
            Plane(width: n, height: n, data: (0..<(n * n)).map { i in
                let odd = (i % n + i / n) % 2 == 1
                return c == 1 ? 0.2 : (c == 0) == odd ? 0.8 : 0.2
            })
        }
        let out = try JPEGRoundTrip.apply(checker, quality: 100)
        XCTAssertGreaterThan(out[0].maxAbsDifference(checker[0]), 0.2, "chroma was not subsampled")
        XCTAssertThrowsError(try JPEGRoundTrip.apply(Array(img[0..<2]), quality: 75))
    }

    func testDegradedSetsAreReproducibleAndKeepTheCleanLabels() throws {
        let img = photo(), arch = try Architecture.fsrcnn()
        let g = try FSRCNNGeometry(arch: arch, scale: 2, lrPatch: 20)
        var settings = PatchSettings(size: 20, stride: 5, flips: true, downscales: [0.8])
        var clean = PatchSet(fsrcnn: g, flips: true)
        clean.addLowResolution(hrLuma: BenchmarkProtocol.hrLuma(img), geometry: g, settings: settings)
        settings.degradation = Degradation(jpeg: 40...60, noise: 1...2, clean: 0)
        func build(seed: UInt64, _ s: PatchSettings) throws -> PatchSet {
            var set = PatchSet(fsrcnn: g, flips: true)
            try set.addDegraded(planes: img, scale: 2, settings: s, geometry: g, image: 0, seed: seed, codec: codec)
            return set
        }
        let a = try build(seed: 1, settings), b = try build(seed: 1, settings), c = try build(seed: 2, settings)
        XCTAssertEqual(a.inputs, b.inputs)
        XCTAssertNotEqual(a.inputs, c.inputs)
        XCTAssertEqual(a.count, clean.count)
        XCTAssertEqual(a.labels, clean.labels, "the labels must stay the clean HR")
        XCTAssertNotEqual(a.inputs, clean.inputs)
        // The degradation is mild: the JPEG LR stays near the clean LR, but not on it.
        let diff = zip(a.inputs, clean.inputs).map { abs($0 - $1) }
        let mean = diff.reduce(0, +) / Float(diff.count)
        XCTAssert(mean > 0.002 && mean < 0.05, "mean |degraded - clean| = \(mean)")
        // All copies clean but a sliver: the same as the clean set.
        settings.degradation!.clean = 0.999_999
        XCTAssertEqual(try build(seed: 1, settings).inputs, clean.inputs)
        // Copies multiply the patches; SRCNN sets (flips stored) degrade each flip on its own.
        settings.degradation = Degradation(jpeg: 50...50, copies: 2)
        XCTAssertEqual(try build(seed: 1, settings).count, 2 * clean.count)
        var srcnn = PatchSet(size: 17, border: 4), srcnnClean = PatchSet(size: 17, border: 4)
        let ss = PatchSettings(size: 17, stride: 9, flips: true, degradation: Degradation(jpeg: 50...50))
        try srcnn.addDegraded(planes: img, scale: 3, settings: ss, geometry: nil, image: 0, seed: 1, codec: codec)
        srcnnClean.add(hrLuma: BenchmarkProtocol.hrLuma(img), scale: 3, settings: PatchSettings(size: 17, stride: 9, flips: true))
        XCTAssertEqual(srcnn.count, srcnnClean.count)
        XCTAssertEqual(srcnn.labels, srcnnClean.labels)
        XCTAssertNotEqual(srcnn.inputs, srcnnClean.inputs)
    }

    /// A photo run's validation image: JPEG LR to pick epochs, and the clean pair of a clean run beside it.
    func testPhotoValidationKeepsTheCleanPair() throws {
        let img = photo(), d = Degradation(jpeg: 40...80, noise: nil, clean: 0.3)
        let v = try ValidationImage(name: "p", planes: img, scale: 3, degradation: d, codec: codec)
        let c = ValidationImage(name: "c", hrLuma: BenchmarkProtocol.hrLuma(img), scale: 3)
        XCTAssertNil(c.clean)
        let pair = try XCTUnwrap(v.clean)
        XCTAssertEqual(pair.lr.data, c.lr.data)
        XCTAssertEqual(pair.bicubic.data, c.bicubic.data)
        XCTAssertNotEqual(v.lr.data, c.lr.data)
    }

    func testBadSettingsAreRefusedAndTheCheckpointNamesAChange() throws {
        for d in [Degradation(jpeg: 0...50), Degradation(noise: 0...99), Degradation(), Degradation(jpeg: 50...60, clean: 1),
                  Degradation(jpeg: 50...60, copies: 0)] {
            XCTAssertThrowsError(try d.validate(), "\(d)")
        }
        let a = try TrainConfig.preset("fsrcnn"); var b = a
        b.patches.degradation = Degradation(jpeg: 30...95, clean: 0.25)
        XCTAssertNoThrow(try b.validate())
        XCTAssertEqual(b.mismatchDescription(a)?.hasPrefix("degradation"), true)
        XCTAssertNil(b.mismatchDescription(b))
        // Old checkpoints (no degradation key) still decode, as clean runs.
        var json = String(decoding: try JSONEncoder().encode(a.patches), as: UTF8.self)
        XCTAssertFalse(json.contains("degradation"))
        let back = try JSONDecoder().decode(PatchSettings.self, from: Data(json.utf8))
        XCTAssertNil(back.degradation)
        json = String(decoding: try JSONEncoder().encode(b.patches), as: UTF8.self)
        XCTAssertEqual(try JSONDecoder().decode(PatchSettings.self, from: Data(json.utf8)), b.patches)
    }
}
