// Winograd matrices reproduce direct 1-D correlation for every tile/kernel size the engine uses.
import XCTest
@testable import SRCNN

final class WinogradMatricesTests: XCTestCase {
    func testOneDimensionalIdentity() {
        for (m, r) in [(2, 3), (4, 3), (6, 3), (2, 5), (3, 5), (4, 5)] {
            let w = WinogradMatrices(m: m, r: r)
            var rng = SplitMix64(seed: UInt64(m * 10 + r))
            let d = (0..<w.alpha).map { _ in rng.nextUniform() - 0.5 }
            let g = (0..<r).map { _ in rng.nextUniform() - 0.5 }
            let gd = (0..<w.alpha).map { xi in (0..<r).reduce(0.0) { $0 + w.G[xi][$1] * g[$1] } }
            let bd = (0..<w.alpha).map { xi in (0..<w.alpha).reduce(0.0) { $0 + w.BT[xi][$1] * d[$1] } }
            for i in 0..<m {
                let y = (0..<w.alpha).reduce(0.0) { $0 + w.AT[i][$1] * gd[$1] * bd[$1] }
                let direct = (0..<r).reduce(0.0) { $0 + g[$1] * d[i + $1] }
                XCTAssertEqual(y, direct, accuracy: 1e-12, "F(\(m),\(r)) output \(i)")
            }
        }
    }
}
