// Image files <-> engine planes through libvips (the C wrapper in CVipsIO): streaming readers and writers.
import CVipsIO
import FoundationEssentials
import SRCNN
import SRCNNHost
#if canImport(Glibc)
import Glibc
#endif

/// The sample type an image is written back with.
public enum SampleDepth: String, Sendable {
    case u8, u16, float

    var c: Int32 {
        switch self {
        case .u8: return Int32(SRCNN_SAMPLE_U8.rawValue)
        case .u16: return Int32(SRCNN_SAMPLE_U16.rawValue)
        case .float: return Int32(SRCNN_SAMPLE_FLOAT.rawValue)
        }
    }
}

/// A decoded image as separate planes, values 0...1 and non-linear (as stored in the file).
public struct RasterImage: Sendable {
    public var width: Int
    public var height: Int
    /// 1 = Y', 2 = Y'A, 3 = R'G'B', 4 = R'G'B'A.
    public var planes: [Plane]
    /// Sample type to write back.
    public var depth: SampleDepth

    public init(width: Int, height: Int, planes: [Plane], depth: SampleDepth) {
        self.width = width
        self.height = height
        self.planes = planes
        self.depth = depth
    }

    public var hasAlpha: Bool { planes.count == 2 || planes.count == 4 }
    public var isGray: Bool { planes.count <= 2 }
}

/// Starts libvips once; an error names what failed.
func startVips() throws {
    var err = [CChar](repeating: 0, count: 1024)
    if srcnn_vips_init(&err, err.count) != 0 {
        throw SRCNNError.io("cannot start libvips: \(message(err, fallback: "vips_init failed"))")
    }
}

func message(_ buffer: [CChar], fallback: String) -> String {
    let s = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return s.isEmpty ? fallback : s
}

/// An image file opened for reading rows in order (PNG, JPEG, TIFF, WebP, GIF, HEIF, BMP through ImageMagick...):
/// only the header is read up front; EXIF orientation is applied (rows come out upright).
public final class ImageReader: ImageSource {
    let handle: OpaquePointer
    public let path: String
    public let width: Int, height: Int, channels: Int
    public let depth: SampleDepth
    /// Resolution in pixels per millimetre (libvips' default 1.0 when the file has none).
    public let xres: Double, yres: Double

    /// Throws `SRCNNError.io("cannot read '<path>': <reason>")`, also for images above `maxPixels`.
    public init(path: String, maxPixels: Int = SizeRule.maxInputPixels) throws {
        try startVips()
        var err = [CChar](repeating: 0, count: 1024)
        var h: OpaquePointer?
        guard srcnn_vips_open(path, Int64(maxPixels), &h, &err, err.count) == 0, let h else {
            throw SRCNNError.io("cannot read '\(path)': \(message(err, fallback: "unknown error"))")
        }
        handle = h
        self.path = path
        var w: Int32 = 0, hh: Int32 = 0, c: Int32 = 0, s: Int32 = 0, xr = 0.0, yr = 0.0
        srcnn_vips_reader_info(h, &w, &hh, &c, &s, &xr, &yr)
        width = Int(w); height = Int(hh); channels = Int(c)
        switch s {
        case Int32(SRCNN_SAMPLE_U8.rawValue): depth = .u8
        case Int32(SRCNN_SAMPLE_U16.rawValue): depth = .u16
        default: depth = .float
        }
        xres = xr; yres = yr
    }

    deinit { srcnn_vips_reader_free(handle) }

    public func readRows(_ rows: Range<Int>) throws -> [Plane] {
        let n = rows.count, c = channels, w = width
        var strip = [Float](repeating: 0, count: w * n * c)
        var err = [CChar](repeating: 0, count: 1024)
        let rc = strip.withUnsafeMutableBufferPointer {
            srcnn_vips_read_rows(handle, Int32(rows.lowerBound), Int32(n), $0.baseAddress, &err, err.count)
        }
        if rc != 0 { throw SRCNNError.io("cannot read '\(path)': \(message(err, fallback: "decoding failed"))") }
        return strip.withUnsafeBufferPointer { Plane.deinterleaving($0, width: w, height: n, channels: c) }
    }
}

/// Where the rows of an image being written come from: rows `r` as planes of the output's kind.
public typealias RowProducer = (Range<Int>) throws -> [Plane]

/// Holds the producer (and its first error) while libvips pulls rows through the C callback.
private final class WriteContext {
    let produce: RowProducer
    let width: Int, channels: Int
    var error: Error?
    init(_ produce: @escaping RowProducer, width: Int, channels: Int) {
        self.produce = produce; self.width = width; self.channels = channels
    }
}

