// The engine's forward pass over a plane or a band of rows: tiles with a receptive-field halo, spread over threads.
import CBLAS
import Dispatch
import FoundationEssentials
import Synchronization

/// How `forward` splits the work. Results do not depend on these (tiles are seamless).
public struct ForwardOptions: Sendable {
    /// Output tile side in pixels (rounded up to a multiple of the Winograd tile); each tile reads
    /// `PackedNetwork.halo` (the receptive radius, or a little more) extra pixels per inner side. The default 128:
    /// since the Winograd layers run a block of 16 transform tiles at a time (V and M stay in L2 whatever the tile
    /// size), a large tile only saves halo work; on an Intel Xeon model 207 it measured 1.3–1.9x the old 48.
    public var tileSize: Int
    /// Worker threads (tiles run in parallel; OpenBLAS itself is pinned to one thread).
    public var threads: Int
    public init(tileSize: Int = 128, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.tileSize = max(8, tileSize)
        self.threads = max(1, threads)
    }
}

/// The OpenBLAS core kernel in use (e.g. "Haswell", "SkylakeX"), for benchmark reports (this loads OpenBLAS).
public var openBLASCoreName: String {
    String(cString: srcnn_blas_corename())
}

/// Per-thread scratch of `forward(band:)`, kept across calls: a streaming run allocates (and first-touches) its
/// tile buffers once instead of once per band.
public final class ForwardScratch: @unchecked Sendable {
    private let pool = Mutex<[(ForwardWorkspace, ScratchBuffer)]>([])
    public init() {}
    func take() -> (ForwardWorkspace, ScratchBuffer) {
        pool.withLock { $0.popLast() } ?? (ForwardWorkspace(), ScratchBuffer())
    }
    func give(_ buffers: (ForwardWorkspace, ScratchBuffer)) { pool.withLock { $0.append(buffers) } }
}

