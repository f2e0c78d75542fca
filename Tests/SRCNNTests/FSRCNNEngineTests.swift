// FSRCNN in the engine: weights files of both families through one entry point, bad FSRCNN files, bands
// bit-identical to a whole-image run, native scale then bicubic for other factors.
import XCTest
@testable import SRCNN

final class FSRCNNEngineTests: XCTestCase {
    static let model = FSRCNN.random(d: 8, s: 4, m: 2, scale: 3, seed: 11)

    func testBothFamiliesLoadThroughOneEntryPoint() throws {
        let f = Self.model
        guard case .fsrcnn(let back) = try SRModel(safetensors: f.safetensorsBytes()) else {
            return XCTFail("FSRCNN file not read as FSRCNN")
        }
        XCTAssertEqual(back.body, f.body); XCTAssertEqual(back.slopes, f.slopes); XCTAssertEqual(back.deconv, f.deconv)
        XCTAssertEqual(back.scale, 3)
        // A file without `family` (every SRCNN file, ours and the authors') is SRCNN.
        let net = randomNetwork([9, 1, 5], [8, 4], seed: 3)
        guard case .srcnn(let n) = try SRModel(safetensors: net.safetensorsBytes()) else {
            return XCTFail("SRCNN file not read as SRCNN")
        }
        XCTAssertEqual(n.layers, net.layers)
        XCTAssertEqual(try SRModel(safetensors: f.safetensorsBytes()).description, "FSRCNN(8,4,2) x3")
        // The SRCNN loader says what an FSRCNN file is instead of a shape error.
        XCTAssertThrowsError(try Network(safetensors: f.safetensorsBytes())) { e in
            XCTAssertTrue("\(e)".contains("fsrcnn weights, not SRCNN"), "\(e)")
        }
    }

    /// Each bad file fails with one line that names the problem.
    func testBadFSRCNNFilesGiveOneClearError() throws {
        let f = Self.model
        func tensors(_ m: FSRCNN) -> [String: Safetensors.Tensor] {
            var t: [String: Safetensors.Tensor] = [:]
            for (i, l) in m.body.enumerated() {
                t["conv\(i + 1)_w"] = .init(shape: [l.outChannels, l.inChannels, l.kernel, l.kernel], values: l.weights)
                t["conv\(i + 1)_b"] = .init(shape: [l.outChannels], values: l.bias)
                t["prelu\(i + 1)"] = .init(shape: [l.outChannels], values: m.slopes[i])
            }
            t["deconv_w"] = .init(shape: [m.deconv.inChannels, 1, 9, 9], values: m.deconv.weights)
            t["deconv_b"] = .init(shape: [1], values: m.deconv.bias)
            return t
        }
        let md = ["family": "fsrcnn", "scale": "3"]
        func check(_ t: [String: Safetensors.Tensor], _ meta: [String: String], _ expected: String,
                   line: UInt = #line) {
            XCTAssertThrowsError(try SRModel(safetensors: Safetensors.encode(t, metadata: meta)), line: line) { e in
                let text = "\(e)"
                XCTAssertTrue(text.contains(expected), "got: \(text)", line: line)
                XCTAssertFalse(text.contains("\n"), "one line", line: line)
            }
        }
        var t = tensors(f)
        t["prelu2"] = nil
        check(t, md, "prelu2 missing")
        t = tensors(f)
        t["prelu3"] = .init(shape: [3], values: [0.1, 0.2, 0.3])
        check(t, md, "prelu3 has shape [3]")
        check(tensors(f), ["family": "fsrcnn"], "integer metadata scale")
        check(tensors(f), ["family": "fsrcnn", "scale": "2.5"], "integer metadata scale")
        check(tensors(f), ["family": "fsrcnn", "scale": "1"], "stride (metadata scale) must be 2 to 8")
        check(tensors(f), ["family": "fsrcnn", "scale": "12"], "stride (metadata scale) must be 2 to 8")
        t = tensors(f)
        t["deconv_w"] = .init(shape: [5, 1, 9, 9], values: [Float](repeating: 0, count: 5 * 81))
        check(t, md, "deconv_w maps 5 channels")
        t = tensors(f)
        t["deconv_w"] = .init(shape: [8, 2, 9, 9], values: [Float](repeating: 0, count: 8 * 2 * 81))
        check(t, md, "expected (d, 1, k, k)")
        t = tensors(f)
        t["deconv_b"] = nil
        check(t, md, "deconv_b missing")
        t = tensors(f)
        t["conv3_w"] = .init(shape: [4, 5, 3, 3], values: [Float](repeating: 0, count: 180))
        check(t, md, "conv3 takes 5 channels")
        check(tensors(f), ["family": "esrgan"], "unknown model family 'esrgan'")
    }

