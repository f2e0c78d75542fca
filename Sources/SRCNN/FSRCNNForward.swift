// FSRCNN's forward pass over LR rows: weights packed once per kernel family, channel-last maps (channels padded to
// vectors of 8), rows threaded.
import Dispatch
import SRCNNKernelsAVX512
import SRCNNKernelsAVX2

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

/// FSRCNN with its weights laid out once for one kernel family's kernels (body layers as (ky, kx, c, o) with o
/// padded to vectors of 8, the deconvolution as (ky, kx, c) with c padded): what a stream holds for all its bands.
/// The family is a parameter, as for SRCNN's `PackedNetwork`, not read from the CPU at each call.
public struct PackedFSRCNN: Sendable {
    public let model: FSRCNN
    public let kernels: KernelFamily
    /// One body layer's packed weights, bias and PReLU slopes (padding lanes 0).
    struct Layer: Sendable { let weights: [Float], bias: [Float], slopes: [Float] }
    let layers: [Layer]
    let deconvWeights: [Float]

    public init(_ model: FSRCNN, kernels: KernelFamily = CPUFeatures.bestKernels) {
        self.model = model
        self.kernels = kernels
        layers = model.body.enumerated().map { n, l in
            let k = l.kernel, cin = l.inChannels, cout = l.outChannels, cs = (cout + 7) / 8 * 8
            var wt = [Float](repeating: 0, count: k * k * cin * cs)
            for o in 0..<cout {
                for c in 0..<cin {
                    for r in 0..<k { for q in 0..<k { wt[((r * k + q) * cin + c) * cs + o] = l.weight(o, c, r, q) } }
                }
            }
            var bias = [Float](repeating: 0, count: cs), slope = [Float](repeating: 0, count: cs)
            for o in 0..<cout { bias[o] = l.bias[o]; slope[o] = model.slopes[n][o] }
            return Layer(weights: wt, bias: bias, slopes: slope)
        }
        let k = model.deconv.kernel, d = model.deconv.inChannels, cs = (d + 7) / 8 * 8
        var wt = [Float](repeating: 0, count: k * k * cs)
        for c in 0..<d {
            for r in 0..<k { for q in 0..<k { wt[(r * k + q) * cs + c] = model.deconv.weights[(c * k + r) * k + q] } }
        }
        deconvWeights = wt
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
        let first = need.lowerBound - top
        return input.data.withUnsafeBufferPointer { inBuf -> Plane in
            // Layer n reads `maps` (rows `mapRows`, `stride` floats a pixel) and writes the other of two buffers.
            var maps = UnsafePointer(inBuf.baseAddress! + first * w), mapRows = need, channels = 1, stride = 1
            for (n, l) in m.body.enumerated() {
                let cs = (l.outChannels + 7) / 8 * 8
                let out = scratch.buffer(n % 2, count: wanted[n].count * w * cs)
                let pad = l.radius == 0 && mapRows == wanted[n] ? nil
                    : scratch.buffer(2, count: (wanted[n].count + 2 * l.radius) * (w + 2 * l.radius) * stride)
                conv(maps, rows: mapRows, width: w, imageHeight: h, channels: channels, inStride: stride,
                     layer: l, packed: layers[n], outRows: wanted[n], padded: pad, out: out, threads: threads)
                maps = UnsafePointer(out); mapRows = wanted[n]; channels = l.outChannels; stride = cs
            }
            return deconvolve(maps, rows: mapRows, width: w, imageHeight: h, outRows: rows, threads: threads)
        }
    }

