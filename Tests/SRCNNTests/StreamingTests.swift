// The streaming upscaler: bit-identical to the whole-plane path for every band height, and to the path as it was.
import XCTest
@testable import SRCNN

/// FNV-1a over the bit patterns of every sample of every plane (and the sizes).
func planesHash(_ planes: [Plane]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ v: UInt64) { h = (h ^ v) &* 0x100_0000_01b3 }
    for p in planes {
        mix(UInt64(p.width)); mix(UInt64(p.height))
        for v in p.data { mix(UInt64(v.bitPattern)) }
    }
    return h
}

/// One upscale case: channels, input size, target size.
struct StreamCase {
    var channels: Int, width: Int, height: Int, outWidth: Int, outHeight: Int
    var name: String { "\(channels)ch \(width)x\(height)->\(outWidth)x\(outHeight)" }

    func planes(seed: UInt64) -> [Plane] {
        (0..<channels).map { randomPlane(width: width, height: height, seed: seed &+ UInt64($0) &* 977) }
    }

    static let all: [StreamCase] = [
        StreamCase(channels: 1, width: 37, height: 29, outWidth: 74, outHeight: 58),       // x2 grey
        StreamCase(channels: 3, width: 23, height: 17, outWidth: 35, outHeight: 26),       // x1.5 RGB (ceil)
        StreamCase(channels: 4, width: 40, height: 30, outWidth: 100, outHeight: 75),      // exact size, RGBA
        StreamCase(channels: 2, width: 1, height: 1, outWidth: 3, outHeight: 3),           // 1x1 grey+alpha
        StreamCase(channels: 3, width: 1, height: 9, outWidth: 2, outHeight: 18),          // one column
        StreamCase(channels: 1, width: 9, height: 1, outWidth: 27, outHeight: 3),          // one row
        StreamCase(channels: 4, width: 50, height: 20, outWidth: 40, outHeight: 61),       // shrink x, grow y
        StreamCase(channels: 3, width: 31, height: 45, outWidth: 31, outHeight: 90),       // x1 in width
        StreamCase(channels: 1, width: 30, height: 12, outWidth: 97, outHeight: 12),       // x1 in height
    ]
}

final class StreamingTests: XCTestCase {
    static let net = randomNetwork([9, 5, 5], [16, 8], seed: 7)

    /// The whole-plane path's results before the streaming upscaler existed (AVX-512 family, this network),
    /// recorded with the code of commit 760c4c2: the refactor must not change a single bit.
    static let golden: [UInt64] = [
        0xedf2d50f8e08ce8c, 0xbf5801b6d0bf5be6, 0xd9eae7fcf466b2ad, 0x8c848e6c4d766225, 0x401cd834de7eef9b,
        0x7a87eb13a8001eb, 0x965f1fdb40bc02ff, 0x9330fe3b991233eb, 0x70f18cdf562302f6,
    ]

    func testGoldenWholePlaneResults() throws {
        let up = Upscaler(network: Self.net, options: ForwardOptions(tileSize: 16, threads: 2))
        var hashes: [UInt64] = []
        for (i, c) in StreamCase.all.enumerated() {
            var planes = c.planes(seed: UInt64(i + 1))
            let out = try up.upscale(&planes, width: c.outWidth, height: c.outHeight)
            hashes.append(planesHash(out))
        }
        print("golden: [" + hashes.map { "0x" + String($0, radix: 16) }.joined(separator: ", ") + "]")
        guard up.network.kernels == .avx512 else {
            print("SKIP: golden hashes are for the AVX-512 family; this run uses \(up.network.kernels)")
            return
        }
        XCTAssertEqual(hashes, Self.golden)
    }

    /// Every band height (rounded to the tile multiple), tile size and thread count gives the whole-plane result
    /// exactly (the vector families; OpenBLAS to rounding), and the source is read in order, each row once.
    func testBandsEqualWholePlane() throws {
        for kf in KernelFamily.allCases where CPUFeatures.supports(kf) {
            let packed = PackedNetwork(Self.net, winogradMinInputs: 1, kernels: kf)
            for (i, c) in StreamCase.all.enumerated() {
                let input = c.planes(seed: UInt64(i + 1))
                var whole = input
                let up = Upscaler(packed: packed, options: ForwardOptions(tileSize: 16, threads: 2))
                let expected = try up.upscale(&whole, width: c.outWidth, height: c.outHeight)
                for (band, tile, threads) in [(1, 16, 2), (5, 16, 1), (12, 8, 2), (37, 23, 2), (1000, 128, 2)] {
                    let source = OrderCheckingSource(input)
                    let sink = PlaneSink(width: c.outWidth, height: c.outHeight, channels: c.channels)
                    let u = Upscaler(packed: packed, options: ForwardOptions(tileSize: tile, threads: threads))
                    try u.upscale(source, into: sink, width: c.outWidth, height: c.outHeight, bandRows: band)
                    let got = sink.take()
                    let what = "\(c.name) \(kf) band \(band) tile \(tile) threads \(threads)"
                    if kf != .openblas {
                        XCTAssertEqual(planesHash(got), planesHash(expected), what)
                    } else {
                        // OpenBLAS sums in an order that depends on the GEMM's size, so its tiles (like the
                        // tiled whole-plane path) agree only to rounding.
                        for (g, e) in zip(got, expected) { XCTAssertLessThanOrEqual(maxDiff(g, e, what), 1e-6, what) }
                    }
                    XCTAssertEqual(source.rowsRead, c.height, "each source row read once: \(what)")
                }
            }
        }
    }