private let pullRows: srcnn_vips_rows_fn = { ctx, y, rows, dst, err, errlen in
    let c = Unmanaged<WriteContext>.fromOpaque(ctx!).takeUnretainedValue()
    do {
        let planes = try c.produce(Int(y)..<Int(y + rows))
        let n = c.width * Int(rows), ch = c.channels
        guard planes.count == ch, planes.allSatisfy({ $0.count == n }) else {
            throw SRCNNError.io("internal error: the upscaler produced the wrong rows")
        }
        Plane.interleave(planes, into: dst!)
        return 0
    } catch {
        c.error = error
        let text = Array("\(error)".utf8.prefix(max(0, errlen - 1)))
        text.withUnsafeBufferPointer { b in
            for i in 0..<b.count { err![i] = CChar(bitPattern: b[i]) }
        }
        if errlen > 0 { err![text.count] = 0 }
        return 1
    }
}

/// Reading and writing image files: libvips loaders (PNG, JPEG, TIFF, WebP, GIF, HEIF; BMP and others through
/// ImageMagick) and savers for .png, .jpg/.jpeg, .tif/.tiff and .webp.
public enum ImageFile {
    /// Decode `path` whole (evaluation sets, training data, tests). Throws `SRCNNError.io`.
    public static func load(_ path: String) throws -> RasterImage {
        let r = try ImageReader(path: path)
        let planes = try r.readRows(0..<r.height)
        return RasterImage(width: r.width, height: r.height, planes: planes, depth: r.depth)
    }

    /// Encode `image` into `path`, chosen by extension; see `write`.
    public static func save(_ image: RasterImage, to path: String) throws {
        let w = image.width, h = image.height
        guard w > 0, h > 0, (1...4).contains(image.planes.count) else {
            throw SRCNNError.io("cannot write '\(path)': image is \(w)x\(h) with \(image.planes.count) planes")
        }
        for p in image.planes where p.width != w || p.height != h {
            throw SRCNNError.io("cannot write '\(path)': a \(p.width)x\(p.height) plane in a \(w)x\(h) image")
        }
        try write(to: path, width: w, height: h, channels: image.planes.count, depth: image.depth) { rows in
            image.planes.map { $0.crop(x: 0, y: rows.lowerBound, width: w, height: rows.count) }
        }
    }

    /// Streams a `width` x `height` image whose rows `rows` supplies (asked in order, each once) into `path`.
    /// Format by extension: png (8-bit for u8, else 16), tif (u8/u16/float as is), jpg (8-bit, quality 95, no
    /// alpha), webp (8-bit). `metadata`: a reader whose ICC profile, EXIF and XMP are carried over, with the
    /// resolution multiplied by `scale` (same print size). Written atomically: a temporary file beside the
    /// target, fsynced and renamed over it, so a failed write (a full disk) leaves the target untouched.
    /// Throws `SRCNNError.io("cannot write '<path>': <reason>")`.
    public static func write(to path: String, width: Int, height: Int, channels: Int, depth: SampleDepth,
                             metadata: ImageReader? = nil, scale: (x: Double, y: Double) = (1, 1),
                             rows: @escaping RowProducer) throws {
        try startVips()
        guard srcnn_vips_can_save(path) != 0 else {
            let ext = path.split(separator: "/").last.flatMap { $0.contains(".") ? $0.split(separator: ".").last : nil }
            let what = ext.map { "no saver for .\($0) files" } ?? "no file extension to choose a format"
            throw SRCNNError.io("cannot write '\(path)': \(what); use .png, .tif, .jpg or .webp")
        }
        let ctx = WriteContext(rows, width: width, channels: channels)
        try AtomicFile.replace(path) { temp in
            var err = [CChar](repeating: 0, count: 1024)
            let box = Unmanaged.passRetained(ctx)
            defer { box.release() }
            let rc = srcnn_vips_write(temp, path, Int32(width), Int32(height), Int32(channels), depth.c,
                                      metadata?.handle, scale.x, scale.y, pullRows, box.toOpaque(), &err, err.count)
            if rc != 0 {
                // The rows' producer failed (cancelled, or the input could not be decoded): its own error.
                if let e = ctx.error { throw e }
                var text = message(err, fallback: "encoding failed").split(separator: temp, omittingEmptySubsequences: false)
                    .joined(separator: path)
                for said in ["cannot write \(path): ", "cannot write '\(path)': "] where text.hasPrefix(said) {
                    text.removeFirst(said.count)   // the C layer names the file too
                }
                throw SRCNNError.io("cannot write '\(path)': \(text)")
            }
        }
    }
}
