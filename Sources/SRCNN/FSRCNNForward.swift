// FSRCNN's forward pass over LR rows: weights packed once, column tiles over the threads, each a row pipeline of
// planar feature rows (replicated margins) through the kernel family's row kernels (CFSRCNN).
import Dispatch
import CFSRCNN

extension FSRCNN {
    /// The forward pass on an LR Y plane (values 0...1): same result as `forwardReference` up to Float rounding,
    /// (scale*W) x (scale*H) out, with the `kernels` family. Packs the weights per call: run many bands or
    /// images through one `PackedFSRCNN` instead.
    public func forward(_ lr: Plane, threads: Int = 1, scratch: FSRCNNScratch = FSRCNNScratch(),
                        kernels: KernelFamily = CPUFeatures.bestKernels) throws -> Plane {
        try PackedFSRCNN(self, kernels: kernels).forward(lr, threads: threads, scratch: scratch)
    }

    /// The LR feature rows the transposed convolution reads for HR rows `rows` (clamped to the image).
    func featureRows(_ rows: Range<Int>, imageHeight h: Int) -> Range<Int> {
        let s = scale, k = deconv.kernel, p = deconvPadding
        let lo = ceilDiv(rows.lowerBound + p - k + 1, s), hi = floorDiv(rows.upperBound - 1 + p, s)
        return min(h - 1, max(0, lo))..<(min(h - 1, max(0, hi)) + 1)
    }

    /// The LR input rows `PackedFSRCNN.forward(band:)` needs for HR rows `rows` of an image `imageHeight` LR rows tall.
    public func bandInputRows(_ rows: Range<Int>, imageHeight h: Int) -> Range<Int> {
        let f = featureRows(rows, imageHeight: h), r = bodyRadius
        return max(0, f.lowerBound - r)..<min(h, f.upperBound + r)
    }
}

/// FSRCNN with its weights laid out once for the planar kernels (CFSRCNN): what a stream holds for all its bands.
/// Body layer n as ((ky * k + kx) * cin + c) * coutPadded + o, output channels padded to a multiple of 4 (zero
/// weights, bias and slopes); the deconvolution as (ky * k + kx) * d + c. The kernel family is a parameter, as for
/// SRCNN's `PackedNetwork`, not read from the CPU at each call.
///
/// Feature maps are planar per row: a row holds its channels one after another, `stride` floats apart, each with
/// `margin` pixels of replicated edge on both sides, so a kernel's reach past the border reads the clamped pixel
/// (replicate padding) and the image's top and bottom are clamped by choosing row pointers. Lanes run along x, so
/// no channel count is padded to the vector width (FSRCNN's 12 and 56 channels, the 9 phases of x3, fill them).
public struct PackedFSRCNN: Sendable {
    public let model: FSRCNN
    public let kernels: KernelFamily
    /// One body layer's packed weights, bias and PReLU slopes (padding channels 0).
    struct Layer: Sendable { let weights: [Float], bias: [Float], slopes: [Float], coutPadded: Int }
    let layers: [Layer]
    let deconvWeights: [Float]
    /// Pixels of replicated edge each side of a feature row: every kernel's reach, rounded up to 16.
    let margin: Int
    /// The transposed convolution's kernel column per (phase px, feature column offset j): tapCol[px * nj + j -
    /// jLow], or -1 where phase px has no tap at j.
    let tapCol: [Int], jLow: Int, nj: Int
    /// The largest feature column offset any phase reads.
    var jHigh: Int { jLow + nj - 1 }

