// What every streaming upscaler shares: the band interface, the window of converted source rows, row cutting.

/// An upscale as a sequence of output bands, whatever the model family (`UpscaleStream` for SRCNN,
/// `FSRCNNStream`): pull bands with `next()`, or rows in increasing order with `rows(_:)` (an encoder's pace).
public protocol UpscaleBands: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var channels: Int { get }
    /// The next band of output rows as planes of the source's kind, or nil when all rows are done.
    func next() throws -> (rows: Range<Int>, planes: [Plane])?
    /// Output rows `r`, asked in increasing order.
    func rows(_ r: Range<Int>) throws -> [Plane]
}

extension UpscaleBands {
    /// Every band into `sink`.
    public func run(into sink: ImageSink) throws {
        while let band = try next() { try sink.writeRows(band.rows, band.planes) }
    }
}

/// Source rows `top ..< top + planes[0].height`, colour converted: Y (Cb Cr) (alpha), read in order, once.
public final class SourceWindow {
    let source: ImageSource
    public private(set) var planes: [Plane] = []
    public private(set) var top = 0
    public let colour: Bool, hasAlpha: Bool

    public init(_ source: ImageSource) {
        self.source = source
        colour = source.channels >= 3
        hasAlpha = source.channels == 2 || source.channels == 4
    }

    /// Keeps source rows `lower ..< max(upper, rows already read)`: drops the rows above `lower`, reads (and
    /// converts) the new ones below. `lower` must never decrease, so the source is read in order, once.
    public func slide(from lower: Int, to upper: Int) throws {
        if planes.isEmpty { top = lower }
        let end = top + (planes.first?.height ?? 0)
        let newTop = max(top, lower)
        var kept: [Plane] = newTop >= end ? [] : planes.map {
            newTop == top ? $0 : $0.crop(x: 0, y: newTop - top, width: $0.width, height: end - newTop)
        }
        let fresh = max(end, newTop)..<max(upper, max(end, newTop))
        if !fresh.isEmpty {
            let got = try source.readRows(fresh)
            guard got.count == source.channels,
                  got.allSatisfy({ $0.width == source.width && $0.height == fresh.count }) else {
                throw SRCNNError.io("the image source returned the wrong rows for \(fresh)")
            }
            var conv: [Plane]
            if colour {
                let ycc = Colour.rgbToYCbCr(got[0], got[1], got[2])
                conv = [ycc.y, ycc.cb, ycc.cr]
            } else {
                conv = [got[0]]
            }
            if hasAlpha { conv.append(got[got.count - 1]) }
            kept = kept.isEmpty ? conv : zip(kept, conv).map { $0.appendingRows($1) }
        }
        planes = kept
        top = newTop
    }
}

/// Serves rows in increasing order from a sequence of bands (keeps only the current band).
public final class BandCutter {
    var current: (rows: Range<Int>, planes: [Plane])?
    public init() {}

    /// Rows `r` as planes, pulling bands from `next` as needed.
    public func rows(_ r: Range<Int>, channels: Int, width: Int,
                     next: () throws -> (rows: Range<Int>, planes: [Plane])?) throws -> [Plane] {
        var parts: [[Plane]] = []
        var y = r.lowerBound
        while y < r.upperBound {
            if current.map({ !$0.rows.contains(y) }) ?? true {
                // Not in the current band: only a later row can be served (the earlier bands are gone).
                guard y >= (current?.rows.lowerBound ?? 0), let band = try next() else {
                    throw SRCNNError.invalidArgument("upscale stream: row \(y) asked for out of order")
                }
                current = band
            }
            let band = current!, hi = min(r.upperBound, band.rows.upperBound)
            parts.append(band.planes.map {
                $0.crop(x: 0, y: y - band.rows.lowerBound, width: $0.width, height: hi - y)
            })
            y = hi
        }
        guard var out = parts.first else { return (0..<channels).map { _ in Plane(width: width, height: 0) } }
        for p in parts.dropFirst() { out = zip(out, p).map { $0.appendingRows($1) } }
        return out
    }
}

extension SRModel {
    /// An upscale of `source` to `width` x `height` with these weights, as bands (SRCNN: `UpscaleStream`,
    /// FSRCNN: `FSRCNNStream`; `options.threads` for both, `options.tileSize` for SRCNN).
    public func bands(source: ImageSource, width: Int, height: Int, options: ForwardOptions = ForwardOptions(),
                      progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> any UpscaleBands {
        switch self {
        case .srcnn(let net):
            return try UpscaleStream(Upscaler(network: net, options: options), source: source, width: width,
                                     height: height, progress: progress, cancel: cancel)
        case .fsrcnn(let m):
            return try FSRCNNStream(m, source: source, width: width, height: height, threads: options.threads,
                                    progress: progress, cancel: cancel)
        }
    }
}
