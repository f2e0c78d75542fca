// Winograd F(m x m, r x r) convolution of one layer: transforms (C for 8 x 8 tiles) and the α² small GEMMs.
import CBLAS
import CWinograd
import SRCNNKernelsAVX512
import SRCNNKernelsAVX2

/// A conv layer prepared for Winograd: kernels pre-transformed (U = G g Gᵀ) once.
struct WinogradLayer {
    let m: Int, r: Int, alpha: Int
    let cin: Int, cout: Int
    let bt: [Float]   // α x α, Bᵀ
    let at: [Float]   // m x α, Aᵀ
    let u: [Float]    // α² blocks of (Cout, Cin)

    init(_ layer: ConvLayer, m: Int) {
        let w = WinogradMatrices(m: m, r: layer.kernel)
        self.m = m; r = layer.kernel; alpha = w.alpha; cin = layer.inChannels; cout = layer.outChannels
        bt = w.BT.flatMap { $0.map(Float.init) }
        at = w.AT.flatMap { $0.map(Float.init) }
        u = WinogradLayer.transformKernels(layer, w, channelLastInputs: false)
    }

    /// U = G g Gᵀ for every (o, c): α² blocks laid out (Cout, Cin), or (Cin, Cout) when `channelLastInputs`.
    static func transformKernels(_ layer: ConvLayer, _ w: WinogradMatrices, channelLastInputs: Bool) -> [Float] {
        let a = w.alpha, k = layer.kernel, cin = layer.inChannels, cout = layer.outChannels
        var u = [Float](repeating: 0, count: a * a * cout * cin)
        for o in 0..<cout {
            for c in 0..<cin {
                // G g Gᵀ in Double.
                var gg = [Double](repeating: 0, count: a * k)       // (G g): α x r
                for xi in 0..<a { for s in 0..<k {
                    var acc = 0.0
                    for rr in 0..<k { acc += w.G[xi][rr] * Double(layer.weight(o, c, rr, s)) }
                    gg[xi * k + s] = acc
                } }
                for xy in 0..<a { for xx in 0..<a {
                    var acc = 0.0
                    for s in 0..<k { acc += gg[xy * k + s] * w.G[xx][s] }
                    let xi = xy * a + xx
                    u[channelLastInputs ? (xi * cin + c) * cout + o : (xi * cout + o) * cin + c] = Float(acc)
                } }
            }
        }
        return u
    }

