// Fast forward pass of a network over one image region: replicate padding, then per-layer plans (OpenBLAS GEMMs,
// Winograd, or a vector kernel family's direct and Winograd kernels).
import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SRCNNKernelsAVX512
import SRCNNKernelsAVX2

/// A growable, reusable, 64-byte aligned Float scratch buffer (one per worker thread).
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 16
        pointer = ScratchBuffer.allocate(capacity)
    }
    deinit { free(pointer) }

    private static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(1, n) * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating \(n) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    /// A pointer to at least `n` floats; old contents are not kept.
    func reserve(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            free(pointer)
            capacity = max(n, capacity + capacity / 2)
            pointer = ScratchBuffer.allocate(capacity)
        }
        return pointer
    }
}

/// Per-thread working memory for `PackedNetwork.forward(region:...)`.
final class ForwardWorkspace {
    let padded = ScratchBuffer()     // layer input, replicate-padded, (Cin, Hp*Wp + slack)
    let expanded = ScratchBuffer()   // shifted copies of the padded input (the GEMM's B matrix)
    let gemmOut = ScratchBuffer()    // layer output before cropping, (Cout, Ho*Wp)
    let winograd = WinogradWorkspace()
    private var offsetStorage = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    private var offsetCapacity = 64
    deinit { offsetStorage.deallocate() }

    /// Room for `n` row offsets of the implicit GEMM.
    func offsets(_ n: Int) -> UnsafeMutablePointer<Int> {
        if offsetCapacity < n {
            offsetStorage.deallocate()
            offsetStorage = .allocate(capacity: n)
            offsetCapacity = n
        }
        return offsetStorage
    }
}

/// How one layer turns into GEMMs. `full`: one GEMM with K = Cin*k*k (im2col in row-shift form);
/// `rows`: k GEMMs with K = Cin*k, one per kernel row, sharing one expanded buffer; `direct`: 1x1 kernels.
/// `winograd`: F(m x m, k x k) transforms around α² small GEMMs (fewer multiplications).
/// `vectorDirect`: the family's register-blocked kernel reading shifted rows of the padded input directly (no
/// copies); `vectorWinograd`: the family's channel-last Winograd (AVX-512 or AVX2, `PackedNetwork.kernels`).
enum GEMMPlan: Equatable { case full, rows, direct, winograd, vectorDirect, vectorWinograd }

/// Weights rearranged once for the GEMM plan of each layer.
struct PackedLayer {
    let layer: ConvLayer
    let plan: GEMMPlan
    /// full/direct: (Cout, Cin*k*k) = the (out, in, kh, kw) weights as they are.
    /// rows: k blocks, block r = (Cout, Cin*k) holding w[o, c, r, s] at [o][c*k + s].
    let packed: [Float]
    var winograd: WinogradLayer? = nil
    var vectorWinograd: VectorWinogradLayer? = nil
}

/// A network prepared for the fast path.
public struct PackedNetwork: @unchecked Sendable {
    public let kernels: KernelFamily
    /// Winograd output tile per kernel size for the vector families (accuracy checked against the reference in tests):
    /// F(6x6, 3x3) and F(4x4, 5x5), both 8x8 input tiles.
    public static let defaultWinogradTiles: [Int: Int] = [3: 6, 5: 4]

    public let network: Network
    let layers: [PackedLayer]

