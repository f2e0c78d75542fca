// A JPEG round trip in memory (libvips/libjpeg, 4:2:0): the trainer's photo degradation codec.
import CVipsIO
import SRCNN

public enum JPEGRoundTrip {
    /// `planes` (1 = grey or 3 = R'G'B', values 0...1, rounded to 8 bits first) encoded as a JPEG at `quality`
    /// and decoded again, as planes of the same size and count (values k/255).
    public static func apply(_ planes: [Plane], quality: Int) throws -> [Plane] {
        guard planes.count == 1 || planes.count == 3, let w = planes.first?.width, let h = planes.first?.height,
              planes.allSatisfy({ $0.width == w && $0.height == h }) else {
            throw SRCNNError.invalidArgument("JPEG round trip: wants 1 or 3 planes of one size")
        }
        try startVips()
        let bands = planes.count, n = w * h
        var src = [UInt8](repeating: 0, count: n * bands)
        for (c, p) in planes.enumerated() {
            for i in 0..<n { src[i * bands + c] = UInt8(max(0, min(255, (p.data[i] * 255).rounded()))) }
        }
        var dst = [UInt8](repeating: 0, count: n * bands)
        var err = [CChar](repeating: 0, count: 512)
        let rc = srcnn_vips_jpeg_roundtrip(src, Int32(w), Int32(h), Int32(bands), Int32(quality), &dst, &err, err.count)
        guard rc == 0 else { throw SRCNNError.io(message(err, fallback: "JPEG round trip failed")) }
        return (0..<bands).map { c in
            Plane(width: w, height: h, data: (0..<n).map { Float(dst[$0 * bands + c]) / 255 })
        }
    }
}
