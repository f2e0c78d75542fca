// Image files <-> engine planes through GEGL (the C wrapper in CImageIO).
import CImageIO
import Foundation
import SRCNN

/// The sample type an image is written back with.
public enum SampleDepth: String, Sendable {
    case u8, u16, half, float
}

/// A decoded image as separate planes, values 0...1 and non-linear (as stored in the file).
public struct RasterImage: Sendable {
    public var width: Int
    public var height: Int
    /// 1 = Y', 2 = Y'A, 3 = R'G'B', 4 = R'G'B'A.
    public var planes: [Plane]
    /// Sample type to write back (u32/double sources map to .float).
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

/// Reading and writing image files: png, jpeg, tiff, webp (GEGL), and for reading also
/// bmp, gif, tga, ico, pnm (gdk-pixbuf).
public enum ImageFile {
    /// Rows converted per call, so conversion needs only a strip's worth of extra memory.
    static let stripRows = 128

    /// Decode `path`. Throws `SRCNNError.io("cannot read '<path>': <reason>")`.
    public static func load(_ path: String) throws -> RasterImage {
        var err = [CChar](repeating: 0, count: 1024)
        var handle: OpaquePointer?
        guard srcnn_io_load(path, &handle, &err, err.count) == 0, let img = handle else {
            throw SRCNNError.io(message(err, fallback: "cannot read '\(path)'"))
        }
        defer { srcnn_io_image_free(img) }

        var w: Int32 = 0, h: Int32 = 0, alpha: Int32 = 0, gray: Int32 = 0
        var typePtr: UnsafePointer<CChar>?
        srcnn_io_image_info(img, &w, &h, &alpha, &gray, &typePtr)
        let width = Int(w), height = Int(h)
        let channels = (gray != 0 ? 1 : 3) + (alpha != 0 ? 1 : 0)
        let depth: SampleDepth
        switch typePtr.map({ String(cString: $0) }) ?? "u8" {
        case "u8": depth = .u8
        case "u16": depth = .u16
        case "half": depth = .half
        default: depth = .float // float, u32, double
        }

        var data = (0..<channels).map { _ in [Float](repeating: 0, count: width * height) }
        var strip = [Float](repeating: 0, count: width * min(stripRows, height) * channels)
        var y = 0
        while y < height {
            let rows = min(stripRows, height - y)
            let rc = strip.withUnsafeMutableBufferPointer {
                srcnn_io_get_rows(img, Int32(y), Int32(rows), Int32(channels), $0.baseAddress, &err, err.count)
            }
            if rc != 0 { throw SRCNNError.io("cannot read '\(path)': \(message(err, fallback: "decoding failed"))") }
            strip.withUnsafeBufferPointer { src in
                for c in 0..<channels {
                    data[c].withUnsafeMutableBufferPointer { dst in
                        let base = y * width
                        for i in 0..<(rows * width) { dst[base + i] = src[i * channels + c] }
                    }
                }
            }
            y += rows
        }
        let planes = data.map { Plane(width: width, height: height, data: $0) }
        return RasterImage(width: width, height: height, planes: planes, depth: depth)
    }

    /// Encode `image` into `path`, chosen by extension (.png, .jpg/.jpeg, .tif/.tiff, .webp...).
    /// Bit depth follows `image.depth` where the format allows it (png: u8 -> 8 bit, else 16;
    /// tiff: u8/u16/half/float as is; jpeg: 8 bit, no alpha). Written atomically: a temporary
    /// file next to the target is renamed over it, so a failed save leaves the target untouched.
    /// Throws `SRCNNError.io("cannot write '<path>': <reason>")`.
    public static func save(_ image: RasterImage, to path: String) throws {
        let w = image.width, h = image.height
        guard w > 0, h > 0, (1...4).contains(image.planes.count) else {
            throw SRCNNError.io("cannot write '\(path)': image is \(w)x\(h) with \(image.planes.count) planes")
        }
        for p in image.planes where p.width != w || p.height != h {
            throw SRCNNError.io("cannot write '\(path)': a \(p.width)x\(p.height) plane in a \(w)x\(h) image")
        }
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension.lowercased()
        var err = [CChar](repeating: 0, count: 1024)
        if srcnn_io_init(&err, err.count) != 0 {
            throw SRCNNError.io("cannot write '\(path)': \(message(err, fallback: "GEGL failed to start"))")
        }
        guard srcnn_io_can_save(path) != 0 else {
            let what = ext.isEmpty ? "no file extension to choose a format" : "no GEGL saver for .\(ext) files"
            throw SRCNNError.io("cannot write '\(path)': \(what); use .png, .tif or .jpg")
        }

        // What the file can hold.
        let isJPEG = ext == "jpg" || ext == "jpeg"
        let sourcePlanes = isJPEG && image.hasAlpha ? Array(image.planes.dropLast()) : image.planes
        let channels = sourcePlanes.count
        let sampleType: String
        switch image.depth {
        case .u8: sampleType = "u8"
        case .u16: sampleType = "u16"
        case .half: sampleType = ext == "png" ? "u16" : "half"
        case .float: sampleType = ext == "png" ? "u16" : "float"
        }

        var handle: OpaquePointer?
        guard srcnn_io_create(Int32(w), Int32(h), Int32(channels), isJPEG ? "u8" : sampleType,
                              &handle, &err, err.count) == 0, let out = handle else {
            throw SRCNNError.io("cannot write '\(path)': \(message(err, fallback: "cannot create the image"))")
        }
        defer { srcnn_io_image_free(out) }

        var strip = [Float](repeating: 0, count: w * min(stripRows, h) * channels)
        var y = 0
        while y < h {
            let rows = min(stripRows, h - y)
            strip.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    sourcePlanes[c].data.withUnsafeBufferPointer { src in
                        let base = y * w
                        for i in 0..<(rows * w) { dst[i * channels + c] = src[base + i] }
                    }
                }
            }
            let rc = strip.withUnsafeBufferPointer {
                srcnn_io_set_rows(out, Int32(y), Int32(rows), $0.baseAddress, &err, err.count)
            }
            if rc != 0 { throw SRCNNError.io("cannot write '\(path)': \(message(err, fallback: "conversion failed"))") }
            y += rows
        }

        // Temporary file in the same directory with the same extension, renamed over the target.
        let dir = url.deletingLastPathComponent().path
        let stem = url.deletingPathExtension().lastPathComponent
        let temp = dir + "/." + stem + ".tmp-\(getpid())-\(nextTempSerial())" + (ext.isEmpty ? "" : "." + url.pathExtension)
        if srcnn_io_save(out, temp, path, &err, err.count) != 0 {
            unlink(temp)
            var reason = message(err, fallback: "cannot write '\(path)'")
            if !FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir) {
                reason = "cannot write '\(path)': directory '\(dir)' does not exist"
            }
            throw SRCNNError.io(reason)
        }
        if rename(temp, path) != 0 {
            let e = String(cString: strerror(errno))
            unlink(temp)
            throw SRCNNError.io("cannot write '\(path)': \(e)")
        }
    }

    private static let serialLock = NSLock()
    nonisolated(unsafe) private static var serial = 0
    private static func nextTempSerial() -> Int {
        serialLock.lock(); defer { serialLock.unlock() }
        serial += 1
        return serial
    }

    private static func message(_ buffer: [CChar], fallback: String) -> String {
        let s = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return s.isEmpty ? fallback : s
    }
}
