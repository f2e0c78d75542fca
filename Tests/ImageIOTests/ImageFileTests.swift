// Round trips through real image files written by the tests themselves, plus error handling.
import Foundation
import SRCNN
import SRCNNImageIO
import XCTest

final class ImageFileTests: XCTestCase {
    var dir: String = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "srcnn-io-tests-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: helpers

    /// A plane whose samples are integers 0...maxValue (a deterministic pattern) divided by maxValue.
    func patternPlane(_ w: Int, _ h: Int, seed: Int, maxValue: Int) -> Plane {
        var p = Plane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let v = (x * 7919 + y * 104_729 + seed * 31_337) % (maxValue + 1)
                p[x, y] = Float(v) / Float(maxValue)
            }
        }
        return p
    }

    func assertPlanesEqual(_ a: [Plane], _ b: [Plane], tolerance: Float = 0,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "plane count", file: file, line: line)
        for (i, (p, q)) in zip(a, b).enumerated() {
            XCTAssertEqual(p.width, q.width, file: file, line: line)
            XCTAssertEqual(p.height, q.height, file: file, line: line)
            guard p.width == q.width, p.height == q.height else { continue }
            let d = p.maxAbsDifference(q)
            XCTAssertLessThanOrEqual(d, tolerance, "plane \(i) differs by \(d)", file: file, line: line)
        }
    }

    func assertIOError(_ body: () throws -> Void, contains path: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected SRCNNError.io mentioning \(path)", file: file, line: line)
        } catch let SRCNNError.io(message) {
            XCTAssertTrue(message.contains(path), "message '\(message)' lacks the path", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "message should be one line", file: file, line: line)
        } catch {
            XCTFail("expected SRCNNError.io, got \(error)", file: file, line: line)
        }
    }

    func leftoverTempFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
    }

    // MARK: round trips

    func testRGBU8PNGExactAcrossStrips() throws {
        // 300 rows: more than two 128-row strips.
        let (w, h) = (37, 300)
        let planes = (0..<3).map { patternPlane(w, h, seed: $0, maxValue: 255) }
        let path = dir + "/rgb8.png"
        try ImageFile.save(RasterImage(width: w, height: h, planes: planes, depth: .u8), to: path)
        let back = try ImageFile.load(path)
        XCTAssertEqual(back.width, w)
        XCTAssertEqual(back.height, h)
        XCTAssertEqual(back.depth, .u8)
        XCTAssertFalse(back.hasAlpha)
        XCTAssertFalse(back.isGray)
        assertPlanesEqual(back.planes, planes)
        XCTAssertEqual(leftoverTempFiles(), [])
    }

    func testRGBAU16PNGExact() throws {
        let (w, h) = (23, 17)
        let planes = (0..<4).map { patternPlane(w, h, seed: $0 + 5, maxValue: 65535) }
        let path = dir + "/rgba16.png"
        try ImageFile.save(RasterImage(width: w, height: h, planes: planes, depth: .u16), to: path)
        let back = try ImageFile.load(path)
        XCTAssertEqual(back.depth, .u16)
        XCTAssertTrue(back.hasAlpha)
        XCTAssertEqual(back.planes.count, 4)
        assertPlanesEqual(back.planes, planes)
    }

    func testGrayU8PNG() throws {
        let p = patternPlane(19, 11, seed: 3, maxValue: 255)
        let path = dir + "/gray.png"
        try ImageFile.save(RasterImage(width: 19, height: 11, planes: [p], depth: .u8), to: path)
        let back = try ImageFile.load(path)
        XCTAssertEqual(back.planes.count, 1)
        XCTAssertTrue(back.isGray)
        XCTAssertFalse(back.hasAlpha)
        XCTAssertEqual(back.depth, .u8)
        assertPlanesEqual(back.planes, [p])
    }

    func testGrayAlphaPNG() throws {
        let planes = [patternPlane(13, 9, seed: 1, maxValue: 255), patternPlane(13, 9, seed: 2, maxValue: 255)]
        let path = dir + "/graya.png"
        try ImageFile.save(RasterImage(width: 13, height: 9, planes: planes, depth: .u8), to: path)
        let back = try ImageFile.load(path)
        XCTAssertEqual(back.planes.count, 2)
        XCTAssertTrue(back.isGray)
        XCTAssertTrue(back.hasAlpha)
        assertPlanesEqual(back.planes, planes)
    }

    func testFloatTIFFPreservesValues() throws {
        let (w, h) = (21, 140)
        var planes = (0..<3).map { _ in Plane(width: w, height: h) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for c in 0..<3 {
            for i in 0..<(w * h) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                planes[c].data[i] = Float(state >> 40) / Float(1 << 24)
            }
        }
        let path = dir + "/float.tif"
        try ImageFile.save(RasterImage(width: w, height: h, planes: planes, depth: .float), to: path)
        let back = try ImageFile.load(path)
        XCTAssertEqual(back.depth, .float)
        XCTAssertEqual(back.planes.count, 3)
        assertPlanesEqual(back.planes, planes, tolerance: 1e-6)
    }

    func testU16TIFFAndFloatPNGBecomes16Bit() throws {
        let planes = (0..<3).map { patternPlane(10, 10, seed: $0, maxValue: 65535) }
        let tif = dir + "/u16.tiff"
        try ImageFile.save(RasterImage(width: 10, height: 10, planes: planes, depth: .u16), to: tif)
        let t = try ImageFile.load(tif)
        XCTAssertEqual(t.depth, .u16)
        assertPlanesEqual(t.planes, planes)

        let png = dir + "/float.png"
        try ImageFile.save(RasterImage(width: 10, height: 10, planes: planes, depth: .float), to: png)
        let p = try ImageFile.load(png)
        XCTAssertEqual(p.depth, .u16)
        assertPlanesEqual(p.planes, planes)
    }

    func testJPEGLoadsWithRightSizeAndDropsAlpha() throws {
        let (w, h) = (45, 29)
        let planes = (0..<4).map { patternPlane(w, h, seed: $0, maxValue: 255) }
        let path = dir + "/photo.jpg"
        try ImageFile.save(RasterImage(width: w, height: h, planes: planes, depth: .u8), to: path)
        let back = try ImageFile.load(path)
        XCTAssertEqual(back.width, w)
        XCTAssertEqual(back.height, h)
        XCTAssertEqual(back.planes.count, 3)
        XCTAssertEqual(back.depth, .u8)

        // A smooth image survives quality 95 closely.
        var smooth = Plane(width: 64, height: 48)
        for y in 0..<48 { for x in 0..<64 { smooth[x, y] = Float(x + y) / 110 } }
        let path2 = dir + "/smooth.jpeg"
        try ImageFile.save(RasterImage(width: 64, height: 48, planes: [smooth, smooth, smooth], depth: .u8), to: path2)
        let back2 = try ImageFile.load(path2)
        XCTAssertLessThan(back2.planes[1].maxAbsDifference(smooth), 0.03)
    }

    /// A 24-bit bottom-up BMP built byte by byte (54-byte header, rows padded to 4 bytes).
    func testBMPLoadsExactly() throws {
        let (w, h) = (5, 3)
        func rgb(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
            (UInt8(40 * x + y), UInt8(200 - 13 * y), UInt8((x * 50 + y * 70) % 256))
        }
        let rowSize = (w * 3 + 3) / 4 * 4
        var bytes = [UInt8]()
        func le32(_ v: Int) { for i in 0..<4 { bytes.append(UInt8((v >> (8 * i)) & 0xFF)) } }
        func le16(_ v: Int) { for i in 0..<2 { bytes.append(UInt8((v >> (8 * i)) & 0xFF)) } }
        bytes += [0x42, 0x4D]; le32(54 + rowSize * h); le16(0); le16(0); le32(54)
        le32(40); le32(w); le32(h); le16(1); le16(24); le32(0); le32(rowSize * h); le32(2835); le32(2835); le32(0); le32(0)
        for y in stride(from: h - 1, through: 0, by: -1) {
            var row = [UInt8]()
            for x in 0..<w { let (r, g, b) = rgb(x, y); row += [b, g, r] }
            row += [UInt8](repeating: 0, count: rowSize - row.count)
            bytes += row
        }
        XCTAssertEqual(bytes.count, 54 + rowSize * h)
        let path = dir + "/tiny.bmp"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let img = try ImageFile.load(path)
        XCTAssertEqual(img.width, w)
        XCTAssertEqual(img.height, h)
        XCTAssertEqual(img.planes.count, 3)
        XCTAssertEqual(img.depth, .u8)
        for y in 0..<h {
            for x in 0..<w {
                let (r, g, b) = rgb(x, y)
                XCTAssertEqual(img.planes[0][x, y], Float(r) / 255)
                XCTAssertEqual(img.planes[1][x, y], Float(g) / 255)
                XCTAssertEqual(img.planes[2][x, y], Float(b) / 255)
            }
        }
    }

    // MARK: errors

    func testMissingFile() {
        let path = dir + "/does-not-exist.png"
        assertIOError({ _ = try ImageFile.load(path) }, contains: path)
    }

    func testTextFileNamedPNG() throws {
        let path = dir + "/x.png"
        try "this is not an image\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertIOError({ _ = try ImageFile.load(path) }, contains: path)
    }

    func testEmptyFile() throws {
        let path = dir + "/empty.png"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        assertIOError({ _ = try ImageFile.load(path) }, contains: path)
    }

    func testTruncatedPNG() throws {
        let full = dir + "/full.png"
        let planes = (0..<3).map { patternPlane(64, 64, seed: $0, maxValue: 255) }
        try ImageFile.save(RasterImage(width: 64, height: 64, planes: planes, depth: .u8), to: full)
        let data = try Data(contentsOf: URL(fileURLWithPath: full))
        XCTAssertGreaterThan(data.count, 100)
        let path = dir + "/truncated.png"
        try data.prefix(100).write(to: URL(fileURLWithPath: path))
        assertIOError({ _ = try ImageFile.load(path) }, contains: path)
    }

    func testTruncatedAndCorruptJPEGThrowInsteadOfExiting() throws {
        var p = Plane(width: 96, height: 64)
        for y in 0..<64 { for x in 0..<96 { p[x, y] = Float((x * 13 + y * 7) % 256) / 255 } }
        let full = dir + "/full.jpg"
        try ImageFile.save(RasterImage(width: 96, height: 64, planes: [p, p.map { 1 - $0 }, p], depth: .u8), to: full)
        var data = try Data(contentsOf: URL(fileURLWithPath: full))
        let truncated = dir + "/truncated.jpg"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: truncated))
        assertIOError({ _ = try ImageFile.load(truncated) }, contains: truncated)
        // A second SOF marker in the middle: GEGL's jpg-load would let libjpeg call exit().
        let mid = data.count / 2
        for i in 0..<40 { data[mid + 2 * i] = 0xFF; data[mid + 2 * i + 1] = 0xC0 }
        let corrupt = dir + "/corrupt.jpg"
        try data.write(to: URL(fileURLWithPath: corrupt))
        do { _ = try ImageFile.load(corrupt) } catch SRCNNError.io(let m) { XCTAssertTrue(m.contains(corrupt)) }
    }

    func testUnsupportedOutputExtensionLeavesTargetUntouched() throws {
        let path = dir + "/out.bmp"
        try "ORIGINAL".write(toFile: path, atomically: true, encoding: .utf8)
        let img = RasterImage(width: 4, height: 4, planes: [Plane(width: 4, height: 4, repeating: 0.5)], depth: .u8)
        assertIOError({ try ImageFile.save(img, to: path) }, contains: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "ORIGINAL")
        let noExt = dir + "/noextension"
        assertIOError({ try ImageFile.save(img, to: noExt) }, contains: noExt)
        XCTAssertEqual(leftoverTempFiles(), [])
    }

    func testAtomicSaveFailureLeavesTargetAndNoTempFiles() throws {
        let img = RasterImage(width: 4, height: 4, planes: (0..<3).map { _ in Plane(width: 4, height: 4, repeating: 0.25) },
                              depth: .u8)
        // The target is a non-empty directory: the image is written to the temp file, the rename fails.
        let target = dir + "/target.png"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try "keep".write(toFile: target + "/inside.txt", atomically: true, encoding: .utf8)
        assertIOError({ try ImageFile.save(img, to: target) }, contains: target)
        XCTAssertEqual(try String(contentsOfFile: target + "/inside.txt", encoding: .utf8), "keep")
        XCTAssertEqual(leftoverTempFiles(), [])

        // Missing directory.
        let missing = dir + "/no/such/dir/out.png"
        assertIOError({ try ImageFile.save(img, to: missing) }, contains: missing)

        // A plane of the wrong size.
        let existing = dir + "/existing.png"
        try ImageFile.save(img, to: existing)
        let before = try Data(contentsOf: URL(fileURLWithPath: existing))
        var bad = img
        bad.planes[1] = Plane(width: 3, height: 4)
        assertIOError({ try ImageFile.save(bad, to: existing) }, contains: existing)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: existing)), before)

        // A successful save replaces an existing file and leaves nothing behind.
        let brighter = RasterImage(width: 4, height: 4,
                                   planes: (0..<3).map { _ in Plane(width: 4, height: 4, repeating: 1) }, depth: .u8)
        try ImageFile.save(brighter, to: existing)
        XCTAssertEqual(try ImageFile.load(existing).planes[0][2, 2], 1)
        XCTAssertEqual(leftoverTempFiles(), [])
    }

    func testManyLoadsAndSaves() throws {
        // The CLI may handle hundreds of files; this exercises create/free repeatedly.
        let planes = (0..<3).map { patternPlane(32, 32, seed: $0, maxValue: 255) }
        let path = dir + "/loop.png"
        for _ in 0..<50 {
            try ImageFile.save(RasterImage(width: 32, height: 32, planes: planes, depth: .u8), to: path)
            _ = try ImageFile.load(path)
        }
    }

    // MARK: shared benchmark data

    func testSet5BabyIfPresent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let set5 = root.appendingPathComponent("../shared/data/Set5").standardized.path
        let path = set5 + "/baby_GT.png"
        guard FileManager.default.fileExists(atPath: path) else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("Set5 not found at \(set5) (CI is set, so this is an error)")
            } else {
                print("SKIP: testSet5BabyIfPresent: \(path) not found")
            }
            return
        }
        let img = try ImageFile.load(path)
        XCTAssertEqual(img.width, 512)
        XCTAssertEqual(img.height, 512)
        XCTAssertEqual(img.planes.count, 3)
        XCTAssertEqual(img.depth, .u8)
    }
}