    /// Valid correlation of `P` (Cin channels, channel stride `cs`, row stride `ldp`, at least
    /// ceil(ho/m)·m + r - 1 rows and ceil(wo/m)·m + r - 1 cols: whole tiles) into `O` (Cout channels of (ceil(ho/m)·m) rows x (ceil(wo/m)·m) cols,
    /// row stride ceil(wo/m)·m). Returns O's row stride and channel stride.
    func run(_ P: UnsafePointer<Float>, cs: Int, ldp: Int, ho: Int, wo: Int,
             workspace ws: WinogradWorkspace, output O: UnsafeMutablePointer<Float>) -> (rowStride: Int, channelStride: Int) {
        let a = alpha, nty = (ho + m - 1) / m, ntx = (wo + m - 1) / m, T = nty * ntx
        let rows = nty * m + r - 1, cols = ntx * m + r - 1
        let kq = (cols + m - 1) / m                   // length of each de-interleaved phase
        let V = ws.v.reserve(a * a * cin * T)
        let H = ws.h.reserve(rows * a * ntx)
        let Q = ws.q.reserve(m * kq)
        bt.withUnsafeBufferPointer { btp in
            at.withUnsafeBufferPointer { _ in
                for c in 0..<cin {
                    // Horizontal pass on every row: H[y][ξx][tx] = Σ_j Bᵀ[ξx][j] P[y][tx·m + j].
                    for y in 0..<rows {
                        let row = P + c * cs + y * ldp
                        for phase in 0..<m {
                            let q = Q + phase * kq
                            var k = 0
                            while k * m + phase < cols { q[k] = row[k * m + phase]; k += 1 }
                            while k < kq { q[k] = 0; k += 1 }
                        }
                        for xx in 0..<a {
                            let dst = H + (y * a + xx) * ntx
                            var first = true
                            for j in 0..<a {
                                let coef = btp[xx * a + j]
                                if coef == 0 { continue }
                                let src = Q + (j % m) * kq + j / m
                                if first { for t in 0..<ntx { dst[t] = coef * src[t] }; first = false }
                                else { for t in 0..<ntx { dst[t] += coef * src[t] } }
                            }
                            if first { for t in 0..<ntx { dst[t] = 0 } }
                        }
                    }
                    // Vertical pass per tile row: V[ξy·α+ξx][c][ty·ntx + tx] = Σ_i Bᵀ[ξy][i] H[ty·m + i][ξx][tx].
                    for ty in 0..<nty {
                        for xy in 0..<a {
                            for xx in 0..<a {
                                let dst = V + ((xy * a + xx) * cin + c) * T + ty * ntx
                                var first = true
                                for i in 0..<a {
                                    let coef = btp[xy * a + i]
                                    if coef == 0 { continue }
                                    let src = H + ((ty * m + i) * a + xx) * ntx
                                    if first { for t in 0..<ntx { dst[t] = coef * src[t] }; first = false }
                                    else { for t in 0..<ntx { dst[t] += coef * src[t] } }
                                }
                                if first { for t in 0..<ntx { dst[t] = 0 } }
                            }
                        }
                    }
                }
            }
        }
        // α² GEMMs: M_ξ (Cout, T) = U_ξ (Cout, Cin) x V_ξ (Cin, T).
        let Mb = ws.mbuf.reserve(a * a * cout * T)
        u.withUnsafeBufferPointer { up in
            for xi in 0..<(a * a) {
                srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_NO_TRANS, Int32(cout), Int32(T), Int32(cin),
                            1, up.baseAddress! + xi * cout * cin, Int32(cin), V + xi * cin * T, Int32(T),
                            0, Mb + xi * cout * T, Int32(T))
            }
        }
        // Output transform: Y = Aᵀ M A per tile, written de-tiled into O.
        let ldo = ntx * m, ocs = nty * m * ldo
        let Z = ws.h.reserve(m * a * ntx)
        let tmp = ws.q.reserve(ntx)
        at.withUnsafeBufferPointer { atp in
            for o in 0..<cout {
                for ty in 0..<nty {
                    for i in 0..<m {
                        for xx in 0..<a {
                            let dst = Z + (i * a + xx) * ntx
                            var first = true
                            for xy in 0..<a {
                                let coef = atp[i * a + xy]
                                if coef == 0 { continue }
                                let src = Mb + ((xy * a + xx) * cout + o) * T + ty * ntx
                                if first { for t in 0..<ntx { dst[t] = coef * src[t] }; first = false }
                                else { for t in 0..<ntx { dst[t] += coef * src[t] } }
                            }
                            if first { for t in 0..<ntx { dst[t] = 0 } }
                        }
                    }
                    for i in 0..<m {
                        let orow = O + o * ocs + (ty * m + i) * ldo
                        for jj in 0..<m {
                            var first = true
                            for xx in 0..<a {
                                let coef = atp[jj * a + xx]
                                if coef == 0 { continue }
                                let src = Z + (i * a + xx) * ntx
                                if first { for t in 0..<ntx { tmp[t] = coef * src[t] }; first = false }
                                else { for t in 0..<ntx { tmp[t] += coef * src[t] } }
                            }
                            if first { for t in 0..<ntx { tmp[t] = 0 } }
                            for t in 0..<ntx { orow[t * m + jj] = tmp[t] }
                        }
                    }
                }
            }
        }
        return (ldo, ocs)
    }
}

/// Scratch memory for `WinogradLayer.run`, one per worker thread.
final class WinogradWorkspace {
    let v = ScratchBuffer(), h = ScratchBuffer(), q = ScratchBuffer(), mbuf = ScratchBuffer()
}

/// A conv layer for a vector family's Winograd path (AVX-512 or AVX2): channel-last input and output, Cin and
/// Cout multiples of `cinMultiple` / `coutMultiple` (the family's vector width; the GEMM's column block).
struct VectorWinogradLayer {
    let m: Int, r: Int, alpha: Int, cin: Int, cout: Int
    let family: KernelFamily
    let bt: SparseRows, at: SparseRows
    let u: [Float]    // α² blocks of (Cin, Cout)

    static func cinMultiple(_ f: KernelFamily) -> Int { f == .avx512 ? 16 : 8 }
    /// Tests: run the Swift SparseRows transforms for 8 x 8 tiles too (the readable form of the same matrices).
    nonisolated(unsafe) static var swiftTransforms = false
    static func coutMultiple(_ f: KernelFamily) -> Int { f == .avx512 ? 32 : 16 }

