// The C Winograd transforms for 8 x 8 tiles (every family this CPU runs) against WinogradMatrices, in Double.
import CWinograd
import SRCNN
import XCTest

final class WinogradTransformTests: XCTestCase {
    typealias Input = (UnsafePointer<Float>?, Int, Int, Int, Int, Int, Int, UnsafeMutablePointer<Float>?, Int) -> Void
    typealias Output = (UnsafePointer<Float>?, Int, Int, Int, Int, Int, Int, UnsafeMutablePointer<Float>?, Int) -> Void

    func sets() -> [(String, Input, Output)] {
        var s: [(String, Input, Output)] = [("generic", srcnn_wino8_input_generic, srcnn_wino8_output_generic)]
        if CPUFeatures.supports(.avx2) { s.append(("avx2", srcnn_wino8_input_avx2, srcnn_wino8_output_avx2)) }
        else { print("SKIP: this CPU does not run the avx2 transforms") }
        if CPUFeatures.supports(.avx512) { s.append(("avx512", srcnn_wino8_input_avx512, srcnn_wino8_output_avx512)) }
        else { print("SKIP: this CPU does not run the avx512 transforms") }
        return s
    }

    /// The larger error, NaN (an output never written) winning.
    func worse(_ a: Double, _ b: Double) -> Double { b.isNaN || b > a ? b : a }

    func random(_ n: Int, seed: UInt64) -> [Float] {
        var g = SplitMix(seed)
        return (0..<n).map { _ in Float(g.next() % 2001) / 1000 - 1 }
    }

    /// V = Bᵀ d B per tile and channel for both tiles with 8 x 8 inputs (error relative to
    /// the sum of |terms|; the output starts as NaN, so a value never written fails).
    func testInputTransformEqualsBTdB() {
        for (m, r) in [(4, 5), (6, 3)] {
            let w = WinogradMatrices(m: m, r: r)
            let cin = 16, nty = 2, ntx = 3, T = nty * ntx, rows = nty * m + 8, cols = ntx * m + 8
            let ldp = cols * cin, vs = T * cin + 16
            let P = random(rows * ldp, seed: UInt64(m))
            for (name, input, _) in sets() {
                var V = [Float](repeating: .nan, count: 64 * vs)
                // In two blocks of tiles (0 ..< 4, 4 ..< 6), each written from its own base.
                V.withUnsafeMutableBufferPointer { v in
                    input(P, ldp, cin, m, ntx, 0, 4, v.baseAddress!, vs)
                    input(P, ldp, cin, m, ntx, 4, T - 4, v.baseAddress! + 4 * cin, vs)
                }
                var worst = 0.0
                for ty in 0..<nty { for tx in 0..<ntx { for c in 0..<cin { for a in 0..<8 { for b in 0..<8 {
                    var acc = 0.0, mag = 1.0
                    for i in 0..<8 { for j in 0..<8 {
                        let p = w.BT[a][i] * w.BT[b][j] * Double(P[(ty * m + i) * ldp + (tx * m + j) * cin + c])
                        acc += p; mag += abs(p)
                    } }
                    worst = worse(worst, abs(acc - Double(V[(a * 8 + b) * vs + (ty * ntx + tx) * cin + c])) / mag)
                } } } } }
                XCTAssertLessThanOrEqual(worst, 1e-6, "F(\(m), \(r)) input, \(name)")
            }
        }
    }

    /// Y = Aᵀ M A per tile and channel, written channel-last at the tile's pixels.
    func testOutputTransformEqualsATMA() {
        for (m, r) in [(4, 5), (6, 3)] {
            let w = WinogradMatrices(m: m, r: r)
            let cout = 16, nty = 2, ntx = 3, T = nty * ntx, ms = T * cout + 16, ldo = ntx * m * cout
            let M = random(64 * ms, seed: UInt64(10 + m))
            for (name, _, output) in sets() {
                var O = [Float](repeating: .nan, count: nty * m * ldo)
                M.withUnsafeBufferPointer { mp in
                    output(mp.baseAddress!, ms, cout, m, ntx, 0, 4, &O, ldo)
                    output(mp.baseAddress! + 4 * cout, ms, cout, m, ntx, 4, T - 4, &O, ldo)
                }
                var worst = 0.0
                for ty in 0..<nty { for tx in 0..<ntx { for o in 0..<cout { for i in 0..<m { for j in 0..<m {
                    var acc = 0.0, mag = 1.0
                    for a in 0..<8 { for b in 0..<8 {
                        let p = w.AT[i][a] * w.AT[j][b] * Double(M[(a * 8 + b) * ms + (ty * ntx + tx) * cout + o])
                        acc += p; mag += abs(p)
                    } }
                    worst = worse(worst, abs(acc - Double(O[(ty * m + i) * ldo + (tx * m + j) * cout + o])) / mag)
                } } } } }
                XCTAssertLessThanOrEqual(worst, 1e-6, "F(\(m), \(r)) output, \(name)")
            }
        }
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var s: UInt64
    init(_ seed: UInt64) { s = seed }
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
