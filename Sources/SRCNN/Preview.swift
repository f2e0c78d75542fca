// A preview: one rectangle of an upscale's output, computed alone, equal to the same pixels of the whole run.

/// A preview's two sides for the same output rectangle: the model's result and plain MATLAB bicubic (what the
/// model starts from), each as planes of the source's kind (Y'/R'G'B', then alpha), 0...1 before clamping.
public struct PreviewPair: Sendable {
    public let upscaled: [Plane]
    public let bicubic: [Plane]
    /// Output pixels the model computed for it (the rectangle grown to the tile grid, or FSRCNN's whole bands):
    /// with the time it took, the rate a whole run of this model goes at on this machine.
    public let workPixels: Int
    /// Seconds the model took (SRCNN: the network; FSRCNN: its bands, chroma included).
    public let modelSeconds: Double
}

/// Rows `rows` of a source, read ahead (a preview reads its drawable on GIMP's thread before its worker starts).
public final class RowWindowSource: ImageSource {
    public let width: Int, height: Int, channels: Int
    public let rows: Range<Int>
    let planes: [Plane]

    /// `planes`: rows `rows` of an image `width` x `height`.
    public init(planes: [Plane], rows: Range<Int>, width: Int, height: Int) {
        precondition(!planes.isEmpty && planes.allSatisfy { $0.width == width && $0.height == rows.count })
        self.planes = planes; self.rows = rows; self.width = width; self.height = height; channels = planes.count
    }

    public func readRows(_ r: Range<Int>) throws -> [Plane] {
        guard r.lowerBound >= rows.lowerBound, r.upperBound <= rows.upperBound else {
            throw SRCNNError.invalidArgument("rows \(r) outside the rows read ahead (\(rows))")
        }
        return planes.map { $0.crop(x: 0, y: r.lowerBound - rows.lowerBound, width: width, height: r.count) }
    }
}

/// A source of the right size that holds nothing (to ask a stream which rows it would read).
private final class ShapeSource: ImageSource {
    let width: Int, height: Int, channels: Int
    init(_ w: Int, _ h: Int, _ c: Int) { (width, height, channels) = (w, h, c) }
    func readRows(_ r: Range<Int>) throws -> [Plane] { throw SRCNNError.invalidArgument("no pixels") }
}

/// Renders rectangles of one model's upscale (the model is prepared once; pans and new rectangles reuse it).
/// SRCNN computes only the rectangle and the network's halo (`PackedNetwork.forward(window:)`); FSRCNN, which
/// is cheap per pixel, computes the full-width rows of the rectangle and cuts them. Either way every pixel equals
/// the same pixel of `srcnn upscale` and of the plug-in's run bit for bit.
public final class PreviewRenderer: @unchecked Sendable {
    public let model: SRModel
    let packed: PackedNetwork?
    let options: ForwardOptions

    public init(model: SRModel, options: ForwardOptions = ForwardOptions()) {
        self.model = model
        self.options = options
        if case .srcnn(let net) = model { packed = PackedNetwork(net) } else { packed = nil }
    }

    /// The source rows `render` reads for this rectangle (of a source `sourceWidth` x `sourceHeight` with
    /// `channels`), so they can be read ahead.
    public func sourceRows(sourceWidth: Int, sourceHeight: Int, channels: Int, width: Int, height: Int,
                           x: Int, y: Int, w: Int, h: Int) throws -> Range<Int> {
        let plan = Resize.Plan(inWidth: sourceWidth, inHeight: sourceHeight, outWidth: width, outHeight: height)
        var lo = plan.sourceRows(y..<(y + h)).lowerBound, hi = plan.sourceRows(y..<(y + h)).upperBound
        if let packed {
            let m = packed.tileMultiple
            let yRows = packed.bandInputRows((y - y % m)..<(y + h), imageHeight: height)
            lo = min(lo, plan.sourceRows(yRows).lowerBound)
            hi = max(hi, plan.sourceRows(yRows).upperBound)
        } else if case .fsrcnn(let model) = model {
            let stream = try FSRCNNStream(model, source: ShapeSource(sourceWidth, sourceHeight, channels),
                                          width: width, height: height)
            for k in (y / stream.bandRows)...((y + h - 1) / stream.bandRows) {
                lo = min(lo, stream.sourceRows(band: k).lowerBound)
                hi = max(hi, stream.sourceRows(band: k).upperBound)
            }
        }
        return lo..<hi
    }

