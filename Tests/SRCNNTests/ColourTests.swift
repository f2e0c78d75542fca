// MATLAB rgb2ycbcr / ycbcr2rgb compatibility of Colour, against srref.py fixtures.
import XCTest
@testable import SRCNN

final class ColourTests: XCTestCase {
    func testRGBToYCbCrMatchesMATLAB() throws {
        let c = try ResizeFixtures.load().colour
        let (y, cb, cr) = Colour.rgbToYCbCr(c.plane(c.r), c.plane(c.g), c.plane(c.b))
        XCTAssertLessThanOrEqual(maxDiff(y, c.plane(c.y), "Y"), 1e-6)
        XCTAssertLessThanOrEqual(maxDiff(cb, c.plane(c.cb), "Cb"), 1e-6)
        XCTAssertLessThanOrEqual(maxDiff(cr, c.plane(c.cr), "Cr"), 1e-6)
    }

    func testYCbCrToRGBMatchesMATLAB() throws {
        let c = try ResizeFixtures.load().colour
        let (r, g, b) = Colour.yCbCrToRGB(c.plane(c.y), c.plane(c.cb), c.plane(c.cr))
        XCTAssertLessThanOrEqual(maxDiff(r, c.plane(c.r2), "R"), 1e-6)
        XCTAssertLessThanOrEqual(maxDiff(g, c.plane(c.g2), "G"), 1e-6)
        XCTAssertLessThanOrEqual(maxDiff(b, c.plane(c.b2), "B"), 1e-6)
    }

    func testKnownValues() {
        let one = { (v: Float) in Plane(width: 1, height: 1, data: [v]) }
        let black = Colour.rgbToYCbCr(one(0), one(0), one(0))
        XCTAssertEqual(black.y.data[0], 16.0 / 255, accuracy: 1e-7)
        XCTAssertEqual(black.cb.data[0], 128.0 / 255, accuracy: 1e-7)
        let white = Colour.rgbToYCbCr(one(1), one(1), one(1))
        XCTAssertEqual(white.y.data[0], 235.0 / 255, accuracy: 1e-6)
        XCTAssertEqual(white.cr.data[0], 128.0 / 255, accuracy: 1e-6)
    }

    func testRoundTripIsIdentity() {
        var seed: UInt64 = 99
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(seed >> 40) / Float(1 << 24)
        }
        let n = 64 * 48
        let r = Plane(width: 64, height: 48, data: (0..<n).map { _ in next() })
        let g = Plane(width: 64, height: 48, data: (0..<n).map { _ in next() })
        let b = Plane(width: 64, height: 48, data: (0..<n).map { _ in next() })
        let ycc = Colour.rgbToYCbCr(r, g, b)
        let back = Colour.yCbCrToRGB(ycc.y, ycc.cb, ycc.cr)
        XCTAssertLessThanOrEqual(back.r.maxAbsDifference(r), 1e-5)
        XCTAssertLessThanOrEqual(back.g.maxAbsDifference(g), 1e-5)
        XCTAssertLessThanOrEqual(back.b.maxAbsDifference(b), 1e-5)
        // Also the 8-bit round trip srref's selftest checks: exact after uint8 quantisation.
        let q = { (p: Plane) in p.map { quantize8($0) } }
        let r8 = q(r).map { $0 / 255 }, g8 = q(g).map { $0 / 255 }, b8 = q(b).map { $0 / 255 }
        let y8 = Colour.rgbToYCbCr(r8, g8, b8)
        let back8 = Colour.yCbCrToRGB(y8.y, y8.cb, y8.cr)
        XCTAssertEqual(q(back8.r), q(r8))
        XCTAssertEqual(q(back8.g), q(g8))
        XCTAssertEqual(q(back8.b), q(b8))
    }

    func testInverseMatrixIsExact() {
        for i in 0..<3 {
            for j in 0..<3 {
                let s = (0..<3).reduce(0.0) { $0 + Colour.matrix[i][$1] * Colour.inverse[$1][j] }
                XCTAssertEqual(s, i == j ? 1 : 0, accuracy: 1e-14)
            }
        }
    }

    /// uint8 luma, including every exact .5 tie, where MATLAB's imlincomb evaluation order decides.
    func testLumaUInt8MatchesMATLAB() throws {
        let l = try ResizeFixtures.load().luma
        XCTAssertGreaterThan(l.ties, 0)
        let p = { (v: [Int]) in Plane(width: v.count, height: 1, data: v.map { Float($0) / 255 }) }
        let y = Colour.lumaUInt8(p(l.r), p(l.g), p(l.b))
        var wrong: [String] = []
        for i in 0..<l.count where quantize8(y.data[i]) != Float(l.y[i]) {
            wrong.append("(\(l.r[i]),\(l.g[i]),\(l.b[i])): \(quantize8(y.data[i])) != \(l.y[i])")
        }
        XCTAssertEqual(wrong, [])
        XCTAssertEqual(y.data[l.count - 1 - l.ties], Float(41) / 255)   // pure blue -> 41, as in MATLAB's doc
    }
}

final class ColourInPlaceTests: XCTestCase {
    func testInPlaceMatchesCopying() {
        var rng = SplitMix64(seed: 5)
        func plane() -> Plane { Plane(width: 9, height: 4, data: (0..<36).map { _ in Float(rng.nextUniform()) }) }
        var (y, cb, cr) = (plane(), plane(), plane())
        let expected = Colour.yCbCrToRGB(y, cb, cr)
        Colour.yCbCrToRGBInPlace(&y, &cb, &cr)
        XCTAssertEqual(y, expected.r)
        XCTAssertEqual(cb, expected.g)
        XCTAssertEqual(cr, expected.b)
    }
}