extension PackedNetwork {
    /// SRCNN on a whole plane (e.g. bicubic-upscaled Y/255): same size out, replicate padding at the
    /// image border, identical to an untiled run. Memory: the output plus a few tile-sized buffers per thread.
    public func forward(_ input: Plane, options: ForwardOptions = ForwardOptions(),
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> Plane {
        guard input.height > 0, input.width > 0 else { return input }
        return try forward(band: input, top: 0, imageHeight: input.height, rows: 0..<input.height,
                           options: options, progress: progress, cancel: cancel)
    }

    /// The input rows `forward(band:…)` needs for output rows `rows` of an image `imageHeight` rows tall.
    public func bandInputRows(_ rows: Range<Int>, imageHeight: Int) -> Range<Int> {
        max(0, rows.lowerBound - halo)..<min(imageHeight, rows.upperBound + halo)
    }

    /// SRCNN output rows `rows` (W x rows.count) of an image `imageHeight` rows tall, of which `input` holds rows
    /// `top ..< top + input.height`, at least `bandInputRows(rows, imageHeight:)`. `rows` must start on a multiple
    /// of `tileMultiple`: every tile then starts on the Winograd tile grid of a whole-image run, so a band equals
    /// the same rows of a whole-image run bit for bit.
    public func forward(band input: Plane, top: Int, imageHeight H: Int, rows: Range<Int>,
                        options: ForwardOptions = ForwardOptions(), scratch: ForwardScratch = ForwardScratch(),
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> Plane {
        try forward(window: input, top: top, left: 0, imageWidth: input.width, imageHeight: H, rows: rows,
                    columns: 0..<input.width, options: options, scratch: scratch, progress: progress, cancel: cancel)
    }

    /// SRCNN output pixels `rows` × `columns` of an image `imageWidth` × `imageHeight`, of which `input` holds
    /// rows `top ..< top + input.height` and columns `left ..< left + input.width`, at least
    /// `bandInputRows(rows, …)` × `bandInputRows(columns, imageHeight: imageWidth)`. Both ranges must start on a
    /// multiple of `tileMultiple`: the window then equals the same pixels of a whole-image run bit for bit (a
    /// preview computes only what it shows).
    public func forward(window input: Plane, top: Int, left: Int, imageWidth W: Int, imageHeight H: Int,
                        rows: Range<Int>, columns: Range<Int>,
                        options: ForwardOptions = ForwardOptions(), scratch: ForwardScratch = ForwardScratch(),
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> Plane {
        let IW = input.width, OW = columns.count
        let need = bandInputRows(rows, imageHeight: H), needX = bandInputRows(columns, imageHeight: W)
        precondition(rows.lowerBound % tileMultiple == 0 && rows.lowerBound >= 0 && rows.upperBound <= H
                     && need.lowerBound >= top && need.upperBound <= top + input.height,
                     "forward(window:): rows \(rows) of \(H) from input rows \(top)..<\(top + input.height)")
        precondition(columns.lowerBound % tileMultiple == 0 && columns.lowerBound >= 0 && columns.upperBound <= W
                     && needX.lowerBound >= left && needX.upperBound <= left + IW,
                     "forward(window:): columns \(columns) of \(W) from input columns \(left)..<\(left + IW)")
        guard !rows.isEmpty, OW > 0 else { return Plane(width: OW, height: rows.count) }
        // Halo per inner side, and a tile size the Winograd tiles divide: every tile then computes each
        // pixel exactly as an untiled run does (same Winograd tile phase), so tiles are bit-identical.
        let R = halo, S = network.receptiveRadius
        let T = (options.tileSize + tileMultiple - 1) / tileMultiple * tileMultiple
        let B0 = rows.lowerBound, BH = rows.count, C0 = columns.lowerBound
        let tilesY = (BH + T - 1) / T, tilesX = (OW + T - 1) / T, total = tilesY * tilesX
        var output = Plane(width: OW, height: BH)
        // The next tile to take, tiles finished, and the first failure (cancellation).
        let shared = Mutex<(next: Int, done: Int, failure: SRCNNError?)>((0, 0, nil))
        input.data.withUnsafeBufferPointer { inBuf in
            output.data.withUnsafeMutableBufferPointer { outBuf in
                let inp = inBuf.baseAddress!, outp = outBuf.baseAddress!
                let workers = min(options.threads, total)
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    let buffers = scratch.take()
                    defer { scratch.give(buffers) }
                    let (ws, tileOut) = buffers
                    while true {
                        let (t, stop) = shared.withLock { s in
                            s.next += 1
                            return (s.next - 1, s.failure != nil)
                        }
                        if t >= total || stop { break }
                        if cancel?.isCancelled == true {
                            shared.withLock { $0.failure = .cancelled }
                            break
                        }
                        // Tile rows are image rows; the region (tile + halo) is read from the band.
                        let y0 = B0 + (t / tilesX) * T, x0 = C0 + (t % tilesX) * T
                        let y1 = min(rows.upperBound, y0 + T), x1 = min(columns.upperBound, x0 + T)
                        let ry0 = max(0, y0 - R), ry1 = min(H, y1 + R)
                        let rx0 = max(0, x0 - R), rx1 = min(W, x1 + R)
                        let sides = BorderSides(top: ry0 == 0, bottom: ry1 == H, left: rx0 == 0, right: rx1 == W)
                        // The network shrinks the region by the receptive radius S on each inner side.
                        let oy0 = ry0 + (sides.top ? 0 : S), ox0 = rx0 + (sides.left ? 0 : S)
                        let oh = (ry1 - ry0) - (sides.top ? 0 : S) - (sides.bottom ? 0 : S)
                        let ow = (rx1 - rx0) - (sides.left ? 0 : S) - (sides.right ? 0 : S)
                        let tmp = tileOut.reserve(oh * ow)
                        let got = forward(region: inp + (ry0 - top) * IW + (rx0 - left), height: ry1 - ry0,
                                          width: rx1 - rx0, stride: IW, borders: sides, workspace: ws, output: tmp)
                        precondition(got.height == oh && got.width == ow, "tile geometry")
                        for y in y0..<y1 {
                            (outp + (y - B0) * OW + (x0 - C0)).update(from: tmp + (y - oy0) * ow + (x0 - ox0),
                                                                       count: x1 - x0)
                        }
                        // Reported under the lock, so the fractions arrive in increasing order.
                        shared.withLock { s in
                            s.done += 1
                            progress?(Double(s.done) / Double(total))
                        }
                    }
                }
            }
        }
        if let failure = shared.withLock({ $0.failure }) { throw failure }
        return output
    }
}

extension Network {
    /// Convenience: pack and run once. Pack once yourself (`PackedNetwork(net)`) when running many images.
    public func forward(_ input: Plane, options: ForwardOptions = ForwardOptions(),
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> Plane {
        try PackedNetwork(self).forward(input, options: options, progress: progress, cancel: cancel)
    }
}