    /// Output pixels x..<x+w, y..<y+h of the upscale of `source` to `width` x `height`.
    public func render(source: ImageSource, width: Int, height: Int, x: Int, y: Int, w: Int, h: Int,
                       cancel: CancelFlag? = nil) throws -> PreviewPair {
        guard (1...4).contains(source.channels), source.width > 0, source.height > 0 else {
            throw SRCNNError.invalidArgument("preview: expected a non-empty source of 1 to 4 channels")
        }
        guard w > 0, h > 0, x >= 0, y >= 0, x + w <= width, y + h <= height else {
            throw SRCNNError.invalidArgument("preview: rectangle \(x),\(y) \(w)x\(h) outside \(width)x\(height)")
        }
        let plan = Resize.Plan(inWidth: source.width, inHeight: source.height, outWidth: width, outHeight: height)
        let rows = y..<(y + h)
        let window = SourceWindow(source)
        var upscaled: [Plane]
        let work: Int
        let clock = ContinuousClock()
        var modelTime = Duration.zero
        if let packed {
            // SRCNN on the bicubic grid: the window starts on the Winograd tile grid, as the whole run's tiles do.
            let m = packed.tileMultiple
            let netRows = (y - y % m)..<(y + h), netCols = (x - x % m)..<(x + w)
            let yRows = packed.bandInputRows(netRows, imageHeight: height)
            let yCols = packed.bandInputRows(netCols, imageHeight: width)
            let a = plan.sourceRows(yRows), b = plan.sourceRows(rows)
            try window.slide(from: min(a.lowerBound, b.lowerBound), to: max(a.upperBound, b.upperBound))
            let yFull = plan.rows(yRows, from: window.planes[0], firstRow: window.top)
            let yWin = yFull.crop(x: yCols.lowerBound, y: 0, width: yCols.count, height: yRows.count)
            let t0 = clock.now
            let sr = try packed.forward(window: yWin, top: yRows.lowerBound, left: yCols.lowerBound, imageWidth: width,
                                        imageHeight: height, rows: netRows, columns: netCols, options: options,
                                        cancel: cancel)
            modelTime = clock.now - t0
            upscaled = [sr.crop(x: x - netCols.lowerBound, y: y - netRows.lowerBound, width: w, height: h)]
            work = netRows.count * netCols.count
        } else {
            guard case .fsrcnn(let m) = model else { preconditionFailure("unreachable") }
            let stream = try FSRCNNStream(m, source: source, width: width, height: height, threads: options.threads,
                                          cancel: cancel)
            stream.start(atRow: y)
            let t0 = clock.now
            upscaled = try stream.rows(rows).map { $0.crop(x: x, y: 0, width: w, height: h) }
            modelTime = clock.now - t0
            let first = y / stream.bandRows * stream.bandRows
            work = width * (min(height, (y + h + stream.bandRows - 1) / stream.bandRows * stream.bandRows) - first)
            try window.slide(from: plan.sourceRows(rows).lowerBound, to: plan.sourceRows(rows).upperBound)
        }
        if cancel?.isCancelled == true { throw SRCNNError.cancelled }
        // Bicubic of every converted plane (Y, Cb, Cr, alpha) over the rectangle's rows, then cut.
        let cut = window.planes.map { plan.rows(rows, from: $0, firstRow: window.top).crop(x: x, y: 0, width: w, height: h) }
        var bicubic = cut
        if window.colour {
            var (r, g, b) = (cut[0], cut[1], cut[2])
            Colour.yCbCrToRGBInPlace(&r, &g, &b)
            bicubic[0] = r; bicubic[1] = g; bicubic[2] = b
            if packed != nil {
                var yy = upscaled[0], cb = cut[1], cr = cut[2]
                Colour.yCbCrToRGBInPlace(&yy, &cb, &cr)
                upscaled = [yy, cb, cr]
            }
        } else if packed != nil {
            upscaled = [upscaled[0]]
        }
        if packed != nil, window.hasAlpha { upscaled.append(cut[cut.count - 1]) }
        let seconds = Double(modelTime.components.seconds) + Double(modelTime.components.attoseconds) / 1e18
        return PreviewPair(upscaled: upscaled, bicubic: bicubic, workPixels: work, modelSeconds: seconds)
    }
}
