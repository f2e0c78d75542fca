// MATLAB imresize 'bicubic' compatibility of Resize, against srref.py fixtures and the reference version.
import XCTest
@testable import SRCNN

final class ResizeTests: XCTestCase {
    static let fixtures = Result { try ResizeFixtures.load() }

    func testFastMatchesMATLABReference() throws {
        let fx = try Self.fixtures.get()
        XCTAssertGreaterThan(fx.resize.count, 50)
        for c in fx.resize {
            let out = c.scale.map { s in Resize.bicubic(c.inputPlane, scale: s) }
                ?? Resize.bicubic(c.inputPlane, width: c.outWidth, height: c.outHeight)
            let d = maxDiff(out, c.outputPlane, c.name)
            XCTAssertLessThanOrEqual(d, 1e-6, c.name)
        }
    }

    func testReferenceMatchesMATLABReference() throws {
        for c in try Self.fixtures.get().resize {
            let out = c.scale.map { s in Resize.bicubicReference(c.inputPlane, scale: s) }
                ?? Resize.bicubicReference(c.inputPlane, width: c.outWidth, height: c.outHeight)
            XCTAssertLessThanOrEqual(maxDiff(out, c.outputPlane, c.name), 1e-6, c.name)
        }
    }

    /// Sizes large enough for the threaded path and many scales, fast vs reference.
    func testFastMatchesReferenceVersion() {
        var seed: UInt64 = 12345
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(seed >> 40) / Float(1 << 24)
        }
        let p = Plane(width: 203, height: 157, data: (0..<(203 * 157)).map { _ in next() })
        for s in [2.0, 3, 1.0 / 3, 0.37, 1.25] {
            let a = Resize.bicubic(p, scale: s), b = Resize.bicubicReference(p, scale: s)
            XCTAssertLessThanOrEqual(maxDiff(a, b, "scale \(s)"), 1e-6, "scale \(s)")
        }
        for (w, h) in [(406, 100), (90, 314), (203, 400), (500, 157), (61, 47)] {
            let a = Resize.bicubic(p, width: w, height: h)
            let b = Resize.bicubicReference(p, width: w, height: h)
            XCTAssertLessThanOrEqual(maxDiff(a, b, "\(w)x\(h)"), 1e-6, "\(w)x\(h)")
        }
    }

    func testOutputSizesFollowMATLAB() {
        let p = Plane(width: 7, height: 5, repeating: 0.25)
        let sizes: [(Double, Int, Int)] = [(2, 14, 10), (1.0 / 3, 3, 2), (0.7, 5, 4), (1.5, 11, 8), (1.0 / 4, 2, 2)]
        for (s, w, h) in sizes {
            let o = Resize.bicubic(p, scale: s)
            XCTAssertEqual([o.width, o.height], [w, h], "scale \(s)")
            XCTAssertLessThanOrEqual(o.data.map { abs($0 - 0.25) }.max()!, 1e-6)
        }
        XCTAssertEqual(Resize.outputSize(width: 30, height: 33, scale: 1.0 / 3).width, 10)
    }

    /// imresize with scale 1 (or to the same size) gives the input back: a single tap of weight 1.
    func testSameSizeIsIdentity() {
        let p = Plane(width: 9, height: 6, data: (0..<54).map { Float(($0 * 37) % 23) / 23 })
        XCTAssertEqual(Resize.bicubic(p, scale: 1), p)
        XCTAssertEqual(Resize.bicubic(p, width: 9, height: 6), p)
        XCTAssertEqual(Resize.bicubicReference(p, scale: 1), p)
        // Only one dimension unchanged: that dimension passes through untouched.
        XCTAssertEqual(Resize.bicubic(p, width: 18, height: 6), Resize.bicubicReference(p, width: 18, height: 6))
    }

    func testSingleRowAndColumn() {
        let row = Plane(width: 9, height: 1, data: (0..<9).map { Float($0) / 8 })
        let col = Plane(width: 1, height: 9, data: row.data)
        let r2 = Resize.bicubic(row, scale: 2), c2 = Resize.bicubic(col, scale: 2)
        XCTAssertEqual([r2.width, r2.height], [18, 2])
        XCTAssertEqual([c2.width, c2.height], [2, 18])
        // Height 1 mirrors onto itself, so both output rows equal the 1-D resize of the row.
        XCTAssertEqual(Array(r2.data[0..<18]), Array(r2.data[18..<36]))
        for y in 0..<18 { XCTAssertEqual(c2[0, y], r2[y, 0], accuracy: 1e-7) }
        let down = Resize.bicubic(row, width: 4, height: 1)
        XCTAssertEqual(down, Resize.bicubicReference(row, width: 4, height: 1))
    }

    func testOnePixelUpscalesToConstant() {
        let p = Plane(width: 1, height: 1, data: [0.625])
        for o in [Resize.bicubic(p, scale: 3), Resize.bicubic(p, width: 17, height: 5),
                  Resize.bicubic(p, scale: 2.5)] {
            XCTAssertGreaterThan(o.count, 1)
            for v in o.data { XCTAssertEqual(v, 0.625, accuracy: 1e-7) }
        }
    }

    func testEmptyTarget() {
        let p = Plane(width: 4, height: 4, repeating: 1)
        XCTAssertEqual(Resize.bicubic(p, width: 0, height: 3).count, 0)
    }
}
