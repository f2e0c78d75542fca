// The streaming upscaler: walks the output in bands, reading only the input rows each band needs.

/// One upscale as a sequence of output bands (pull: `next()`), in bounded memory: per band it takes from the
/// source exactly the rows the bicubic support and the network's halo need, converts colour, resizes (MATLAB
/// bicubic), runs the network on Y, converts back. Every band equals the same rows of a whole-image run bit for bit.
public final class UpscaleStream: UpscaleBands {
    public let width: Int, height: Int, channels: Int
    /// Output rows per band (a multiple of the network's tile multiple).
    public let bandRows: Int
    let upscaler: Upscaler
    let source: ImageSource
    let plan: Resize.Plan
    let progress: ProgressHandler?
    let cancel: CancelFlag?
    /// The source rows bands read, colour converted.
    let window: SourceWindow
    var nextRow = 0
    /// For band k: the lowest source row band k or any later band reads (so the window never has to go back).
    var lowestFrom: [Int] = []
    /// The network's tile buffers, reused by every band.
    let scratch = ForwardScratch()
    let cutter = BandCutter()

    /// `bandRows`: nil picks whole tile rows with at least 16 tiles per thread (threads wait for each other at a
    /// band's end: fewer, fuller bands wait less); any value is rounded up to the tile multiple. Results do not
    /// depend on it.
    public init(_ upscaler: Upscaler, source: ImageSource, width: Int, height: Int, bandRows: Int? = nil,
                progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws {
        guard (1...4).contains(source.channels) else {
            throw SRCNNError.invalidArgument("expected 1 to 4 channels, got \(source.channels)")
        }
        guard width > 0, height > 0 else { throw SRCNNError.invalidArgument("target size \(width)x\(height) is empty") }
        guard source.width > 0, source.height > 0 else {
            throw SRCNNError.invalidArgument("input size \(source.width)x\(source.height) is empty")
        }
        self.upscaler = upscaler
        self.source = source
        window = SourceWindow(source)
        self.width = width
        self.height = height
        self.channels = source.channels
        self.progress = progress
        self.cancel = cancel
        plan = Resize.Plan(inWidth: source.width, inHeight: source.height, outWidth: width, outHeight: height)
        let m = upscaler.network.tileMultiple, opts = upscaler.options
        let tile = (opts.tileSize + m - 1) / m * m
        let tilesX = (width + tile - 1) / tile
        let wanted = bandRows ?? tile * max(1, (16 * opts.threads + tilesX - 1) / tilesX)
        self.bandRows = max(m, (wanted + m - 1) / m * m)
        let bands = (height + self.bandRows - 1) / self.bandRows
        var low = Int.max
        lowestFrom = [Int](repeating: 0, count: bands)
        for k in stride(from: bands - 1, through: 0, by: -1) {
            low = min(low, sourceRows(band: k).lowerBound)
            lowestFrom[k] = low
        }
    }

    /// Output rows of band k, and the source rows they read (through the network's halo and the bicubic support).
    func outputRows(band k: Int) -> Range<Int> { (k * bandRows)..<min(height, (k + 1) * bandRows) }
    func sourceRows(band k: Int) -> Range<Int> {
        plan.sourceRows(upscaler.network.bandInputRows(outputRows(band: k), imageHeight: height))
    }

    var colour: Bool { window.colour }
    var hasAlpha: Bool { window.hasAlpha }

    /// The next band of output rows as planes of the source's kind, or nil when all rows are done.
    public func next() throws -> (rows: Range<Int>, planes: [Plane])? {
        guard nextRow < height else { return nil }
        if cancel?.isCancelled == true { throw SRCNNError.cancelled }
        let k = nextRow / bandRows, rows = outputRows(band: k)
        let net = upscaler.network
        let yRows = net.bandInputRows(rows, imageHeight: height)
        try window.slide(from: lowestFrom[k], to: sourceRows(band: k).upperBound)
        let planes = window.planes, windowTop = window.top
        let yBand = plan.rows(yRows, from: planes[0], firstRow: windowTop)
        let H = Double(height), lo = Double(rows.lowerBound) / H, span = Double(rows.count) / H
        var y = try net.forward(band: yBand, top: yRows.lowerBound, imageHeight: height, rows: rows,
                                options: upscaler.options, scratch: scratch,
                                progress: progress.map { p in { @Sendable f in p(lo + span * f) } }, cancel: cancel)
        var out: [Plane]
        if colour {
            var cb = plan.rows(rows, from: planes[1], firstRow: windowTop)
            var cr = plan.rows(rows, from: planes[2], firstRow: windowTop)
            Colour.yCbCrToRGBInPlace(&y, &cb, &cr)
            out = [y, cb, cr]
        } else {
            out = [y]
        }
        if hasAlpha { out.append(plan.rows(rows, from: planes[planes.count - 1], firstRow: windowTop)) }
        nextRow = rows.upperBound
        progress?(Double(nextRow) / H)
        return (rows, out)
    }

    /// Output rows `r` (asked in increasing order, as a sequential encoder asks) as planes, cut from the bands.
    public func rows(_ r: Range<Int>) throws -> [Plane] {
        try cutter.rows(r, channels: channels, width: width) { try self.next() }
    }
}

extension Plane {
    /// This plane with `other`'s rows below it (same width).
    func appendingRows(_ other: Plane) -> Plane {
        precondition(width == other.width, "appendingRows: widths differ")
        return Plane(width: width, height: height + other.height, data: data + other.data)
    }
}