    func testBandForwardEqualsWholePlaneRows() throws {
        let packed = PackedNetwork(Self.net, winogradMinInputs: 1)
        let img = randomPlane(width: 45, height: 61, seed: 9)
        let whole = try packed.forward(img, options: ForwardOptions(tileSize: 16, threads: 2))
        let m = packed.tileMultiple
        for start in stride(from: 0, to: 61, by: m) {
            let rows = start..<min(61, start + 3 * m + 1)
            let need = packed.bandInputRows(rows, imageHeight: 61)
            let band = img.crop(x: 0, y: need.lowerBound, width: 45, height: need.count)
            let got = try packed.forward(band: band, top: need.lowerBound, imageHeight: 61, rows: rows,
                                         options: ForwardOptions(tileSize: 16, threads: 2))
            XCTAssertEqual(got, whole.crop(x: 0, y: rows.lowerBound, width: 45, height: rows.count), "rows \(rows)")
        }
    }

    func testResizePlanBandsEqualWhole() throws {
        for (w, h, ow, oh) in [(7, 5, 21, 15), (10, 9, 4, 30), (3, 1, 6, 7), (9, 12, 9, 5), (5, 40, 11, 13)] {
            let p = randomPlane(width: w, height: h, seed: UInt64(w * h))
            let whole = Resize.bicubic(p, width: ow, height: oh)
            let plan = Resize.Plan(inWidth: w, inHeight: h, outWidth: ow, outHeight: oh)
            for band in [1, 2, 7] {
                for r0 in stride(from: 0, to: oh, by: band) {
                    let rows = r0..<min(oh, r0 + band)
                    let need = plan.sourceRows(rows)
                    let src = p.crop(x: 0, y: need.lowerBound, width: w, height: need.count)
                    XCTAssertEqual(plan.rows(rows, from: src, firstRow: need.lowerBound),
                                   whole.crop(x: 0, y: r0, width: ow, height: rows.count), "\(w)x\(h) rows \(rows)")
                }
            }
        }
    }

    func testProgressAndCancel() throws {
        let up = Upscaler(network: Self.net, options: ForwardOptions(tileSize: 16, threads: 2))
        let seen = Locked<[Double]>([])
        let sink = PlaneSink(width: 60, height: 50, channels: 3)
        try up.upscale(PlaneSource(StreamCase.all[1].planes(seed: 3)), into: sink, width: 60, height: 50,
                       bandRows: 8, progress: { f in seen.mutate { $0.append(f) } })
        XCTAssertEqual(seen.value.last, 1.0)
        XCTAssertTrue(zip(seen.value, seen.value.dropFirst()).allSatisfy { $0 <= $1 + 1e-12 }, "\(seen.value)")
        let flag = CancelFlag()
        flag.cancel()
        XCTAssertThrowsError(try up.upscale(PlaneSource(StreamCase.all[1].planes(seed: 3)), into: sink,
                                            width: 60, height: 50, cancel: flag)) { e in
            XCTAssertEqual(e as? SRCNNError, .cancelled)
        }
    }
}

/// A source that fails the test if rows are asked for out of order or twice.
final class OrderCheckingSource: ImageSource {
    let inner: PlaneSource
    var nextRow = 0, rowsRead = 0
    init(_ planes: [Plane]) { inner = PlaneSource(planes) }
    var width: Int { inner.width }
    var height: Int { inner.height }
    var channels: Int { inner.channels }
    func readRows(_ rows: Range<Int>) throws -> [Plane] {
        XCTAssertGreaterThanOrEqual(rows.lowerBound, nextRow, "rows \(rows) after row \(nextRow)")
        XCTAssertLessThanOrEqual(rows.upperBound, height)
        nextRow = rows.upperBound
        rowsRead += rows.count
        return try inner.readRows(rows)
    }
}