    /// Bands of any height give the whole-image result bit for bit, at the native scale and at other sizes.
    func testBandsAreBitIdenticalToAWholeImageRun() throws {
        let m = Self.model
        let cases: [(Int, Int, Int, Int, Int)] = [   // channels, w, h, out w, out h
            (1, 13, 11, 39, 33), (3, 9, 14, 27, 42), (4, 10, 7, 15, 11), (2, 1, 1, 3, 3), (3, 12, 10, 20, 31),
            (1, 5, 9, 60, 108),
        ]
        for (i, c) in cases.enumerated() {
            let planes = (0..<c.0).map { randomPlane(width: c.1, height: c.2, seed: UInt64(i * 10 + $0)) }
            let whole = try m.upscale(planes, width: c.3, height: c.4, bandRows: 100_000)
            XCTAssertEqual(whole.count, c.0)
            XCTAssertTrue(whole.allSatisfy { $0.width == c.3 && $0.height == c.4 })
            for band in [1, 2, 5, 7, 16] {
                for threads in [1, 2] {
                    let got = try m.upscale(planes, width: c.3, height: c.4, threads: threads, bandRows: band)
                    XCTAssertEqual(planesHash(got), planesHash(whole), "case \(i) band \(band) threads \(threads)")
                }
            }
        }
    }

    /// Every kernel family's forward pass equals the Double reference within Float rounding at x2, x3 and x4
    /// (the transposed convolution's phases have 5/4, 3 and 3/2 taps there; x6 takes the kernels' path for
    /// scales above 4), on widths where the interior path runs and on widths of 1-3 where only the clamped ends
    /// do, with FSRCNN(56,12,4)'s channel counts.
    func testEveryFamilyMatchesTheReferenceAtEveryScale() throws {
        for family in KernelFamily.allCases where CPUFeatures.supports(family) {
            // d = 56 (FSRCNN's), 20 and 32: feature pixels of 56, 24 and 32 floats against 16-lane kernels.
            for scale in [2, 3, 4, 6] {
                for d in [56, 20, 32] where d == 56 || scale == 3 {
                    let m = FSRCNN.random(d: d, scale: scale, seed: UInt64(40 + scale + d))
                    for (w, h) in [(37, 9), (1, 4), (2, 3), (3, 5), (17, 1)] {
                        let y = randomPlane(width: w, height: h, seed: UInt64(w * 7 + h))
                        let got = try m.forward(y, threads: 2, kernels: family), ref = m.forwardReference(y)
                        XCTAssertEqual([got.width, got.height], [scale * w, scale * h])
                        let diff = zip(got.data, ref.data).map { abs($0 - $1) }.max()!
                        XCTAssertLessThan(diff, 1e-5, "\(family) x\(scale) d=\(d) \(w)x\(h)")
                    }
                }
            }
        }
    }