    /// `fullLimit`: layers with Cin*k*k up to this use one big GEMM, larger ones use per-row GEMMs.
    /// `winogradTiles`: kernel size -> Winograd output tile m, used for layers with at least
    /// `winogradMinInputs` input channels (empty: plain GEMMs only).
    public init(_ network: Network, fullLimit: Int = 576,
                winogradTiles: [Int: Int]? = nil, winogradMinInputs: Int = 16,
                kernels: KernelFamily = CPUFeatures.bestKernels) {
        self.network = network
        self.kernels = kernels
        // OpenBLAS results depend on where a column falls in its blocking, so Winograd there would make
        // tiles differ in the last bits; it is opt-in for that family.
        let vector = kernels != .openblas
        let winogradTiles = winogradTiles ?? (vector ? PackedNetwork.defaultWinogradTiles : [:])
        layers = network.layers.map { l in
            let k = l.kernel
            if vector, let m = winogradTiles[k], l.inChannels >= winogradMinInputs,
               l.inChannels % VectorWinogradLayer.cinMultiple(kernels) == 0,
               l.outChannels % VectorWinogradLayer.coutMultiple(kernels) == 0 {
                return PackedLayer(layer: l, plan: .vectorWinograd, packed: [],
                                   vectorWinograd: VectorWinogradLayer(l, m: m, family: kernels))
            }
            if vector {   // every other layer: the family's direct kernel
                // Transposed weights: row (c, r, s) holds the Cout weights of that tap.
                let K = l.inChannels * k * k
                var at = [Float](repeating: 0, count: K * l.outChannels)
                for o in 0..<l.outChannels { for kk in 0..<K { at[kk * l.outChannels + o] = l.weights[o * K + kk] } }
                return PackedLayer(layer: l, plan: .vectorDirect, packed: at)
            }
            if k == 1 { return PackedLayer(layer: l, plan: .direct, packed: l.weights) }
            if let m = winogradTiles[k], l.inChannels >= winogradMinInputs {
                return PackedLayer(layer: l, plan: .winograd, packed: [], winograd: WinogradLayer(l, m: m))
            }
            if l.inChannels * k * k <= fullLimit { return PackedLayer(layer: l, plan: .full, packed: l.weights) }
            var w = [Float](repeating: 0, count: l.weights.count)
            let kk = l.inChannels * k
            for r in 0..<k {
                for o in 0..<l.outChannels {
                    for c in 0..<l.inChannels {
                        for s in 0..<k {
                            w[(r * l.outChannels + o) * kk + c * k + s] = l.weight(o, c, r, s)
                        }
                    }
                }
            }
            return PackedLayer(layer: l, plan: .rows, packed: w)
        }
    }
}

/// Which sides of a region lie on the image border (and so get replicate padding at every layer).
/// An inner side instead carries `receptiveRadius` pixels of real context, consumed layer by layer.
public struct BorderSides: Equatable, Sendable {
    public var top, bottom, left, right: Bool
    public init(top: Bool, bottom: Bool, left: Bool, right: Bool) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
}

extension PackedNetwork {
    /// Winograd output tile of each layer (1 for other plans).
    var winogradTile: [Int] { layers.map { $0.winograd?.m ?? $0.vectorWinograd?.m ?? 1 } }

    /// Output tiles of the tiled forward pass are a multiple of this (the lcm of the Winograd tiles).
    public var tileMultiple: Int {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        return winogradTile.reduce(1) { $0 / gcd($0, $1) * $1 }
    }

    /// Context pixels per inner tile side: the receptive radius, raised until every Winograd layer's output
    /// starts on a multiple of its tile (so tiles and whole-image runs use the same Winograd tiling).
    public var halo: Int {
        let R = network.receptiveRadius, ms = winogradTile
        for H in R..<(R + 64 * tileMultiple) {
            var used = 0, ok = true
            for (l, m) in zip(network.layers, ms) {
                used += l.radius
                if (H - used) % m != 0 { ok = false; break }
            }
            if ok { return H }
        }
        return R
    }

