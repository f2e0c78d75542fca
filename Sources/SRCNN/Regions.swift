// Regions: where the streaming upscaler reads input rows from and hands finished rows to (files, GIMP, planes).

/// Hands out rows of an image as planes: 1 = Y', 2 = Y'A, 3 = R'G'B', 4 = R'G'B'A, values 0...1.
/// The upscaler asks for row ranges in increasing order (a range may start past the previous one's end, never
/// before it), so a sequential decoder can serve it without holding the image.
public protocol ImageSource: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var channels: Int { get }
    /// Rows `rows`: `channels` planes of `width` x `rows.count`.
    func readRows(_ rows: Range<Int>) throws -> [Plane]
}

/// Takes finished rows, in order, each band once: `planes` are `width` x `rows.count`, of the source's kind.
public protocol ImageSink: AnyObject {
    func writeRows(_ rows: Range<Int>, _ planes: [Plane]) throws
}

/// Whole planes in memory as a source (tests, the benchmark protocol, small images).
public final class PlaneSource: ImageSource {
    public let planes: [Plane]
    public init(_ planes: [Plane]) {
        precondition((1...4).contains(planes.count), "PlaneSource: 1 to 4 planes, got \(planes.count)")
        precondition(planes.allSatisfy { $0.width == planes[0].width && $0.height == planes[0].height },
                     "PlaneSource: planes differ in size")
        self.planes = planes
    }
    public var width: Int { planes[0].width }
    public var height: Int { planes[0].height }
    public var channels: Int { planes.count }
    public func readRows(_ rows: Range<Int>) throws -> [Plane] {
        planes.map { $0.crop(x: 0, y: rows.lowerBound, width: $0.width, height: rows.count) }
    }
}

/// Collects the finished rows into whole planes.
public final class PlaneSink: ImageSink {
    public private(set) var planes: [Plane]
    public init(width: Int, height: Int, channels: Int) {
        planes = (0..<channels).map { _ in Plane(width: width, height: height) }
    }
    public func writeRows(_ rows: Range<Int>, _ band: [Plane]) throws {
        precondition(band.count == planes.count, "PlaneSink: \(band.count) planes for \(planes.count)")
        for c in planes.indices {
            let w = planes[c].width
            precondition(band[c].width == w && band[c].height == rows.count, "PlaneSink: band size")
            planes[c].data.withUnsafeMutableBufferPointer { dst in
                band[c].data.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + rows.lowerBound * w).update(from: src.baseAddress!, count: src.count)
                }
            }
        }
    }
    /// The planes, leaving the sink empty.
    public func take() -> [Plane] {
        defer { planes = [] }
        return planes
    }
}
