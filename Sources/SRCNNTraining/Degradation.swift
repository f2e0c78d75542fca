// Photo degradations of the low-resolution training input (issue 13): Gaussian noise and a JPEG round trip at a
// quality drawn per copy, deterministic for the run's seed; the label stays the clean HR.
import SRCNN

/// Encodes planes (1 grey or 3 R'G'B', 0...1) as a JPEG at a quality and decodes them (SRCNNImageIO's
/// `JPEGRoundTrip.apply`; passed in so the trainer needs no image library).
public typealias JPEGCodec = @Sendable ([Plane], Int) throws -> [Plane]

/// What happens to the LR image of each training copy. Recorded in the checkpoint and the weights' metadata.
public struct Degradation: Codable, Equatable, Sendable, CustomStringConvertible {
    /// JPEG quality range, drawn uniformly per copy (4:2:0 chroma, as cameras write); nil: no JPEG.
    public var jpeg: ClosedRange<Int>?
    /// Gaussian noise sigma range in 8-bit levels, drawn uniformly per copy, added to each channel of the LR
    /// (before the JPEG, as sensor grain comes before the camera's encoder); nil: no noise.
    public var noise: ClosedRange<Double>?
    /// Share of copies left clean (the benchmark's bicubic LR, unquantised), so clean inputs are not forgotten.
    public var clean: Double
    /// LR versions of each copy, each with its own draw (more variety, that many times the patches).
    public var copies: Int

    public init(jpeg: ClosedRange<Int>? = nil, noise: ClosedRange<Double>? = nil, clean: Double = 0, copies: Int = 1) {
        self.jpeg = jpeg; self.noise = noise; self.clean = clean; self.copies = copies
    }

    public var description: String {
        var parts: [String] = []
        if let j = jpeg { parts.append("JPEG quality \(j.lowerBound)-\(j.upperBound) (4:2:0)") }
        if let n = noise { parts.append("Gaussian noise sigma \(n.lowerBound)-\(n.upperBound) (8-bit levels, per channel)") }
        parts.append("\(Int((clean * 100).rounded())) % of copies clean")
        if copies > 1 { parts.append("\(copies) LR versions per copy") }
        return parts.joined(separator: ", ")
    }

    public func validate() throws {
        if let j = jpeg, j.lowerBound < 1 || j.upperBound > 100 {
            throw SRCNNError.invalidArgument("JPEG qualities must lie in 1...100 (got \(j.lowerBound)-\(j.upperBound))")
        }
        if let n = noise, n.lowerBound < 0 || n.upperBound > 50 {
            throw SRCNNError.invalidArgument("noise sigma must lie in 0...50 levels (got \(n.lowerBound)-\(n.upperBound))")
        }
        guard jpeg != nil || noise != nil else { throw SRCNNError.invalidArgument("a degradation needs --jpeg or --noise") }
        guard clean >= 0, clean < 1 else { throw SRCNNError.invalidArgument("the clean share must lie in [0, 1)") }
        guard (1...8).contains(copies) else { throw SRCNNError.invalidArgument("degradation copies must be 1...8") }
    }

    /// The JPEG quality a photo run validates at: the middle of the range (nil without JPEG: validation sees the
    /// noise-free 8-bit LR).
    public var validationQuality: Int? { jpeg.map { ($0.lowerBound + $0.upperBound) / 2 } }

    /// One copy's draw: clean, or a noise sigma (levels) and a JPEG quality.
    public struct Draw: Equatable, Sendable {
        public var clean: Bool
        public var sigma: Double
        public var quality: Int?
    }

    /// The draw for copy `key` of a run seeded `seed` (the same on every machine and on resume).
    public func draw(seed: UInt64, key: UInt64) -> Draw {
        var r = SplitMix64(seed: seed ^ 0x4A50_4547_0000_0000 ^ (key &* 0xD1B5_4A32_D192_ED03))
        if r.nextUniform() < clean { return Draw(clean: true, sigma: 0, quality: nil) }
        let u = r.nextUniform(), v = r.nextUniform()
        let sigma = noise.map { $0.lowerBound + ($0.upperBound - $0.lowerBound) * u } ?? 0
        let quality = jpeg.map { $0.lowerBound + min($0.upperBound - $0.lowerBound, Int(v * Double($0.count))) }
        return Draw(clean: false, sigma: sigma, quality: quality)
    }

    /// The LR luma (1/scale of `hr`'s size) of one modcropped HR copy: `hrLuma` as the label sees it, `hrPlanes` the
    /// same copy in colour (1 grey or 3 R'G'B'). Clean: bicubic of the luma, as the clean trainer. Otherwise each
    /// channel bicubic down, noise, 8 bits, the JPEG round trip, then Y as `srcnn upscale` computes it.
    public func lowResolutionLuma(hrLuma: Plane, hrPlanes: [Plane], scale: Int, draw d: Draw, key: UInt64,
                                  seed: UInt64, codec: JPEGCodec) throws -> Plane {
        let lw = hrLuma.width / scale, lh = hrLuma.height / scale
        if d.clean { return Resize.bicubic(hrLuma, width: lw, height: lh) }
        var noiseRNG = SplitMix64(seed: seed ^ 0x4E4F_4953_4500_0000 ^ (key &* 0x9E37_79B9_7F4A_7C15))
        var lr = hrPlanes.map { p -> Plane in
            var q = Resize.bicubic(p, width: lw, height: lh)
            for i in q.data.indices {
                let n = d.sigma > 0 ? Float(noiseRNG.nextGaussian() * d.sigma / 255) : 0
                q.data[i] = quantize8AsUnit(q.data[i] + n)
            }
            return q
        }
        if let quality = d.quality { lr = try codec(lr, quality) }
        return lr.count >= 3 ? Colour.rgbToYCbCr(lr[0], lr[1], lr[2]).y : lr[0]
    }
}