    /// Runs the network on an `h` x `w` single-channel region (row stride `stride`).
    /// Returns the output size; the output, row-major without padding, is written to `out`,
    /// which must hold (h - inner rows*R) x (w - inner cols*R) floats.
    @discardableResult
    func forward(region input: UnsafePointer<Float>, height h0: Int, width w0: Int, stride: Int,
                 borders: BorderSides, workspace ws: ForwardWorkspace,
                 output out: UnsafeMutablePointer<Float>) -> (height: Int, width: Int) {
        // Source of the current layer: sample (c, y, x) at src[c*srcCS + y*srcRS + x*srcXS], size h x w.
        var src = UnsafeMutablePointer(mutating: input)
        var srcCS = 0, srcRS = stride, srcXS = 1, h = h0, w = w0
        var prevBias: [Float]? = nil     // bias + ReLU of the previous layer, applied while padding
        for (n, pl) in layers.enumerated() {
            let l = pl.layer, k = l.kernel, p = l.radius, cin = l.inChannels, cout = l.outChannels
            let pt = borders.top ? p : 0, pb = borders.bottom ? p : 0
            let pL = borders.left ? p : 0, pR = borders.right ? p : 0
            let hp0 = h + pt + pb, wp0 = w + pL + pR
            let ho = hp0 - k + 1, wo = wp0 - k + 1
            precondition(ho > 0 && wo > 0, "region too small for the network")
            // Winograd works on whole tiles: extend the padded input down and right (replicated; the extra
            // outputs are cropped).
            let m = pl.winograd?.m ?? pl.vectorWinograd?.m ?? 1
            let hp = max(hp0, ((ho + m - 1) / m) * m + k - 1), wp = max(wp0, ((wo + m - 1) / m) * m + k - 1)
            // 1. Padded input with the previous layer's bias and ReLU applied: channel-first
            //    (Cin, Hp*Wp + slack) or, for the vector Winograd layers, channel-last (Hp, Wp, Cin).
            let channelLast = pl.plan == .vectorWinograd
            let cs = channelLast ? 1 : hp * wp + k + 64    // slack: kernels read whole 32-wide blocks past the end
            let xs = channelLast ? cin : 1, rs = wp * xs
            let P = ws.padded.reserve(channelLast ? hp * wp * cin : cin * cs)   // the previous P is dead
            pad(src: src, cs: srcCS, rs: srcRS, xs: srcXS, h: h, w: w, channels: cin, bias: prevBias,
                dst: P, dcs: cs, drs: rs, dxs: xs, hp: hp, wp: wp, top: pt, left: pL)
            if !channelLast {
                for c in 0..<cin { for i in 0..<(k + 64) { P[c * cs + hp * wp + i] = 0 } }
            }
            // 2. The layer's products.
            switch pl.plan {
            case .vectorWinograd:
                let wl = pl.vectorWinograd!
                let o = wl.run(P, rowStride: rs, ho: ho, wo: wo, workspace: ws.winograd, output: ws.gemmOut)
                src = o.pointer; srcCS = 1; srcRS = o.rowStride; srcXS = cout
            case .winograd:
                let wl = pl.winograd!
                let nty = (ho + wl.m - 1) / wl.m, ntx = (wo + wl.m - 1) / wl.m
                let O = ws.gemmOut.reserve(cout * nty * wl.m * ntx * wl.m)
                let st = wl.run(P, cs: cs, ldp: wp, ho: ho, wo: wo, workspace: ws.winograd, output: O)
                src = O; srcCS = st.channelStride; srcRS = st.rowStride; srcXS = 1
            case .vectorDirect:
                let block = kernels == .avx512 ? avx512DirectConvBlock : avx2DirectConvBlock
                let K = cin * k * k, N = (ho * wp + block - 1) / block * block
                let O = ws.gemmOut.reserve(cout * N)
                let offs = ws.offsets(K)
                for c in 0..<cin { for r in 0..<k { for s in 0..<k { offs[(c * k + r) * k + s] = c * cs + r * wp + s } } }
                // Feeding a channel-last (Winograd) layer: write channel-last, so its padding is a plain copy.
                let nextChannelLast = n + 1 < layers.count && layers[n + 1].plan == .vectorWinograd
                    && cout % VectorWinogradLayer.coutMultiple(kernels) == 0
                pl.packed.withUnsafeBufferPointer { at in
                    switch (kernels, nextChannelLast) {
                    case (.avx512, true):
                        avx512DirectConvChannelLast(m: cout, k: K, n: ho * wp, w: at.baseAddress!, base: P,
                                                    offsets: offs, c: O, ldc: cout)
                    case (.avx512, false):
                        avx512DirectConv(m: cout, k: K, n: N, at: at.baseAddress!, base: P, offsets: offs,
                                         c: O, ldc: N, accumulate: false)
                    case (_, true):
                        avx2DirectConvChannelLast(m: cout, k: K, n: ho * wp, w: at.baseAddress!, base: P,
                                                  offsets: offs, c: O, ldc: cout)
                    case (_, false):
                        avx2DirectConv(m: cout, k: K, n: N, at: at.baseAddress!, base: P, offsets: offs,
                                       c: O, ldc: N, accumulate: false)
                    }
                }
                if nextChannelLast { src = O; srcCS = 1; srcRS = wp * cout; srcXS = cout }
                else { src = O; srcCS = N; srcRS = wp; srcXS = 1 }
            case .direct, .full, .rows:
                // GEMMs into O (Cout, Ho*Wp); columns x >= wo of each row are junk and never read.
                let L = ho * wp
                let O = ws.gemmOut.reserve(cout * L)
                pl.packed.withUnsafeBufferPointer { wts in
                    let A = wts.baseAddress!
                    switch pl.plan {
                    case .direct:
                        srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_NO_TRANS, Int32(cout), Int32(L), Int32(cin),
                                    1, A, Int32(cin), P, Int32(cs), 0, O, Int32(L))
                    case .full:
                        let K = cin * k * k
                        let E = ws.expanded.reserve(K * L)
                        for c in 0..<cin {
                            for r in 0..<k {
                                for s in 0..<k {
                                    (E + ((c * k + r) * k + s) * L).update(from: P + c * cs + r * wp + s, count: L)
                                }
                            }
                        }
                        srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_NO_TRANS, Int32(cout), Int32(L), Int32(K),
                                    1, A, Int32(K), E, Int32(L), 0, O, Int32(L))
                    default:   // .rows
                        let K = cin * k, LE = hp * wp
                        let E = ws.expanded.reserve(K * LE)
                        for c in 0..<cin {
                            for s in 0..<k {
                                (E + (c * k + s) * LE).update(from: P + c * cs + s, count: LE)
                            }
                        }
                        for r in 0..<k {
                            srcnn_sgemm(SRCNN_BLAS_NO_TRANS, SRCNN_BLAS_NO_TRANS, Int32(cout), Int32(L), Int32(K),
                                        1, A + r * cout * K, Int32(K), E + r * wp, Int32(LE),
                                        r == 0 ? 0 : 1, O, Int32(L))
                        }
                    }
                }
                src = O; srcCS = L; srcRS = wp; srcXS = 1
            }
            h = ho; w = wo
            prevBias = l.bias
            if n == layers.count - 1 {
                // The last layer's output plus its bias, cropped to h x w.
                let b = l.bias[0]
                for y in 0..<h {
                    for x in 0..<w { out[y * w + x] = src[y * srcRS + x * srcXS] + b }
                }
            }
        }
        return (h, w)
    }

    /// Copies an h x w x channels source into a replicate-padded hp x wp destination whose pixel (0, 0)
    /// comes from source (-top, -left) (clamped), applying `bias` and ReLU when given. Strides in floats.
    private func pad(src: UnsafePointer<Float>, cs: Int, rs: Int, xs: Int, h: Int, w: Int, channels: Int,
                     bias: [Float]?, dst: UnsafeMutablePointer<Float>, dcs: Int, drs: Int, dxs: Int,
                     hp: Int, wp: Int, top: Int, left: Int) {
        let relu = bias != nil
        // Source column of each destination column (clamped: replicate padding, and the Winograd overhang).
        var sx = [Int](repeating: 0, count: wp)
        for x in 0..<wp { sx[x] = min(w - 1, max(0, x - left)) }
        let zero = [Float](repeating: 0, count: channels)
        sx.withUnsafeBufferPointer { sxp in
        (bias ?? zero).withUnsafeBufferPointer { bp in
            for yy in 0..<hp {
                let sy = min(h - 1, max(0, yy - top))
                if dcs == 1 && cs == 1 {
                    // Channel-last to channel-last (between Winograd layers): contiguous, vectorizable rows.
                    let b = bp.baseAddress!
                    for x in 0..<wp {
                        let s = src + sy * rs + sxp[x] * xs
                        let d = dst + yy * drs + x * dxs
                        if relu { for c in 0..<channels { d[c] = max(0, s[c] + b[c]) } }
                        else { d.update(from: s, count: channels) }
                    }
                } else if dcs == 1 {
                    // Channel-last destination: contiguous channels per pixel.
                    for x in 0..<wp {
                        let s = src + sy * rs + sxp[x] * xs
                        let d = dst + yy * drs + x * dxs
                        if relu { for c in 0..<channels { d[c] = max(0, s[c * cs] + bias![c]) } }
                        else { for c in 0..<channels { d[c] = s[c * cs] } }
                    }
                } else {
                    for c in 0..<channels {
                        let b: Float = bias?[c] ?? 0
                        let s = src + c * cs + sy * rs
                        let d = dst + c * dcs + yy * drs
                        if relu {
                            if xs == 1 {
                                for x in 0..<w { d[left + x] = max(0, s[x] + b) }
                                let first = d[left], last = d[left + w - 1]
                                for x in 0..<left { d[x] = first }
                                for x in (left + w)..<wp { d[x] = last }
                            } else {
                                for x in 0..<wp { d[x] = max(0, s[sxp[x] * xs] + b) }
                            }
                        } else {
                            for x in 0..<wp { d[x] = s[sxp[x] * xs] }
                        }
                    }
                }
            }
        } }
    }
}
