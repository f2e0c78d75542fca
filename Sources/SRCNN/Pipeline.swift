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
        self.network = PackedNetwork(network)
        self.options = options
    }

    /// `planes`: 1 = Y', 2 = Y'A, 3 = R'G'B', 4 = R'G'B'A, values 0...1. They are consumed (emptied) as the
    /// work goes on so peak memory stays near input + output. Returns planes of the same kind at the target size.
    /// Progress: bicubic steps count 10 %, SRCNN 90 %.
    public func upscale(_ planes: inout [Plane], width: Int, height: Int,
                        progress: ProgressHandler? = nil, cancel: CancelFlag? = nil) throws -> [Plane] {
        guard [1, 2, 3, 4].contains(planes.count) else {
            throw SRCNNError.invalidArgument("expected 1 to 4 channels, got \(planes.count)")
        }
        guard width > 0, height > 0 else { throw SRCNNError.invalidArgument("target size \(width)x\(height) is empty") }
        let colour = planes.count >= 3
        let alpha: Plane? = (planes.count == 2 || planes.count == 4) ? planes.removeLast() : nil
        // Y (and chroma) at the input size.
        var chan: [Plane]
        if colour {
            let ycc = Colour.rgbToYCbCr(planes[0], planes[1], planes[2])
            planes.removeAll()
            chan = [ycc.y, ycc.cb, ycc.cr]
        } else {
            chan = [planes.removeFirst()]
        }
        planes.removeAll()
        // Bicubic to the target size, one plane at a time, dropping each source as it goes.
        var up: [Plane] = []
        for i in chan.indices {
            if cancel?.isCancelled == true { throw SRCNNError.cancelled }
            up.append(Resize.bicubic(chan[i], width: width, height: height))
            chan[i] = Plane(width: 0, height: 0)
            progress?(0.1 * Double(i + 1) / Double(chan.count + (alpha == nil ? 0 : 1)))
        }
        chan.removeAll()
        let upAlpha = alpha.map { Resize.bicubic($0, width: width, height: height) }
        progress?(0.1)
        // SRCNN on Y.
        let y = try network.forward(up[0], options: options,
                                    progress: progress.map { p in { @Sendable f in p(0.1 + 0.9 * f) } }, cancel: cancel)
        up[0] = y   // frees the bicubic Y
        var out: [Plane]
        if colour {
            var (yy, cb, cr) = (up[0], up[1], up[2])
            up.removeAll()      // the three planes are now uniquely owned: converted without copies
            Colour.yCbCrToRGBInPlace(&yy, &cb, &cr)
            out = [yy, cb, cr]
        } else {
            out = up
        }
        if let upAlpha { out.append(upAlpha) }
        return out
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
        let hr = hrY.modcrop(scale)
        let lr = Resize.bicubic(hr, width: hr.width / scale, height: hr.height / scale)
        return (hr, Resize.bicubic(lr, width: hr.width, height: hr.height))
    }

    public static func score(_ sr: Plane, hr: Plane, scale: Int) -> ProtocolScore {
        ProtocolScore(psnr: Metrics.psnr(sr, hr, shave: scale), ssim: Metrics.ssim(sr, hr, shave: scale))
    }
}

/// `uint8(x * 255) / 255`: a 0...1 sample snapped to the 8-bit grid.
@inlinable
public func quantize8AsUnit(_ v: Float) -> Float { quantize8(v) / 255 }
