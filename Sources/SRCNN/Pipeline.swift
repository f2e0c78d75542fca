// The two user-level pipelines: upscale an image's planes (SRCNN on Y, bicubic for the rest) and the benchmark protocol.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Upscales colour, grey and alpha planes: bicubic to the target size, then SRCNN on Y only.
public struct Upscaler: Sendable {
    public let network: PackedNetwork
    public var options: ForwardOptions

    public init(network: Network, options: ForwardOptions = ForwardOptions()) {
        self.init(packed: PackedNetwork(network), options: options)
    }

    public init(packed: PackedNetwork, options: ForwardOptions = ForwardOptions()) {
        self.network = packed
        self.options = options
    }

    /// `planes`: 1 = Y', 2 = Y'A, 3 = R'G'B', 4 = R'G'B'A, values 0...1; they are consumed (emptied).
    /// Returns planes of the same kind at the target size: the streaming upscale into planes in memory.
    public func upscale(_ planes: inout [Plane], width: Int, height: Int,
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> [Plane] {
        guard (1...4).contains(planes.count) else {
            throw SRCNNError.invalidArgument("expected 1 to 4 channels, got \(planes.count)")
        }
        let source = PlaneSource(planes)
        planes.removeAll()
        let sink = PlaneSink(width: width, height: height, channels: source.channels)
        try upscale(source, into: sink, width: width, height: height, progress: progress, cancel: cancel)
        return sink.take()
    }

    /// Streams `source` through the upscaler into `sink`, band by band (see `UpscaleStream`).
    /// Progress is the fraction of output rows done.
    public func upscale(_ source: ImageSource, into sink: ImageSink, width: Int, height: Int, bandRows: Int? = nil,
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws {
        let stream = try UpscaleStream(self, source: source, width: width, height: height, bandRows: bandRows,
                                       progress: progress, cancel: cancel)
        while let band = try stream.next() { try sink.writeRows(band.rows, band.planes) }
    }
}

/// One image's result under the benchmark protocol.
public struct ProtocolScore: Sendable {
    public var psnr: Double
    public var ssim: Double
    public init(psnr: Double, ssim: Double) { self.psnr = psnr; self.ssim = ssim }
}

/// The SRCNN benchmark protocol (the authors' demo_SR.m): HR Y as MATLAB uint8 `rgb2ycbcr`, modcrop,
/// MATLAB-bicubic down by 1/scale (not quantised), bicubic back up, SRCNN, `uint8(x*255)`, `scale` pixels shaved.
public enum BenchmarkProtocol {
    /// The HR luma of an 8-bit image's planes (1 = grey, used as is; 3 or 4 = RGB, alpha ignored).
    public static func hrLuma(_ planes: [Plane]) -> Plane {
        planes.count >= 3 ? Colour.lumaUInt8(planes[0], planes[1], planes[2]) : planes[0].map(quantize8AsUnit)
    }

    /// The bicubic input SRCNN sees (size = modcropped HR) and the modcropped HR itself.
    public static func degrade(_ hrY: Plane, scale: Int) -> (hr: Plane, bicubic: Plane) {
        let d = degradeKeepingLR(hrY, scale: scale)
        return (d.hr, d.bicubic)
    }

    /// `degrade`, with the low-resolution image between (FSRCNN's input).
    public static func degradeKeepingLR(_ hrY: Plane, scale: Int) -> (hr: Plane, lr: Plane, bicubic: Plane) {
        let hr = hrY.modcrop(scale)
        let lr = Resize.bicubic(hr, width: hr.width / scale, height: hr.height / scale)
        return (hr, lr, Resize.bicubic(lr, width: hr.width, height: hr.height))
    }

    public static func score(_ sr: Plane, hr: Plane, scale: Int) -> ProtocolScore {
        ProtocolScore(psnr: Metrics.psnr(sr, hr, shave: scale), ssim: Metrics.ssim(sr, hr, shave: scale))
    }
}

/// `uint8(x * 255) / 255`: a 0...1 sample snapped to the 8-bit grid.
@inlinable
public func quantize8AsUnit(_ v: Float) -> Float { quantize8(v) / 255 }