    public init(_ model: FSRCNN, kernels: KernelFamily = CPUFeatures.bestKernels) {
        self.model = model
        self.kernels = kernels
        layers = model.body.enumerated().map { n, l in
            let k = l.kernel, cin = l.inChannels, cout = l.outChannels, cp = (cout + 3) / 4 * 4
            var wt = [Float](repeating: 0, count: k * k * cin * cp)
            for o in 0..<cout {
                for c in 0..<cin {
                    for r in 0..<k { for q in 0..<k { wt[((r * k + q) * cin + c) * cp + o] = l.weight(o, c, r, q) } }
                }
            }
            var bias = [Float](repeating: 0, count: cp), slope = [Float](repeating: 0, count: cp)
            for o in 0..<cout { bias[o] = l.bias[o]; slope[o] = model.slopes[n][o] }
            return Layer(weights: wt, bias: bias, slopes: slope, coutPadded: cp)
        }
        let s = model.scale, k = model.deconv.kernel, p = model.deconvPadding, d = model.deconv.inChannels
        var wt = [Float](repeating: 0, count: k * k * d)
        for c in 0..<d {
            for r in 0..<k { for q in 0..<k { wt[(r * k + q) * d + c] = model.deconv.weights[(c * k + r) * k + q] } }
        }
        deconvWeights = wt
        // Phase px (X = s*x + px) reads feature column x - j with kernel column px + p + s*j.
        let js = (0..<s).map { px in ceilDiv(-px - p, s)...floorDiv(k - 1 - px - p, s) }
        let lo = js.map(\.lowerBound).min()!, hi = js.map(\.upperBound).max()!
        var cols = [Int](repeating: -1, count: s * (hi - lo + 1))
        for px in 0..<s { for j in js[px] { cols[px * (hi - lo + 1) + j - lo] = px + p + s * j } }
        tapCol = cols; jLow = lo; nj = hi - lo + 1
        let reach = max(1, -lo, hi, model.body.map(\.radius).max() ?? 0)
        margin = (reach + 15) / 16 * 16
    }

    /// The forward pass on a whole LR Y plane; see `FSRCNN.forward(_:threads:scratch:kernels:)`.
    public func forward(_ lr: Plane, threads: Int = 1, scratch: FSRCNNScratch = FSRCNNScratch()) throws -> Plane {
        let s = model.scale
        guard lr.height > 0, lr.width > 0 else { return Plane(width: s * lr.width, height: s * lr.height) }
        return forward(band: lr, top: 0, imageHeight: lr.height, rows: 0..<(s * lr.height), threads: threads,
                       scratch: scratch)
    }

    /// HR rows `rows` (scale*W wide) of an image `imageHeight` LR rows tall, of which `input` holds LR rows
    /// `top ..< top + input.height`, at least `bandInputRows(rows, imageHeight:)`. Every pixel is computed as in
    /// a whole-image run (the same sums in the same order), so bands equal that run bit for bit. The feature maps
    /// live in `scratch`, reused from call to call (a stream passes the same one for every band).
    ///
    /// The band runs as column tiles (`tileColumns` LR columns, spread over the threads), each a row pipeline:
    /// every layer keeps only the few rows its consumer still reads in a ring, so a tile's maps stay in the
    /// core's cache instead of streaming whole band-sized maps through memory between layers.
    public func forward(band input: Plane, top: Int, imageHeight h: Int, rows: Range<Int>, threads: Int = 1,
                        scratch: FSRCNNScratch = FSRCNNScratch()) -> Plane {
        let w = input.width
        let m = model, scale = m.scale
        let need = m.bandInputRows(rows, imageHeight: h)
        precondition(rows.lowerBound >= 0 && rows.upperBound <= scale * h && need.lowerBound >= top
                     && need.upperBound <= top + input.height,
                     "PackedFSRCNN.forward(band:): HR rows \(rows) of \(scale * h) from LR rows \(top)..<\(top + input.height)")
        guard !rows.isEmpty, w > 0 else { return Plane(width: scale * w, height: rows.count) }
        // Rows each layer must produce, from the last back to the first.
        var wanted = [m.featureRows(rows, imageHeight: h)]
        for l in m.body.reversed().dropLast() {
            let r = wanted[0]
            wanted.insert(max(0, r.lowerBound - l.radius)..<min(h, r.upperBound + l.radius), at: 0)
        }
        let M = margin, S = (w + 15) / 16 * 16 + 2 * M
        let tile = max(1, min(PackedFSRCNN.tileColumns, ceilDiv(w, max(1, threads))))
        let tiles = ceilDiv(w, tile), workers = max(1, min(threads, tiles))
        // A tile's rows: its columns, every layer's extra reach, the kernels' rounding to 16 and two margins.
        let reach = m.bodyRadius + max(0, -jLow, jHigh)
        let tileStride = (tile + 2 * reach + 15) / 16 * 16 + 16 + 2 * M
        // Buffers (allocated here, before the workers run): 0 the input rows, then per worker one ring per layer.
        let first = scratch.buffer(0, count: need.count * S)
        let rings = (0..<workers).map { wk in
            layers.indices.map { n in scratch.buffer(1 + wk * layers.count + n,
                                                     count: ringRows(n) * layers[n].coutPadded * tileStride) }
        }
        input.data.withUnsafeBufferPointer { inBuf in
            FSRCNN.parallelRows(need.count, threads: threads) { part in
                for i in part {
                    let dst = first + i * S + M
                    dst.update(from: inBuf.baseAddress! + (need.lowerBound - top + i) * w, count: w)
                    fsrcnn_fill_margins(dst, 1, S, M, w, S - M - w)
                }
            }
        }
        let W = scale * w
        var out = [Float](unsafeUninitializedCapacity: rows.count * W) { _, done in done = rows.count * W }
        out.withUnsafeMutableBufferPointer { ob in
            let O = ob.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { wk in
                for t in stride(from: wk, to: tiles, by: workers) {
                    let x0 = t * tile
                    runTile(x0..<min(w, x0 + tile), input: first, inputRows: need, inputStride: S, width: w,
                            imageHeight: h, wanted: wanted, rings: rings[wk], stride: tileStride, outRows: rows,
                            out: O, outWidth: W)
                }
            }
        }
        return Plane(width: W, height: rows.count, data: out)
    }