    /// One body layer: replicate padding at the image border, convolution, PReLU. `input` holds image rows
    /// `rows` (w pixels of `inStride` floats, channels first); the result holds `outRows` (w pixels of
    /// ceil(cout/8)*8 floats, the padding channels 0), which may read rows outside `rows` only where the border
    /// clamps them back inside.
    func conv(_ input: UnsafePointer<Float>, rows: Range<Int>, width w: Int, imageHeight H: Int, channels cin: Int,
              inStride: Int, layer l: ConvLayer, packed: Layer,
              outRows: Range<Int>, padded: UnsafeMutablePointer<Float>?, out: UnsafeMutablePointer<Float>,
              threads: Int) {
        let k = l.kernel, p = l.radius, cout = l.outChannels, h = outRows.count
        let V = (cout + 7) / 8
        let wp = w + 2 * p, hp = h + 2 * p
        for y in [0, hp - 1] {
            let sy = min(H - 1, max(0, outRows.lowerBound + y - p))
            precondition(rows.contains(sy), "FSRCNN conv: row \(sy) is not in \(rows)")
        }
        // 1x1 layers read the input as it is; wider kernels a replicate-padded copy in `padded` (every float written).
        let P: UnsafePointer<Float>
        if let D = padded {
            FSRCNN.parallelRows(hp, threads: threads) { part in
                for y in part {
                    let sy = min(H - 1, max(0, outRows.lowerBound + y - p))
                    let srcRow = input + (sy - rows.lowerBound) * w * inStride, dstRow = D + y * wp * inStride
                    // The row in one copy, then its replicated edge pixels (a copy per pixel cost 4 % of a run).
                    (dstRow + p * inStride).update(from: srcRow, count: w * inStride)
                    for x in 0..<p {
                        (dstRow + x * inStride).update(from: srcRow, count: inStride)
                        (dstRow + (p + w + x) * inStride).update(from: srcRow + (w - 1) * inStride, count: inStride)
                    }
                }
            }
            P = UnsafePointer(D)
        } else {
            precondition(p == 0 && rows == outRows, "FSRCNN conv: a padded layer needs its padding buffer")
            P = input
        }
        // Every float of `out` is written by the kernels.
        packed.weights.withUnsafeBytes { wb in
            packed.bias.withUnsafeBytes { bb in
                packed.slopes.withUnsafeBytes { sb in
                    let W = wb.baseAddress!.assumingMemoryBound(to: V8.self)
                    let B = bb.baseAddress!.assumingMemoryBound(to: V8.self)
                    let S = sb.baseAddress!.assumingMemoryBound(to: V8.self)
                    let O = UnsafeMutableRawPointer(out).assumingMemoryBound(to: V8.self)
                    FSRCNN.parallelRows(h, threads: threads) { part in
                        for y in part {
                            let src = P + y * wp * inStride, dst = O + y * w * V
                            switch kernels {
                            case .avx512:
                                avx512FSRCNNConvRow(n: w, k: k, cin: cin, csIn: inStride, rowStride: wp * inStride,
                                                    src: src, weights: W, vectors: V, bias: B, slopes: S, out: dst)
                            case .avx2:
                                avx2FSRCNNConvRow(n: w, k: k, cin: cin, csIn: inStride, rowStride: wp * inStride,
                                                  src: src, weights: W, vectors: V, bias: B, slopes: S, out: dst)
                            case .openblas:
                                genericFSRCNNConvRow(n: w, k: k, cin: cin, csIn: inStride, rowStride: wp * inStride,
                                                     src: src, weights: W, vectors: V, bias: B, slopes: S, out: dst)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The transposed convolution (see the type's documentation): features of LR rows `rows` (w pixels of
    /// ceil(d/8)*8 floats) -> HR rows `outRows` (scale*w wide).
    func deconvolve(_ f: UnsafePointer<Float>, rows: Range<Int>, width w: Int, imageHeight h: Int, outRows: Range<Int>,
                    threads: Int) -> Plane {
        let s = model.scale, k = model.deconv.kernel, p = model.deconvPadding, d = model.deconv.inChannels, W = s * w
        let V = (d + 7) / 8, cs = 8 * V
        var out = [Float](unsafeUninitializedCapacity: outRows.count * W) { _, done in done = outRows.count * W }
        let b = model.deconv.bias[0], f0 = rows.lowerBound, Y0 = outRows.lowerBound
        precondition(deconvWeights.count == k * k * cs && d <= cs, "PackedFSRCNN: deconvolution weights")
        // Per HR column X: the (feature column, tap column) pairs that reach it.
        var cols: [(Int, Int)] = [], colStart = [0]
        for X in 0..<W {
            for x in ceilDiv(X + p - k + 1, s)...floorDiv(X + p, s) { cols.append((min(w - 1, max(0, x)), X - s * x + p)) }
            colStart.append(cols.count)
        }
        // Per phase px (X = s*x + px): the (j, kx) taps, feature column x - j and weight column kx = px + p + s*j.
        var taps: [(Int, Int)] = [], tapStart = [0]
        for px in 0..<s {
            for j in ceilDiv(-px - p, s)...floorDiv(k - 1 - px - p, s) { taps.append((j, px + p + s * j)) }
            tapStart.append(taps.count)
        }
        // LR columns whose every tap lies inside the row run phase by phase; the row's ends (clamped) column by column.
        let jLow = taps.map { $0.0 }.min()!, jHigh = taps.map { $0.0 }.max()!
        let inner = min(w, max(0, jHigh))..<max(min(w, max(0, jHigh)), min(w, w + jLow))
        let ends = [0..<(s * inner.lowerBound), (s * inner.upperBound)..<W]
        let interior = kernels == .avx512 ? avx512FSRCNNDeconvInterior
            : kernels == .avx2 ? avx2FSRCNNDeconvInterior : genericFSRCNNDeconvInterior
        let edge = kernels == .avx512 ? avx512FSRCNNDeconvRow
            : kernels == .avx2 ? avx2FSRCNNDeconvRow : genericFSRCNNDeconvRow
        do {
            deconvWeights.withUnsafeBytes { wb in
                out.withUnsafeMutableBufferPointer { ob in
                    let F = UnsafeRawPointer(f).assumingMemoryBound(to: V8.self)
                    let Wt = wb.baseAddress!.assumingMemoryBound(to: V8.self), O = ob.baseAddress!
                    FSRCNN.parallelRows(outRows.count, threads: threads) { part in
                        for j in part {
                            let Y = Y0 + j
                            let pairs = (ceilDiv(Y + p - k + 1, s)...floorDiv(Y + p, s)).map { y in
                                (min(h - 1, max(0, y)) - f0, Y - s * y + p)
                            }
                            interior(inner, s, F, w, V, Wt, k, b, pairs, pairs.count, taps, tapStart, O + j * W)
                            for e in ends { edge(e, F, w, V, Wt, k, b, pairs, pairs.count, cols, colStart, O + j * W) }
                        }
                    }
                }
            }
        }
        return Plane(width: W, height: outRows.count, data: out)
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

/// FSRCNN's feature-map buffers, kept across `forward(band:)` calls: two maps the layers write in turn and the
/// padded copy a layer reads. They only grow, so a stream allocates (and the kernel first-touches) them once
/// instead of once per layer and band (on a 2-core VM those page faults cost as much as the network itself).
public final class FSRCNNScratch: @unchecked Sendable {
    private var buffers: [(pointer: UnsafeMutablePointer<Float>, count: Int)] = []
    public init() {}
    deinit { for b in buffers { b.pointer.deallocate() } }

    /// Buffer `i` (0, 1: maps; 2: padding) with room for at least `count` floats (contents undefined).
    func buffer(_ i: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= i { buffers.append((UnsafeMutablePointer<Float>.allocate(capacity: 1), 1)) }
        if buffers[i].count < count {
            buffers[i].pointer.deallocate()
            buffers[i] = (UnsafeMutablePointer<Float>.allocate(capacity: count), count)
        }
        return buffers[i].pointer
    }
}
