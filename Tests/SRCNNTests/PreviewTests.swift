// Previews: any rectangle of the output, computed alone, equals the same pixels of the whole run bit for bit.
import XCTest
@testable import SRCNN

final class PreviewTests: XCTestCase {
    /// Rectangles at every edge, off the tile grid, one pixel, the whole output; small tiles so a window spans
    /// several; both families; grey, grey+alpha, RGB, RGBA; exact sizes and fractional factors.
    func testRectanglesEqualTheWholeRun() throws {
        let models: [SRModel] = [.srcnn(StreamingTests.net), .fsrcnn(FSRCNN.random(d: 8, s: 4, m: 2, scale: 3, seed: 5))]
        let options = ForwardOptions(tileSize: 8, threads: 2)
        for model in models {
            let renderer = PreviewRenderer(model: model, options: options)
            for c in StreamCase.all {
                let planes = c.planes(seed: 31)
                let sink = PlaneSink(width: c.outWidth, height: c.outHeight, channels: c.channels)
                try model.bands(source: PlaneSource(planes), width: c.outWidth, height: c.outHeight,
                                options: ForwardOptions(tileSize: 48, threads: 2)).run(into: sink)
                let whole = sink.take()
                let W = c.outWidth, H = c.outHeight
                let rects = [(0, 0, W, H), (0, 0, 1, 1), (W - 1, H - 1, 1, 1), (W / 3, H / 3, max(1, W / 2), max(1, H / 3)),
                             (min(W - 1, 5), min(H - 1, 7), min(W - min(W - 1, 5), 13), min(H - min(H - 1, 7), 11)),
                             (W - min(W, 17), 0, min(W, 17), H)]
                for (x, y, w, h) in rects {
                    let got = try renderer.render(source: PlaneSource(planes), width: W, height: H, x: x, y: y, w: w, h: h)
                    let want = whole.map { $0.crop(x: x, y: y, width: w, height: h) }
                    XCTAssertEqual(planesHash(got.upscaled), planesHash(want), "\(model.familyName) \(c.name) \(x),\(y) \(w)x\(h)")
                    // The other side: plain bicubic of each channel (through Y'CbCr and back: within float rounding).
                    let bic = planes.map { Resize.bicubic($0, width: W, height: H).crop(x: x, y: y, width: w, height: h) }
                    XCTAssertEqual(got.bicubic.count, bic.count)
                    for (p, q) in zip(got.bicubic, bic) { XCTAssertLessThan(p.maxAbsDifference(q), 1e-4, c.name) }
                }
            }
        }
    }

    func testBadRectanglesAreErrors() {
        let renderer = PreviewRenderer(model: .srcnn(StreamingTests.net))
        let src = PlaneSource([randomPlane(width: 8, height: 8, seed: 1)])
        for (x, y, w, h) in [(-1, 0, 2, 2), (0, 0, 0, 2), (15, 0, 2, 2), (0, 10, 2, 7)] {
            XCTAssertThrowsError(try renderer.render(source: src, width: 16, height: 16, x: x, y: y, w: w, h: h))
        }
    }
}