    /// LR columns per tile: ~1.5 KB of FSRCNN(56,12,4)'s rings per column, so 512 keep a tile's ~0.8 MB in a
    /// core's L2 (2 MB on the machines measured).
    static let tileColumns = 512

    /// Rows layer n's ring holds: what its consumer reads at once (a k x k layer's k rows, the transposed
    /// convolution's row pairs), plus one.
    func ringRows(_ n: Int) -> Int {
        let m = model
        if n + 1 < m.body.count { return 2 * m.body[n + 1].radius + 1 }
        let s = m.scale, k = m.deconv.kernel, p = m.deconvPadding
        let span = (0..<s).map { py in floorDiv(py + p, s) - ceilDiv(py + p - k + 1, s) + 1 }.max()!
        return span + 1
    }

    /// One column tile `cols` of the band's HR rows `outRows`: each layer computes the columns its consumer
    /// reads (clamped to the image), row by row as they are needed, into its ring; then the transposed
    /// convolution writes HR columns scale*cols of each row.
    func runTile(_ cols: Range<Int>, input: UnsafeMutablePointer<Float>, inputRows: Range<Int>, inputStride: Int,
                 width w: Int, imageHeight h: Int, wanted: [Range<Int>], rings: [UnsafeMutablePointer<Float>],
                 stride St: Int, outRows: Range<Int>, out: UnsafeMutablePointer<Float>, outWidth W: Int) {
        let m = model, L = m.body.count, s = m.scale, k = m.deconv.kernel, p = m.deconvPadding, M = margin
        // Columns [a[n], b[n]) of layer n; a tile's pixel x of any layer sits at M + x - a[0] in its rows.
        var a = [Int](repeating: 0, count: L), b = [Int](repeating: 0, count: L)
        a[L - 1] = max(0, cols.lowerBound - jHigh); b[L - 1] = min(w, cols.upperBound - jLow)
        for n in stride(from: L - 2, through: 0, by: -1) {
            a[n] = max(0, a[n + 1] - m.body[n + 1].radius); b[n] = min(w, b[n + 1] + m.body[n + 1].radius)
        }
        let A = a[0], R = (0..<L).map(ringRows)
        /// Layer n's row y (in its ring) at column x.
        func at(_ n: Int, _ y: Int, _ x: Int) -> UnsafeMutablePointer<Float> {
            rings[n] + (y % R[n]) * layers[n].coutPadded * St + M + x - A
        }
        let convRow = kernels == .avx512 ? fsrcnn_conv_row_avx512
            : kernels == .avx2 ? fsrcnn_conv_row_avx2 : fsrcnn_conv_row_generic
        let deconvRow = kernels == .avx512 ? fsrcnn_deconv_row_avx512
            : kernels == .avx2 ? fsrcnn_deconv_row_avx2 : fsrcnn_deconv_row_generic
        var next = wanted.map(\.lowerBound)
        var taps = [UnsafePointer<Float>?](repeating: nil, count: m.body.map(\.kernel).max()!)
        /// Whether layer n's row y is computed and still in its ring.
        func inRing(_ n: Int, _ y: Int) -> Bool { y >= wanted[n].lowerBound && y < next[n] && y >= next[n] - R[n] }
        /// Computes layer n's rows up to `y` (within its wanted rows), and first the rows of n - 1 they read.
        func ensure(_ n: Int, upTo y: Int) {
            let l = m.body[n], kk = l.kernel, r = l.radius, cp = layers[n].coutPadded
            while next[n] <= min(y, wanted[n].upperBound - 1) {
                let row = next[n]
                if n > 0 { ensure(n - 1, upTo: min(h - 1, row + r)) }
                for t in 0..<kk {
                    let sy = min(h - 1, max(0, row + t - r))
                    if n == 0 {
                        precondition(inputRows.contains(sy), "FSRCNN: input row \(sy) is not in \(inputRows)")
                        taps[t] = UnsafePointer(input + (sy - inputRows.lowerBound) * inputStride + M + a[0])
                    } else {
                        precondition(inRing(n - 1, sy),
                                     "FSRCNN: layer \(n) row \(row) reads row \(sy), not in layer \(n - 1)'s ring")
                        taps[t] = UnsafePointer(at(n - 1, sy, a[n]))
                    }
                }
                let dst = at(n, row, a[n]), width = b[n] - a[n]
                layers[n].weights.withUnsafeBufferPointer { Wt in
                    layers[n].bias.withUnsafeBufferPointer { B in
                        layers[n].slopes.withUnsafeBufferPointer { Sl in
                            convRow(taps, kk, l.inChannels, St, Wt.baseAddress, B.baseAddress, Sl.baseAddress, cp,
                                    width, dst)
                        }
                    }
                }
                // Replicate padding where the tile meets the image's left and right edges.
                fsrcnn_fill_margins(dst, l.outChannels, St, a[n] == 0 ? M : 0, width,
                                    b[n] == w ? St - M - (b[n] - A) : 0)
                next[n] += 1
            }
        }
        var feature: [UnsafePointer<Float>?] = [], tapRow: [Int] = []
        deconvWeights.withUnsafeBufferPointer { Wt in
            tapCol.withUnsafeBufferPointer { T in
                for (j, Y) in outRows.enumerated() {
                    let ys = ceilDiv(Y + p - k + 1, s)...floorDiv(Y + p, s)
                    ensure(L - 1, upTo: min(h - 1, ys.upperBound))
                    feature.removeAll(keepingCapacity: true); tapRow.removeAll(keepingCapacity: true)
                    for y in ys {
                        let fy = min(h - 1, max(0, y))
                        precondition(inRing(L - 1, fy), "FSRCNN deconvolution: row \(fy) is not in the last layer's ring")
                        feature.append(UnsafePointer(at(L - 1, fy, cols.lowerBound)))
                        tapRow.append(Y - s * y + p)
                    }
                    deconvRow(feature, tapRow, feature.count, m.deconv.inChannels, St, Wt.baseAddress, k, s,
                              T.baseAddress, jLow, nj, m.deconv.bias[0], cols.count, out + j * W + s * cols.lowerBound)
                }
            }
        }
    }
}

