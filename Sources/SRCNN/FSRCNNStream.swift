// The streaming FSRCNN upscale: Y through the network at its native scale (then MATLAB bicubic to the exact size),
// chroma and alpha bicubic from the source, band by band in bounded memory.

/// FSRCNN on the source's Y at the model's scale s, so the network's output is (s*W) x (s*H); when the target
/// size differs (x1.5, an exact 1000x750) that output is resized to it with MATLAB bicubic. Cb, Cr and alpha are
/// resized from the source straight to the target. Per band it reads only the source rows it needs; every band
/// equals the same rows of a whole-image run bit for bit.
public final class FSRCNNStream: UpscaleBands {
    public let width: Int, height: Int, channels: Int
    public let bandRows: Int
    public let model: FSRCNN
    /// The model's weights laid out once for this CPU's kernels, for every band.
    let packed: PackedFSRCNN
    let threads: Int
    let window: SourceWindow
    /// Native-scale Y (s*W x s*H) -> target; nil when the target is the native size.
    let planY: Resize.Plan?
    /// Source -> target, for chroma and alpha.
    let planC: Resize.Plan
    let progress: ProgressHandler?
    let cancel: CancelFlag?
    let sourceHeight: Int
    var nextRow = 0
    var lowestFrom: [Int] = []
    let cutter = BandCutter()
    /// The network's feature maps, reused by every band.
    let scratch = FSRCNNScratch()

    /// The model to run for a factor: the one with the smallest native scale at or above it, else the largest.
    public static func choose(_ models: [FSRCNN], factor: Double) -> FSRCNN? {
        let sorted = models.sorted { $0.scale < $1.scale }
        return sorted.first { Double($0.scale) >= factor - 1e-9 } ?? sorted.last
    }

    /// Output rows per band by default: about 4 M floats per output plane (the network recomputes ~16 LR rows of
    /// halo per band, so taller bands waste less; its own maps are per-tile rings, not band-sized), at least 16
    /// and at most 96 LR rows.
    public static func defaultBandRows(_ model: FSRCNN, sourceWidth: Int, factor: Double) -> Int {
        let s = model.scale
        let lrRows = min(96, max(16, (4 << 20) / max(1, sourceWidth * s * s)))
        return max(1, Int((Double(lrRows) * factor).rounded()))
    }

    public init(_ model: FSRCNN, source: ImageSource, width: Int, height: Int, threads: Int = 1,
                bandRows: Int? = nil, progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws {
        guard (1...4).contains(source.channels) else {
            throw SRCNNError.invalidArgument("expected 1 to 4 channels, got \(source.channels)")
        }
        guard width > 0, height > 0 else { throw SRCNNError.invalidArgument("target size \(width)x\(height) is empty") }
        guard source.width > 0, source.height > 0 else {
            throw SRCNNError.invalidArgument("input size \(source.width)x\(source.height) is empty")
        }
        self.model = model
        packed = PackedFSRCNN(model)
        self.width = width; self.height = height; self.channels = source.channels
        self.threads = max(1, threads)
        self.bandRows = max(1, bandRows ?? FSRCNNStream.defaultBandRows(model, sourceWidth: source.width,
                                                                         factor: Double(height) / Double(source.height)))
        self.progress = progress; self.cancel = cancel
        sourceHeight = source.height
        window = SourceWindow(source)
        let s = model.scale
        planY = (width == s * source.width && height == s * source.height) ? nil
            : Resize.Plan(inWidth: s * source.width, inHeight: s * source.height, outWidth: width, outHeight: height)
        planC = Resize.Plan(inWidth: source.width, inHeight: source.height, outWidth: width, outHeight: height)
        let bands = (height + self.bandRows - 1) / self.bandRows
        lowestFrom = [Int](repeating: 0, count: bands)
        var low = Int.max
        for k in stride(from: bands - 1, through: 0, by: -1) {
            low = min(low, sourceRows(band: k).lowerBound)
            lowestFrom[k] = low
        }
    }

    func outputRows(band k: Int) -> Range<Int> { (k * bandRows)..<min(height, (k + 1) * bandRows) }
    /// The native-scale Y rows band k needs.
    func nativeRows(band k: Int) -> Range<Int> {
        let rows = outputRows(band: k)
        return planY?.sourceRows(rows) ?? rows
    }
    /// The source rows band k reads: the network's input rows and the chroma/alpha bicubic support.
    func sourceRows(band k: Int) -> Range<Int> {
        let y = model.bandInputRows(nativeRows(band: k), imageHeight: sourceHeight)
        let c = window.colour || window.hasAlpha ? planC.sourceRows(outputRows(band: k)) : y
        return min(y.lowerBound, c.lowerBound)..<max(y.upperBound, c.upperBound)
    }

    public func next() throws -> (rows: Range<Int>, planes: [Plane])? {
        guard nextRow < height else { return nil }
        if cancel?.isCancelled == true { throw SRCNNError.cancelled }
        let k = nextRow / bandRows, rows = outputRows(band: k)
        try window.slide(from: lowestFrom[k], to: sourceRows(band: k).upperBound)
        let planes = window.planes, top = window.top
        let native = nativeRows(band: k)
        let yNative = packed.forward(band: planes[0], top: top, imageHeight: sourceHeight, rows: native,
                                     threads: threads, scratch: scratch)
        var y = planY.map { $0.rows(rows, from: yNative, firstRow: native.lowerBound) } ?? yNative
        var out: [Plane]
        if window.colour {
            var cb = planC.rows(rows, from: planes[1], firstRow: top)
            var cr = planC.rows(rows, from: planes[2], firstRow: top)
            Colour.yCbCrToRGBInPlace(&y, &cb, &cr)
            out = [y, cb, cr]
        } else {
            out = [y]
        }
        if window.hasAlpha { out.append(planC.rows(rows, from: planes[planes.count - 1], firstRow: top)) }
        nextRow = rows.upperBound
        progress?(Double(nextRow) / Double(height))
        return (rows, out)
    }

    public func rows(_ r: Range<Int>) throws -> [Plane] {
        try cutter.rows(r, channels: channels, width: width) { try self.next() }
    }

    /// Starts at the band holding output row `row` instead of the first (before any row is asked for): a preview
    /// of a few rows computes only their bands.
    public func start(atRow row: Int) {
        precondition(nextRow == 0 && (0..<height).contains(row), "FSRCNNStream.start(atRow:)")
        nextRow = row / bandRows * bandRows
    }
}

extension FSRCNN {
    /// Whole planes (1 = Y', 2 = Y'A, 3 = R'G'B', 4 = R'G'B'A, values 0...1) to the target size.
    public func upscale(_ planes: [Plane], width: Int, height: Int, threads: Int = 1, bandRows: Int? = nil,
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> [Plane] {
        let source = PlaneSource(planes)
        let sink = PlaneSink(width: width, height: height, channels: source.channels)
        try FSRCNNStream(self, source: source, width: width, height: height, threads: threads, bandRows: bandRows,
                         progress: progress, cancel: cancel).run(into: sink)
        return sink.take()
    }
}
