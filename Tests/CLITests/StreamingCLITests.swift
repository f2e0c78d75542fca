// `srcnn upscale` as a streaming tool: metadata kept, EXIF orientation applied, a full disk loses nothing,
// memory does not grow with the image, one size rule.
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import TestSupport
import XCTest

final class StreamingCLITests: XCTestCase {
    var dir: URL!
    var weights: String!

    override func setUpWithError() throws {
        dir = try makeTempDir()
        // Identity (centre tap of channel 0) plus 5 % random weights: outputs follow the input (a plain random
        // network clamps nearly everything to black), so pixels, orientation and file sizes mean something.
        var net = Network.random(kernels: [5, 3, 3], filters: [8, 4], seed: 42)
        let noise = Network.random(kernels: [5, 3, 3], filters: [8, 4], seed: 43)
        for l in net.layers.indices {
            let k = net.layers[l].kernel, perOut = net.layers[l].inChannels * k * k
            for i in 0..<perOut {
                net.layers[l].weights[i] = (i == (k / 2) * k + k / 2 ? 1 : 0) + 0.05 * noise.layers[l].weights[i]
            }
            net.layers[l].bias[0] = 0
        }
        net.metadata = ["scale": "2", "architecture": "test 5-3-3"]
        weights = dir.appendingPathComponent("tiny.safetensors").path
        try net.write(to: weights)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// `w` x `h` RGB(A): dark, with the top-left quarter bright (to see where it ends up).
    func marked(_ w: Int, _ h: Int, channels: Int = 3, depth: SampleDepth = .u8) -> RasterImage {
        let planes = (0..<channels).map { c in
            Plane(width: w, height: h, data: (0..<(w * h)).map { i in
                let x = i % w, y = i / w
                if c == 3 { return 0.25 + 0.5 * Float(x) / Float(w) }
                return x < w / 2 && y < h / 2 ? 0.9 : 0.1 + 0.05 * Float(c)
            })
        }
        return RasterImage(width: w, height: h, planes: planes, depth: depth)
    }

    /// A program from the test packages (install.sh), or nil with a SKIP line (a failure in CI).
    func tool(_ name: String) -> String? {
        for d in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(d)/\(name)") {
            return "\(d)/\(name)"
        }
        if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("\(name) missing (install.sh installs it)") }
        print("SKIP: \(name) not installed (./install.sh --deps-only)")
        return nil
    }

    func exif(_ exiftool: String, _ args: [String]) throws -> String {
        let r = try runCapturing(exiftool, args, environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func testICCProfileEXIFAndOrientationSurvive() throws {
        guard let exiftool = tool("exiftool") else { return }
        let icc = "/usr/share/color/icc/ghostscript/a98.icc"   // Adobe RGB (1998), from libgs-common
        guard FileManager.default.fileExists(atPath: icc) else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("\(icc) missing (install.sh installs it)") }
            return print("SKIP: \(icc) missing (./install.sh --deps-only)")
        }
        // A 40x24 JPEG stored sideways: orientation 6 (display rotated 90° clockwise), 300 dpi, an Artist tag.
        try ImageFile.save(marked(40, 24), to: path("in.jpg"))
        _ = try exif(exiftool, ["-q", "-overwrite_original", "-icc_profile<=\(icc)", "-Orientation=6", "-n",
                                "-Artist=SRCNN test", "-XResolution=300", "-YResolution=300", "-ResolutionUnit=2",
                                path("in.jpg")])
        for out in ["out.jpg", "out.png", "out.tif"] {
            let r = try runSRCNN(["upscale", path("in.jpg"), path(out), "--scale", "2", "--weights", weights, "-q"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let img = try ImageFile.load(path(out))
            // Upright: 24x40 -> 48x80; the stored top-left quarter is now the top-right one.
            XCTAssertEqual([img.width, img.height], [48, 80], out)
            let y = img.planes[0]
            XCTAssertGreaterThan(y[40, 8], 0.7, "\(out): top right bright")
            XCTAssertLessThan(y[8, 8], 0.4, "\(out): top left dark")
            XCTAssertLessThan(y[40, 70], 0.4, "\(out): bottom right dark")
            // The profile byte for byte; the resolution scaled with the image (same print size).
            XCTAssertEqual(try profileBytes(exiftool, path(out)), try Data(contentsOf: URL(fileURLWithPath: icc)),
                           "\(out): ICC profile")
            let tags = try exif(exiftool, ["-s", "-s", "-s", "-n", "-XResolution", "-Orientation", "-Artist", path(out)])
            let lines = tags.split(separator: "\n").map(String.init)
            XCTAssertEqual(Double(lines.first ?? "") ?? 0, 600, accuracy: 0.5, "\(out): resolution \(tags)")
            if out != "out.tif" {   // libvips' TIFF saver writes no EXIF block
                XCTAssertTrue(lines.contains("SRCNN test"), "\(out): EXIF Artist kept: \(tags)")
                XCTAssertFalse(lines.contains("6"), "\(out): orientation reset: \(tags)")
            }
        }
    }

    func profileBytes(_ exiftool: String, _ file: String) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exiftool)
        p.arguments = ["-b", "-icc_profile", file]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let d = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return d
    }

    func testSixteenBitRGBATIFFKeepsDepthAndAlpha() throws {
        try ImageFile.save(marked(30, 20, channels: 4, depth: .u16), to: path("in16.tif"))
        let r = try runSRCNN(["upscale", path("in16.tif"), path("out16.tif"), "--scale", "3", "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try ImageFile.load(path("out16.tif"))
        XCTAssertEqual([out.width, out.height, out.planes.count], [90, 60, 4])
        XCTAssertEqual(out.depth, .u16)
        // Alpha is bicubic of the input's alpha, so it keeps 16-bit steps (not multiples of 1/255).
        let steps = Set(out.planes[3].data.map { Int(($0 * 65535).rounded()) % 257 })
        XCTAssertGreaterThan(steps.count, 1, "alpha kept at 16 bits")
        XCTAssertEqual(try tiffTag(259, in: path("out16.tif")), 5, "LZW compression")
        XCTAssertEqual(try tiffTag(317, in: path("out16.tif")), 2, "horizontal predictor")
    }

    /// A SHORT or LONG tag's value from the first IFD of a little- or big-endian classic TIFF, nil when absent.
    func tiffTag(_ tag: Int, in file: String) throws -> Int? {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let le = b[0] == 0x49
        func u(_ at: Int, _ n: Int) -> Int {
            (0..<n).reduce(0) { v, i in v | Int(b[at + i]) << (8 * (le ? i : n - 1 - i)) }
        }
        XCTAssertEqual(u(2, 2), 42, "a classic TIFF")
        let ifd = u(4, 4)
        for e in 0..<u(ifd, 2) {
            let at = ifd + 2 + 12 * e
            if u(at, 2) == tag { return u(at + 2, 2) == 3 ? u(at + 8, 2) : u(at + 8, 4) }
        }
        return nil
    }

    /// A full disk: every format fails with one line naming the problem, an existing output stays byte for
    /// byte, no temporary file is left, the input is untouched.
    func testFullDiskLosesNothing() throws {
        let mnt = path("small")
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let mount = try runCapturing("/bin/mount", ["-t", "tmpfs", "-o", "size=96k", "tmpfs", mnt],
                                     environment: ProcessInfo.processInfo.environment)
        guard mount.status == 0 else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("cannot mount a tmpfs: \(mount.stderr)") }
            print("SKIP: cannot mount a tmpfs here (needs root): \(mount.stderr)")
            return
        }
        defer { _ = try? runCapturing("/bin/umount", [mnt], environment: [:]) }
        var rng = SplitMix64(seed: 5)   // noise: the output does not compress into the 96 KiB
        let noise = (0..<3).map { _ in Plane(width: 300, height: 200, data: (0..<60_000).map { _ in
            Float(rng.nextUniform()) }) }
        try ImageFile.save(RasterImage(width: 300, height: 200, planes: noise, depth: .u8), to: path("in.png"))
        let input = try Data(contentsOf: URL(fileURLWithPath: path("in.png")))
        for ext in ["png", "jpg", "tif", "webp"] {
            let target = mnt + "/out.\(ext)"
            try ImageFile.save(marked(8, 8), to: target)   // an existing good file, small enough to fit
            let before = try Data(contentsOf: URL(fileURLWithPath: target))
            let r = try runSRCNN(["upscale", path("in.png"), target, "--scale", "2", "--weights", weights, "-q"])
            XCTAssertNotEqual(r.status, 0, "\(ext): must fail on a full disk")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(ext): one line: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("No space left on device"), "\(ext): \(r.stderr)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), before, "\(ext): old output kept")
            let left = try FileManager.default.contentsOfDirectory(atPath: mnt).sorted()
            XCTAssertEqual(left, ["out.\(ext)"], "\(ext): no temporary left")
            try FileManager.default.removeItem(atPath: target)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("in.png"))), input, "input untouched")
    }

    /// Peak memory of `srcnn upscale` must not follow the image size: two inputs 4x apart in pixels, both large
    /// enough that a band holds its full count of default tiles (16 per thread), so only the image size differs.
    func testPeakMemoryDoesNotGrowWithImageSize() throws {
        guard let time = tool("time") else { return }
        var peaks: [Int] = []
        for (w, h) in [(600, 450), (1200, 900)] {
            try ImageFile.save(marked(w, h), to: path("m\(w).png"))
            let r = try runCapturing(time, ["-f", "peak %M", Paths.binary.path, "upscale", path("m\(w).png"),
                                            path("m\(w)-x2.png"), "--scale", "2", "--weights", weights, "-q"],
                                     environment: ProcessInfo.processInfo.environment)
            XCTAssertEqual(r.status, 0, r.stderr)
            let kb = r.stderr.split(separator: "\n").compactMap { $0.hasPrefix("peak ") ? Int($0.dropFirst(5)) : nil }
            peaks.append(kb.first ?? 0)
        }
        // Whole planes would add ~24 bytes per output pixel: 3.24 M more output pixels = ~78 MB.
        print("peak RSS: \(peaks[0] / 1024) MB (600x450 x2), \(peaks[1] / 1024) MB (1200x900 x2)")
        XCTAssertGreaterThan(peaks[0], 0)
        // Measured growth 7–13 MB with 128-pixel tiles (the output rows libvips buffers, and malloc's arenas).
        XCTAssertLessThan(peaks[1] - peaks[0], 20 * 1024, "peak grew from \(peaks[0]) to \(peaks[1]) KB")
    }

    /// One size rule: nearest pixel, as GIMP (and the plug-in, which uses the same SizeRule).
    func testSizeRuleRoundsToNearest() throws {
        try ImageFile.save(marked(100, 7), to: path("odd.png"))
        let r = try runSRCNN(["upscale", path("odd.png"), path("odd-x.png"), "--scale", "1.3333", "--weights", weights, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try ImageFile.load(path("odd-x.png"))
        XCTAssertEqual([out.width, out.height], [133, 9])
        XCTAssertEqual([SizeRule.side(100, scale: 1.3333), SizeRule.side(7, scale: 1.3333), SizeRule.side(3, scale: 1.5),
                        SizeRule.side(1, scale: 1.2)], [133, 9, 5, 1])
    }

    func testNegativeScaleNamesTheValue() throws {
        try ImageFile.save(marked(10, 10), to: path("s.png"))
        let r = try runSRCNN(["upscale", path("s.png"), path("s2.png"), "--scale", "-2", "--weights", weights])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("-2"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Missing value"), r.stderr)
    }

    func testHugeHeaderRefusedFast() throws {
        // A PNG whose header claims 100000 x 100000 RGB (10,000 Mpx) over a few bytes of data.
        try pngBomb(100_000, 100_000, colourType: 2).write(to: URL(fileURLWithPath: path("bomb.png")))
        let t0 = Date()
        let r = try runSRCNN(["upscale", path("bomb.png"), path("bomb-x2.png"), "--weights", weights])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("100000x100000"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bomb-x2.png")))
    }
}

/// The host applies SRCNN_KERNELS (the engine reads no environment); an unknown name is a one-line warning.
final class KernelChoiceCLITests: XCTestCase {
    func testSRCNNKernelsComesThroughTheHost() throws {
        let forced = try runSRCNN(["bench", "--sizes", "64", "--arch", "9-1-5", "--repeats", "1", "-q"],
                                  env: ["SRCNN_KERNELS": "openblas"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(forced.stdout.contains("kernels: openblas"), forced.stdout)
        let bogus = try runSRCNN(["bench", "--sizes", "64", "--arch", "9-1-5", "--repeats", "1", "-q"],
                                 env: ["SRCNN_KERNELS": "bogus"])
        XCTAssertEqual(bogus.status, 0, bogus.stderr)
        XCTAssertTrue(bogus.stderr.contains("SRCNN_KERNELS=bogus is not a kernel family"), bogus.stderr)
        let auto = CPUFeatures.hasAVX512 ? "avx512" : "openblas"
        XCTAssertTrue(bogus.stdout.contains("kernels: \(auto)"), bogus.stdout)
    }
}

/// Damaged, unsupported and oversized inputs are one-line errors, never an image with grey or black bands;
/// a killed run's temporary file is cleaned by the next run.
final class BadInputCLITests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func vips(_ args: [String]) throws -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/vips") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("vips missing (install.sh installs it)") }
            print("SKIP: the vips command is not installed (./install.sh --deps-only)")
            return false
        }
        let r = try runCapturing("/usr/bin/vips", args, environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.status == 0
    }

    func testDamagedInputsAreErrors() throws {
        var rng = SplitMix64(seed: 1)
        let planes = (0..<3).map { _ in Plane(width: 96, height: 64, data: (0..<(96 * 64)).map { _ in Float(rng.nextUniform()) }) }
        try ImageFile.save(RasterImage(width: 96, height: 64, planes: planes, depth: .u8), to: path("in.png"))
        guard try vips(["copy", path("in.png"), path("in.bmp")]), try vips(["copy", path("in.png"), path("in.gif")]) else { return }
        try ImageFile.save(RasterImage(width: 96, height: 64, planes: planes, depth: .u8), to: path("in.jpg"))
        try ImageFile.save(RasterImage(width: 96, height: 64, planes: planes, depth: .u8), to: path("in.webp"))
        var cases: [(String, Data)] = []
        for ext in ["bmp", "gif", "jpg", "webp", "png"] {
            let d = try Data(contentsOf: URL(fileURLWithPath: path("in.\(ext)")))
            cases.append(("half.\(ext)", d.prefix(d.count / 2)))
        }
        let bmp = try Data(contentsOf: URL(fileURLWithPath: path("in.bmp")))
        cases.append(("first100.bmp", bmp.prefix(100)))
        let jpg = try Data(contentsOf: URL(fileURLWithPath: path("in.jpg")))
        cases.append(("half-eoi.jpg", jpg.prefix(jpg.count / 2) + Data([0xFF, 0xD9])))   // libjpeg: only a warning
        for (name, bytes) in cases {
            try bytes.write(to: URL(fileURLWithPath: path(name)))
            let r = try runSRCNN(["upscale", path(name), path("out-\(name).png"), "--weights", try weights()])
            XCTAssertEqual(r.status, 1, "\(name) must be refused: \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(path(name)), "\(name): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("out-\(name).png")), name)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [])
    }

    func weights() throws -> String {
        let p = path("w.safetensors")
        if !FileManager.default.fileExists(atPath: p) { try Network.random(kernels: [3, 1, 3], filters: [4, 2], seed: 1).write(to: p) }
        return p
    }

    func testCMYKIsRefused() throws {
        try ImageFile.save(RasterImage(width: 8, height: 8, planes: (0..<3).map { _ in Plane(width: 8, height: 8, repeating: 0.4) },
                                       depth: .u8), to: path("rgb.tif"))
        guard try vips(["icc_export", path("rgb.tif"), path("cmyk.tif"), "--output-profile",
                        "/usr/share/color/icc/ghostscript/default_cmyk.icc"]) else { return }
        let r = try runSRCNN(["upscale", path("cmyk.tif"), path("cmyk-x2.tif"), "--weights", try weights()])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("CMYK images are not supported"), r.stderr)
    }

    func testBombsAreRefusedFastWithOneLine() throws {
        guard let time = ["/usr/bin/time"].first(where: FileManager.default.isExecutableFile(atPath:)) else { return }
        try pngBomb(20000, 20000).write(to: URL(fileURLWithPath: path("bomb.png")))
        try ImageFile.save(RasterImage(width: 4, height: 4, planes: [Plane(width: 4, height: 4, repeating: 0.5)], depth: .u8),
                           to: path("small.png"))
        // 105 bytes of SVG declaring 100000 x 100000 (librsvg would render it at that size).
        try Data(#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="1" height="1"/></svg>"#
            .utf8).write(to: URL(fileURLWithPath: path("bomb.svg")))
        for args in [["upscale", path("bomb.png"), path("b-x2.png")], ["upscale", path("bomb.svg"), path("s-x2.png")],
                     ["upscale", path("small.png"), path("s.png"), "--width", "65536", "--height", "65536"]] {
            let t0 = Date()
            let r = try runCapturing(time, ["-f", "peak %M", Paths.binary.path] + args + ["--weights", try weights()],
                                     environment: ProcessInfo.processInfo.environment)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertLessThan(Date().timeIntervalSince(t0), 1.5, "\(args)")
            XCTAssertEqual(lines.filter { $0.hasPrefix("srcnn:") }.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("too large") || r.stderr.contains("above the limit"), r.stderr)
            let kb = lines.compactMap { $0.hasPrefix("peak ") ? Int($0.dropFirst(5)) : nil }.first ?? 0
            XCTAssertLessThan(kb, 100 * 1024, "peak \(kb) KB")
        }
    }

    /// `kill -9` in the middle of a run leaves only its hidden temporary (never a partial output); the next run
    /// removes it.
    func testKilledRunLeavesNoOutputAndTheNextRunCleansUp() throws {
        var rng = SplitMix64(seed: 2)
        let planes = (0..<3).map { _ in Plane(width: 700, height: 500, data: (0..<350_000).map { _ in Float(rng.nextUniform()) }) }
        try ImageFile.save(RasterImage(width: 700, height: 500, planes: planes, depth: .u8), to: path("big.png"))
        var net = Network.random(kernels: [9, 5, 5], filters: [32, 16], seed: 3)
        net.metadata = ["scale": "3"]
        try net.write(to: path("slow.safetensors"))
        let p = Process()
        p.executableURL = Paths.binary
        p.arguments = ["upscale", path("big.png"), path("out.png"), "--scale", "3", "--weights", path("slow.safetensors"), "-q"]
        try p.run()
        var temp: String? = nil
        for _ in 0..<200 where temp == nil {
            usleep(20_000)
            temp = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix(".out.png.tmp-") }
        }
        XCTAssertNotNil(temp, "the run writes to a hidden temporary")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.png")), "no partial output")
        let r = try runSRCNN(["upscale", path("big.png"), path("out.png"), "--scale", "1.5", "--weights", path("slow.safetensors"), "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(left, [], "the stale temporary is removed")
        XCTAssertEqual(try ImageFile.load(path("out.png")).width, 1050)
    }
}

/// A PNG (valid CRCs, a tiny IDAT) whose header claims `w` x `h` 8-bit pixels of `colourType` (0 grey, 2 RGB).
func pngBomb(_ w: UInt32, _ h: UInt32, colourType: UInt8 = 0) -> Data {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8) + body
        var c: UInt32 = 0xFFFF_FFFF
        for b in t { c ^= UInt32(b); for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 } }
        return be(UInt32(body.count)) + t + be(~c)
    }
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        + chunk("IHDR", be(w) + be(h) + [8, colourType, 0, 0, 0])
        + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    return Data(png)
}