extension FSRCNN {
    /// Rows 0..<count split into `threads` contiguous parts, run in parallel.
    static func parallelRows(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(threads, count))
        DispatchQueue.concurrentPerform(iterations: parts) { t in
            body((count * t / parts)..<(count * (t + 1) / parts))
        }
    }
}

/// FSRCNN's buffers, kept across `forward(band:)` calls: the band's input rows and each worker's per-layer rings.
/// They only grow, so a stream allocates (and the kernel first-touches) them once instead of once per band (on a
/// 2-core VM those page faults cost as much as the network itself).
public final class FSRCNNScratch: @unchecked Sendable {
    private var buffers: [(pointer: UnsafeMutablePointer<Float>, count: Int)] = []
    public init() {}
    deinit { for b in buffers { b.pointer.deallocate() } }

    /// Buffer `i` with room for at least `count` floats. New buffers are zeroed: the kernels' rounding of a row
    /// to 16 pixels reads floats no result depends on, and zeros there cannot be slow denormals.
    func buffer(_ i: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= i { buffers.append((UnsafeMutablePointer<Float>.allocate(capacity: 1), 1)) }
        if buffers[i].count < count {
            buffers[i].pointer.deallocate()
            buffers[i] = (UnsafeMutablePointer<Float>.allocate(capacity: count), count)
            buffers[i].pointer.initialize(repeating: 0, count: count)
        }
        return buffers[i].pointer
    }
}
