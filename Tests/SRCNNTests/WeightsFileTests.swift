// Weights files: the reference models load, round trips are exact, F16/BF16 convert, bad files fail clearly,
// and writes are atomic.
import Foundation
import XCTest
@testable import SRCNN
import SRCNNHost

final class WeightsFileTests: XCTestCase {
    // MARK: helpers

    /// ../shared/reference-weights relative to the package root.
    static let referenceDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/reference-weights")

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory
            .appendingPathComponent("srcnn-weights-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: d) }
        return d
    }

    /// Splits a safetensors file into its header (as a mutable JSON dictionary) and its data.
    func split(_ bytes: [UInt8]) -> (header: [String: Any], data: [UInt8]) {
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        let header = try! JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        return (header, Array(bytes[(8 + n)...]))
    }

    /// Reassembles a file from a header dictionary and data.
    func join(_ header: [String: Any], _ data: [UInt8]) -> [UInt8] {
        let json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        return join(raw: [UInt8](json), data)
    }

    func join(raw header: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var h = header
        while h.count % 8 != 0 { h.append(0x20) }
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) }
        out += h
        out += data
        return out
    }

    /// A safetensors file built by hand: every tensor in `dtype`, values given as raw little-endian bits.
    func handMade(dtype: String, elementSize: Int, tensors: [(String, [Int], [UInt64])],
                  metadata: [String: String] = [:]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
            parts.append("\"__metadata__\":{\(m)}")
        }
        var data: [UInt8] = []
        for (name, shape, bits) in tensors {
            let begin = data.count
            for b in bits { for j in 0..<elementSize { data.append(UInt8(truncatingIfNeeded: b >> (8 * UInt64(j)))) } }
            let s = shape.map(String.init).joined(separator: ",")
            parts.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(s)],\"data_offsets\":[\(begin),\(data.count)]}")
        }
        return join(raw: Array("{\(parts.joined(separator: ","))}".utf8), data)
    }

    /// Asserts that `body` throws `SRCNNError.invalidWeights` whose message contains `fragment`.
    func assertInvalid(_ fragment: String, file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> Any) {
        do {
            _ = try body()
            XCTFail("expected invalidWeights containing \"\(fragment)\", got success", file: file, line: line)
        } catch SRCNNError.invalidWeights(let m) {
            XCTAssertTrue(m.contains(fragment), "message \"\(m)\" lacks \"\(fragment)\"", file: file, line: line)
            XCTAssertFalse(m.contains("\n"), "message should be one line: \(m)", file: file, line: line)
        } catch {
            XCTFail("expected invalidWeights containing \"\(fragment)\", got \(error)", file: file, line: line)
        }
    }

    // MARK: (a) reference weights

    func testReferenceWeightsLoad() throws {
        let dir = Self.referenceDir
        guard FileManager.default.fileExists(atPath: dir.path) else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("reference weights missing at \(dir.path)")
            } else {
                print("SKIP: reference weights not found at \(dir.path); testReferenceWeightsLoad not run")
            }
            return
        }
        // kernels, filters, parameters, bit patterns of the first and last conv1_w values
        // (read once with Python: safetensors.numpy.load_file(f)["conv1_w"].reshape(-1)[[0, -1]].view(np.uint32)).
        let expected: [String: (kernels: [Int], filters: [Int], params: Int, first: UInt32, last: UInt32)] = [
            "srcnn_9-1-5_91images_x2": ([9, 1, 5], [64, 32], 8129, 3_182_794_021, 1_034_434_072),
            "srcnn_9-1-5_91images_x3": ([9, 1, 5], [64, 32], 8129, 1_021_788_157, 1_037_118_960),
            "srcnn_9-1-5_91images_x4": ([9, 1, 5], [64, 32], 8129, 1_036_246_857, 3_174_209_437),
            "srcnn_9-1-5_ImageNet_x3": ([9, 1, 5], [64, 32], 8129, 1_034_645_117, 1_036_826_861),
            "srcnn_9-3-5_ImageNet_x3": ([9, 3, 5], [64, 32], 24513, 3_189_770_016, 1_034_186_811),
            "srcnn_9-5-5_ImageNet_x2": ([9, 5, 5], [64, 32], 57281, 3_167_511_202, 3_180_527_870),
            "srcnn_9-5-5_ImageNet_x3": ([9, 5, 5], [64, 32], 57281, 1_012_811_219, 3_169_172_766),
            "srcnn_9-5-5_ImageNet_x4": ([9, 5, 5], [64, 32], 57281, 3_196_990_834, 989_232_528),
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertEqual(Set(files.map { String($0.dropLast(".safetensors".count)) }), Set(expected.keys))
        for f in files {
            let name = String(f.dropLast(".safetensors".count))
            let net = try Network(contentsOf: dir.appendingPathComponent(f).path)
            guard let e = expected[name] else { XCTFail("unexpected file \(f)"); continue }
            XCTAssertEqual(net.layers.map(\.kernel), e.kernels, f)
            XCTAssertEqual(net.layers.dropLast().map(\.outChannels), e.filters, f)
            XCTAssertEqual(net.layers.map(\.inChannels), [1] + e.filters, f)
            XCTAssertEqual(net.layers.last?.outChannels, 1, f)
            XCTAssertEqual(net.parameterCount, e.params, f)
            XCTAssertEqual(net.receptiveRadius, e.kernels.reduce(0) { $0 + $1 / 2 }, f)
            XCTAssertEqual(net.layers[0].weights.first?.bitPattern, e.first, f)
            XCTAssertEqual(net.layers[0].weights.last?.bitPattern, e.last, f)
        }
        let n955 = try Network(contentsOf: dir.appendingPathComponent("srcnn_9-5-5_ImageNet_x3.safetensors").path)
        XCTAssertEqual(n955.architecture, "9-5-5 (64/32)")
        // Our writer reproduces a file that reads back identically.
        XCTAssertEqual(try Network(safetensors: n955.safetensorsBytes()), n955)
    }

    // MARK: (b) round trips and other dtypes

    func testRoundTripIsBitIdentical() throws {
        var net = Network.random(kernels: [9, 5, 5], filters: [64, 32], seed: 42)
        for l in net.layers.indices {
            for i in net.layers[l].bias.indices { net.layers[l].bias[i] = Float(i) * 0.001 - 0.01 }
        }
        net.layers[0].weights[3] = -0.0
        net.layers[0].weights[4] = .leastNonzeroMagnitude
        net.metadata = ["scale": "3", "architecture": "9-5-5", "note": "quote \" backslash \\ newline \n tab \t ü €",
                        "empty": ""]
        let dir = try tempDir()
        let path = dir.appendingPathComponent("rt.safetensors").path
        try net.write(to: path)
        let back = try Network(contentsOf: path)
        XCTAssertEqual(back.metadata, net.metadata)
        XCTAssertEqual(back.scale, 3)
        XCTAssertEqual(back.layers.count, net.layers.count)
        for (a, b) in zip(back.layers, net.layers) {
            XCTAssertEqual(a.weights.map(\.bitPattern), b.weights.map(\.bitPattern))
            XCTAssertEqual(a.bias.map(\.bitPattern), b.bias.map(\.bitPattern))
            XCTAssertEqual([a.outChannels, a.inChannels, a.kernel], [b.outChannels, b.inChannels, b.kernel])
        }
        let bytes = net.safetensorsBytes()
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), bytes)
        XCTAssertEqual(back.safetensorsBytes(), bytes, "writing is deterministic")
        // Header padded with spaces to a multiple of 8; names sorted.
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":{"), header)
        let order = ["conv1_b", "conv1_w", "conv2_b", "conv2_w", "conv3_b", "conv3_w"]
            .map { header.range(of: "\"\($0)\"")!.lowerBound }
        XCTAssertEqual(order, order.sorted())
        // Any number of layers.
        let deep = Network.random(kernels: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1], filters: [4, 4, 4, 4, 4, 4, 4, 4, 4, 4], seed: 7)
        XCTAssertEqual(try Network(safetensors: deep.safetensorsBytes()), deep)
    }

    /// A 3-1 network (2 filters): conv1_w 2x1x3x3, conv1_b 2, conv2_w 1x2x1x1, conv2_b 1 = 23 values.
    let tinyShapes: [(String, [Int])] = [("conv1_w", [2, 1, 3, 3]), ("conv1_b", [2]), ("conv2_w", [1, 2, 1, 1]), ("conv2_b", [1])]

    func testF16AndBF16Load() throws {
        // (bits, value) pairs, all exact.
        let f16: [(UInt64, Float)] = [(0x3C00, 1), (0xC000, -2), (0x3800, 0.5), (0x7BFF, 65504), (0x0001, 0x1p-24),
                                      (0x0400, 0x1p-14), (0x8000, -0.0), (0x3555, 0.333251953125), (0xB4CD, -0.300048828125),
                                      (0x03FF, 1023 * 0x1p-24), (0x5640, 100)]
        let bf16: [(UInt64, Float)] = [(0x3F80, 1), (0xC040, -3), (0x4049, 3.140625), (0x3E80, 0.25), (0x0001, Float(bitPattern: 0x0001_0000)),
                                       (0x8000, -0.0), (0xBDCD, -0.10009765625), (0x7F7F, Float(bitPattern: 0x7F7F_0000))]
        for (dtype, table) in [("F16", f16), ("BF16", bf16)] {
            var k = 0
            var tensors: [(String, [Int], [UInt64])] = []
            var expected: [String: [Float]] = [:]
            for (name, shape) in tinyShapes {
                let count = shape.reduce(1, *)
                let picks = (0..<count).map { i in table[(k + i) % table.count] }
                k += count
                tensors.append((name, shape, picks.map(\.0)))
                expected[name] = picks.map(\.1)
            }
            let bytes = handMade(dtype: dtype, elementSize: 2, tensors: tensors, metadata: ["scale": "2"])
            let net = try Network(safetensors: bytes)
            XCTAssertEqual(net.architecture, "3-1 (2)")
            XCTAssertEqual(net.metadata, ["scale": "2"])
            XCTAssertEqual(net.layers[0].weights.map(\.bitPattern), expected["conv1_w"]!.map(\.bitPattern), dtype)
            XCTAssertEqual(net.layers[0].bias.map(\.bitPattern), expected["conv1_b"]!.map(\.bitPattern), dtype)
            XCTAssertEqual(net.layers[1].weights.map(\.bitPattern), expected["conv2_w"]!.map(\.bitPattern), dtype)
            XCTAssertEqual(net.layers[1].bias.map(\.bitPattern), expected["conv2_b"]!.map(\.bitPattern), dtype)
        }
        // Infinities and NaN convert (the generic reader), and the network check then rejects them.
        let special = handMade(dtype: "F16", elementSize: 2, tensors: [("x", [3], [0x7C00, 0xFC00, 0x7E00])])
        let v = try Safetensors(bytes: special).floats("x")
        XCTAssertEqual(v[0], .infinity)
        XCTAssertEqual(v[1], -.infinity)
        XCTAssertTrue(v[2].isNaN)
        var tensors = tinyShapes.map { ($0.0, $0.1, [UInt64](repeating: 0x3C00, count: $0.1.reduce(1, *))) }
        tensors[2].2[1] = 0x7C00
        assertInvalid("conv2_w[1] is inf (not finite)") { try Network(safetensors: self.handMade(dtype: "F16", elementSize: 2, tensors: tensors)) }
        // F64 too.
        let f64 = handMade(dtype: "F64", elementSize: 8, tensors: [("x", [2], [0x3FF0_0000_0000_0000, 0xC004_0000_0000_0000])])
        XCTAssertEqual(try Safetensors(bytes: f64).floats("x"), [1, -2.5])
    }

    func testHalfConversionMatchesFloat16() {
        #if !(os(macOS) && arch(x86_64))
        for bits in 0...UInt16.max {
            let want = Float(Float16(bitPattern: bits))
            let got = Safetensors.halfToFloat(bits)
            if want.isNaN {
                XCTAssertTrue(got.isNaN, "\(bits)")
            } else if got.bitPattern != want.bitPattern {
                XCTFail("half \(String(bits, radix: 16)): got \(got), want \(want)")
                return
            }
        }
        #endif
    }

    // MARK: (c) bad files

    func testBadFilesGiveOneClearLine() throws {
        let good = Network.random(kernels: [3, 3], filters: [4], seed: 5)
        var meta = good
        meta.metadata = ["scale": "2"]
        let valid = meta.safetensorsBytes()
        XCTAssertNoThrow(try Network(safetensors: valid))
        let (header, data) = split(valid)

        func mutated(_ f: (inout [String: Any]) -> Void) -> [UInt8] {
            var h = header
            f(&h)
            return join(h, data)
        }
        func entry(_ h: inout [String: Any], _ name: String, _ f: (inout [String: Any]) -> Void) {
            var e = h[name] as! [String: Any]
            f(&e)
            h[name] = e
        }

        // Too short / absurd header length / truncated data.
        assertInvalid("not a safetensors file") { try Network(safetensors: Array(valid.prefix(5))) }
        assertInvalid("not a safetensors file") { try Network(safetensors: []) }
        var huge = valid
        let big: UInt64 = 1 << 60
        for i in 0..<8 { huge[i] = UInt8(truncatingIfNeeded: big >> (8 * UInt64(i))) }
        assertInvalid("header length 1152921504606846976 is absurd") { try Network(safetensors: huge) }
        var allOnes = valid
        for i in 0..<8 { allOnes[i] = 0xFF }
        assertInvalid("is absurd") { try Network(safetensors: allOnes) }
        assertInvalid("run past the end of the data") { try Network(safetensors: Array(valid.dropLast(4))) }

        // Broken JSON, non-object JSON, bad UTF-8, bad metadata.
        assertInvalid("not valid JSON") { try Network(safetensors: self.join(raw: Array("{\"conv1_w\": [".utf8), data)) }
        assertInvalid("not a JSON object") { try Network(safetensors: self.join(raw: Array("[1, 2]".utf8), data)) }
        assertInvalid("not valid UTF-8") { try Network(safetensors: self.join(raw: [0x7B, 0xFF, 0xFE, 0x7D], data)) }
        assertInvalid("__metadata__ value for \"scale\" is not a string") {
            try Network(safetensors: mutated { $0["__metadata__"] = ["scale": 3] })
        }

        // Malformed tensor entries.
        assertInvalid("tensor \"conv1_b\": entry is not an object") { try Network(safetensors: mutated { $0["conv1_b"] = [1, 2] }) }
        assertInvalid("tensor \"conv1_b\": entry has no \"dtype\"") {
            try Network(safetensors: mutated { entry(&$0, "conv1_b") { $0["dtype"] = nil } })
        }
        assertInvalid("tensor \"conv1_w\": \"shape\" is not a list of non-negative integers") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["shape"] = [4, -1, 3, 3] } })
        }
        assertInvalid("\"shape\" is not a list of non-negative integers") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["shape"] = [4, 1.5, 3, 3] } })
        }
        assertInvalid("\"shape\" is not a list of non-negative integers") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["shape"] = [true, 1, 3, 3] } })
        }
        assertInvalid("\"data_offsets\" is not a pair") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["data_offsets"] = [0] } })
        }
        assertInvalid("is too large") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["shape"] = [1 << 40, 1 << 40, 1, 1] } })
        }
        assertInvalid("run backwards") {
            try Network(safetensors: mutated { entry(&$0, "conv1_b") { $0["data_offsets"] = [16, 0] } })
        }
        assertInvalid("run past the end of the data") {
            try Network(safetensors: mutated { entry(&$0, "conv1_b") { $0["data_offsets"] = [Int.max - 8, Int.max] } })
        }
        assertInvalid("hold 12 bytes but shape [4] of F32 needs 16") {
            try Network(safetensors: mutated { entry(&$0, "conv1_b") { $0["data_offsets"] = [0, 12] } })
        }
        assertInvalid("hold 144 bytes but shape [4, 1, 3, 4] of F32 needs 192") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["shape"] = [4, 1, 3, 4] } })
        }
        assertInvalid("unsupported dtype \"Q7\"") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["dtype"] = "Q7" } })
        }
        assertInvalid("conv1_b has unsupported dtype I32") {
            try Network(safetensors: mutated { entry(&$0, "conv1_b") { $0["dtype"] = "I32" } })
        }

        // Network-level problems.
        assertInvalid("conv2_b missing") { try Network(safetensors: mutated { $0["conv2_b"] = nil }) }
        assertInvalid("conv1_w missing") { try Network(safetensors: mutated { $0["conv1_w"] = nil }) }
        assertInvalid("conv1_w missing (no conv layers)") {
            try Network(safetensors: mutated { h in h = h.filter { !$0.key.hasPrefix("conv") } })
        }
        assertInvalid("conv2_w missing (conv3 present)") {
            try Network(safetensors: mutated { h in
                h["conv3_w"] = h["conv2_w"]; h["conv3_b"] = h["conv2_b"]; h["conv2_w"] = nil; h["conv2_b"] = nil
            })
        }
        assertInvalid("conv1_w has shape [4, 1, 9]; expected 4-D") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["shape"] = [4, 1, 9] } })
        }
        assertInvalid("conv1_w kernel is 1x9; kernels must be square") {
            try Network(safetensors: mutated { entry(&$0, "conv1_w") { $0["shape"] = [4, 1, 1, 9] } })
        }
        assertInvalid("conv1_b has shape [2, 2]; expected [4]") {
            try Network(safetensors: mutated { entry(&$0, "conv1_b") { $0["shape"] = [2, 2] } })
        }
        assertInvalid("conv1 takes 2 input channels; SRCNN takes 1") {
            // Same byte count (36 values), different split.
            try Network(safetensors: mutated { h in
                entry(&h, "conv1_w") { $0["shape"] = [2, 2, 3, 3] }
                entry(&h, "conv1_b") { $0["shape"] = [2] ; $0["data_offsets"] = [0, 8] }
            })
        }
        // conv2_w is 1x4x3x3 = 36 values; as 1x9x2x2 the kernel is even.
        assertInvalid("conv2 kernel is 2x2; kernels must be odd") {
            try Network(safetensors: mutated { entry(&$0, "conv2_w") { $0["shape"] = [1, 9, 2, 2] } })
        }
        // as 1x36x1x1 the chain breaks.
        assertInvalid("conv2 takes 36 channels but conv1 gives 4") {
            try Network(safetensors: mutated { entry(&$0, "conv2_w") { $0["shape"] = [1, 36, 1, 1] } })
        }
        // Last layer must give 1 channel: as 2x2x3x3 (and a 2-value bias) it gives 2.
        var twoOut = good
        twoOut.layers[1] = ConvLayer(outChannels: 2, inChannels: 4, kernel: 3,
                                     weights: [Float](repeating: 0.1, count: 72), bias: [0, 0])
        assertInvalid("conv2 gives 2 channels; SRCNN ends in 1") { try Network(safetensors: twoOut.safetensorsBytes()) }

        // NaN / Inf in the data: conv1_w is the second tensor (after conv1_b, 16 bytes).
        for (bits, word) in [(UInt32(0x7FC0_0000), "nan"), (UInt32(0x7F80_0000), "inf")] {
            var bad = valid
            let at = valid.count - data.count + 16 + 4 * 5
            for j in 0..<4 { bad[at + j] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(j))) }
            assertInvalid("conv1_w[5] is \(word) (not finite)") { try Network(safetensors: bad) }
        }

        // The path form names the file; unreadable files are I/O errors.
        let dir = try tempDir()
        let path = dir.appendingPathComponent("broken.safetensors").path
        try Data(mutated { $0["conv2_b"] = nil }).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Network(contentsOf: path)) { e in
            XCTAssertEqual(e as? SRCNNError, .invalidWeights("broken.safetensors: conv2_b missing"))
            XCTAssertEqual("\(e)", "invalid weights: broken.safetensors: conv2_b missing")
        }
        XCTAssertThrowsError(try Network(contentsOf: dir.appendingPathComponent("nope.safetensors").path)) { e in
            guard case SRCNNError.io(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("nope.safetensors"), m)
        }
    }

    /// Every truncation of a valid file is rejected cleanly (no trap).
    func testEveryTruncationIsRejected() {
        let valid = Network.random(kernels: [3, 1], filters: [2], seed: 9).safetensorsBytes()
        for n in 0..<valid.count {
            XCTAssertThrowsError(try Network(safetensors: Array(valid.prefix(n))), "prefix \(n)")
        }
    }

    // MARK: (d) atomic writes

    func testWriteReplacesAtomically() throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("model.safetensors").path
        let a = Network.random(kernels: [9, 1, 5], filters: [64, 32], seed: 1)
        var b = Network.random(kernels: [3, 3], filters: [8], seed: 2)
        b.metadata = ["scale": "4"]
        try a.write(to: path)
        XCTAssertEqual(chmod(path, 0o600), 0)
        try b.write(to: path)
        XCTAssertEqual(try Network(contentsOf: path), b)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.safetensors"],
                       "no temporary file left behind")
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600, "permissions of the replaced file kept")

        // Failure: the target is a directory -> rename fails; it is untouched and the temp is gone.
        let sub = dir.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: sub.appendingPathComponent("inner"))
        XCTAssertThrowsError(try a.write(to: sub.path)) { e in
            guard case SRCNNError.io(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("taken") && m.contains("directory"), m)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["model.safetensors", "taken"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sub.path), ["inner"])
        XCTAssertEqual(try Network(contentsOf: path), b, "other file untouched")

        // Failure: missing directory.
        XCTAssertThrowsError(try a.write(to: dir.appendingPathComponent("no/such/dir/x.safetensors").path)) { e in
            guard case SRCNNError.io = e else { return XCTFail("\(e)") }
        }
    }

    /// What the reference safetensors parser rejects, we reject too (a parser differential the fault probe found).
    func testStrictAsTheReferenceParser() throws {
        let valid = Network.random(kernels: [3, 1, 3], filters: [4, 2], seed: 5).safetensorsBytes()
        XCTAssertNoThrow(try Network(safetensors: valid))
        let (header, data) = split(valid)
        assertInvalid("trailing bytes") { try Network(safetensors: valid + [0, 0, 0, 0]) }
        // A duplicate key: raw JSON with "conv1_b" twice.
        let json = String(decoding: try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]), as: UTF8.self)
        let b1 = json.range(of: "\"conv1_b\":")!
        let entryEnd = json[b1.upperBound...].firstIndex(of: "}")!
        let dup = "{" + json[b1.lowerBound...entryEnd] + "," + json.dropFirst()
        assertInvalid("not valid JSON") { try Network(safetensors: self.join(raw: Array(dup.utf8), data)) }
        // Overlapping tensors: the second tensor in the data starts 4 bytes inside the first (same sizes, so only
        // the layout is wrong).
        var h = header
        let begins = h.filter { $0.key != "__metadata__" }
            .map { ($0.key, (($0.value as! [String: Any])["data_offsets"] as! [Int])[0]) }.sorted { $0.1 < $1.1 }
        let second = begins[1].0
        var e = h[second] as! [String: Any]
        let offs = e["data_offsets"] as! [Int]
        e["data_offsets"] = [offs[0] - 4, offs[1] - 4]
        h[second] = e
        assertInvalid("overlaps") { try Network(safetensors: self.join(h, data)) }
    }

}