    init(_ layer: ConvLayer, m: Int, family: KernelFamily) {
        precondition(family != .openblas, "the vector Winograd path needs a vector family")
        let w = WinogradMatrices(m: m, r: layer.kernel)
        self.m = m; r = layer.kernel; alpha = w.alpha; cin = layer.inChannels; cout = layer.outChannels
        self.family = family
        bt = SparseRows(w.BT.flatMap { $0.map(Float.init) }, rows: w.alpha, cols: w.alpha)
        at = SparseRows(w.AT.flatMap { $0.map(Float.init) }, rows: m, cols: w.alpha)
        u = WinogradLayer.transformKernels(layer, w, channelLastInputs: true)
    }

    /// Tiles per block of the 8 x 8 path: V and M of one block (64·tiles·(cin + cout) floats) stay in the core's
    /// L2 between the transforms and the GEMMs. Results do not depend on it. 16: the best of 8…64 for 9-5-5 and
    /// 9-3-5 on an Intel Xeon model 207 (2 MB L2); 16–24 measured equal within noise.
    nonisolated(unsafe) static var blockTiles = 16

    /// Valid correlation of channel-last `P` (row stride `rowStride`, whole tiles available) into `output`:
    /// channel-last (ceil(ho/m)·m) x (ceil(wo/m)·m) x Cout. Returns the output and its row stride.
    func run(_ P: UnsafePointer<Float>, rowStride: Int, ho: Int, wo: Int, workspace ws: WinogradWorkspace,
             output: ScratchBuffer) -> (pointer: UnsafeMutablePointer<Float>, rowStride: Int) {
        let a = alpha, nty = (ho + m - 1) / m, ntx = (wo + m - 1) / m, T = nty * ntx
        let wide = family == .avx512
        let gemm = wide ? avx512GemmRowA : avx2GemmRowA
        let ldo = ntx * m * cout
        let O = output.reserve(nty * m * ldo)
        // 8 x 8 tiles (F(6x6, 3x3), F(4x4, 5x5)): the C transforms with the constants folded (CWinograd), a
        // block of tiles at a time, so V and M are read back from L2 rather than memory.
        if a == 8 && (m == 4 || m == 6) && !VectorWinogradLayer.swiftTransforms {
            let tb = min(T, max(1, VectorWinogradLayer.blockTiles))
            let vs = winogradBlockStride(tiles: tb, channels: cin), ms = winogradBlockStride(tiles: tb, channels: cout)
            let V = ws.v.reserve(64 * vs), M = ws.mbuf.reserve(64 * ms)
            let input = wide ? srcnn_wino8_input_avx512 : srcnn_wino8_input_avx2
            let transformOut = wide ? srcnn_wino8_output_avx512 : srcnn_wino8_output_avx2
            u.withUnsafeBufferPointer { up in
                var t0 = 0
                while t0 < T {
                    let nt = min(tb, T - t0)
                    input(P, rowStride, cin, m, ntx, t0, nt, V, vs)
                    // (m, k, n, a, lda, b, ldb, c, ldc)
                    for xi in 0..<64 {
                        gemm(nt, cin, cout, V + xi * vs, cin, up.baseAddress! + xi * cin * cout, cout,
                             M + xi * ms, cout)
                    }
                    transformOut(M, ms, cout, m, ntx, t0, nt, O, ldo)
                    t0 += nt
                }
            }
            return (O, ldo)
        }
        // Other tiles: the family's SparseRows transforms over all tiles at once.
        let input = wide ? avx512WinogradInput : avx2WinogradInput
        let transformOut = wide ? avx512WinogradOutput : avx2WinogradOutput
        let vs = winogradBlockStride(tiles: T, channels: cin), ms = winogradBlockStride(tiles: T, channels: cout)
        let V = ws.v.reserve(a * a * vs)
        let scratch = ws.q.reserve(a * a * 16)
        // (alpha, m, bt, cin, P, rowStride, nty, ntx, V, scratch)
        input(a, m, bt, cin, P, rowStride, nty, ntx, V, scratch)
        let M = ws.mbuf.reserve(a * a * ms)
        u.withUnsafeBufferPointer { up in
            for xi in 0..<(a * a) {
                gemm(T, cin, cout, V + xi * vs, cin, up.baseAddress! + xi * cin * cout, cout, M + xi * ms, cout)
            }
        }
        // (alpha, m, at, cout, nty, ntx, M, O, oRowStride, scratch)
        transformOut(a, m, at, cout, nty, ntx, M, O, ldo, scratch)
        return (O, ldo)
    }
}