    /// Widening copies shrunk channels and splits their outgoing weights: the same function within Float rounding,
    /// the new width everywhere it applies, deterministic for a seed, copies that differ; narrower is refused.
    func testWidenedKeepsTheFunction() throws {
        let b = FSRCNN.random(d: 20, s: 6, m: 2, scale: 3, seed: 77)
        let wide = try b.widened(shrink: 11, seed: 5)
        XCTAssertEqual(wide.body.map(\.outChannels), [20, 11, 11, 11, 20])
        XCTAssertEqual(wide.body.map(\.inChannels), [1, 20, 11, 11, 11])
        XCTAssertEqual(wide.slopes.map(\.count), [20, 11, 11, 11, 20])
        XCTAssertNoThrow(try wide.validate())
        let y = randomPlane(width: 23, height: 17, seed: 8)
        let diff = try wide.forward(y).maxAbsDifference(b.forward(y))
        XCTAssertLessThan(diff, 1e-5)
        XCTAssertEqual(try b.widened(shrink: 11, seed: 5), wide)
        XCTAssertNotEqual(try b.widened(shrink: 11, seed: 6), wide)
        // A copy (same shrink weights as an original channel) reads its channel with other weights than the original.
        let shrink = wide.body[1], expand = wide.body[4]
        let j = 6, g = (0..<6).first { c in (0..<20).allSatisfy { shrink.weight(c, $0, 0, 0) == shrink.weight(j, $0, 0, 0) } }
        XCTAssertNotNil(g)
        XCTAssertTrue((0..<20).contains { o in expand.weight(o, j, 0, 0) != expand.weight(o, g!, 0, 0) })
        XCTAssertThrowsError(try wide.widened(shrink: 8, seed: 1))
    }

    /// Deepening adds identity mapping layers: the same output to the bit, more layers; fewer is refused.
    func testDeepenedKeepsTheFunction() throws {
        let m = FSRCNN.random(d: 8, s: 4, m: 2, scale: 3, seed: 9)
        // Random biases and slopes, so negative values reach the new layers.
        var b = m
        for i in b.body.indices { b.body[i].bias = b.body[i].bias.indices.map { Float($0 % 3) * 0.1 - 0.1 } }
        let deep = try b.deepened(mapping: 5)
        XCTAssertEqual(deep.body.count, b.body.count + 3)
        XCTAssertEqual(deep.bodyRadius, b.bodyRadius + 3)
        let y = randomPlane(width: 19, height: 11, seed: 2)
        XCTAssertEqual(deep.forwardReference(y).data, b.forwardReference(y).data)
        XCTAssertEqual(try deep.forward(y, threads: 2).data, try b.forward(y, threads: 2).data)
        XCTAssertThrowsError(try deep.deepened(mapping: 4))
    }

    /// At the native size Y is the network's output; elsewhere it is that output resized with MATLAB bicubic.
    func testNativeScaleThenBicubicForOtherSizes() throws {
        let m = Self.model
        let y = randomPlane(width: 12, height: 8, seed: 5)
        let native = try m.forward(y)
        XCTAssertEqual(try m.upscale([y], width: 36, height: 24)[0].data, native.data)
        let odd = try m.upscale([y], width: 20, height: 13)[0]
        XCTAssertEqual(odd.data, Resize.bicubic(native, width: 20, height: 13).data)
        // The band forward matches the reference within Float rounding.
        let ref = m.forwardReference(y)
        XCTAssertLessThan(zip(native.data, ref.data).map { abs($0 - $1) }.max()!, 1e-5)
    }

    func testChoosesTheSmallestNativeScaleAtOrAboveTheFactor() {
        let ms = [2, 3, 4].map { FSRCNN.random(d: 4, s: 2, m: 1, scale: $0, seed: 1) }
        XCTAssertEqual(FSRCNNStream.choose(ms, factor: 1.5)?.scale, 2)
        XCTAssertEqual(FSRCNNStream.choose(ms, factor: 2)?.scale, 2)
        XCTAssertEqual(FSRCNNStream.choose(ms, factor: 2.2)?.scale, 3)
        XCTAssertEqual(FSRCNNStream.choose(ms, factor: 4)?.scale, 4)
        XCTAssertEqual(FSRCNNStream.choose(ms, factor: 6)?.scale, 4)
    }
}
