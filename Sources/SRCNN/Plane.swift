// Plane: one channel of an image as row-major Float samples; the unit every engine call works on.

/// A single image channel, `height` rows of `width` Float samples, row-major.
/// Values are on a 0...1 scale (Y/255 for luma), but nothing here clamps them.
public struct Plane: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var data: [Float]

    public init(width: Int, height: Int, data: [Float]) {
        precondition(width >= 0 && height >= 0 && data.count == width * height,
                     "Plane: \(data.count) samples for \(width)x\(height)")
        self.width = width
        self.height = height
        self.data = data
    }

    public init(width: Int, height: Int, repeating value: Float = 0) {
        self.init(width: width, height: height, data: [Float](repeating: value, count: width * height))
    }

    public var count: Int { width * height }

    @inlinable
    public subscript(x: Int, y: Int) -> Float {
        get { data[y * width + x] }
        set { data[y * width + x] = newValue }
    }

    /// The rectangle [x0, x0+w) x [y0, y0+h), which must lie inside the plane.
    public func crop(x: Int, y: Int, width w: Int, height h: Int) -> Plane {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "Plane.crop out of bounds")
        var out = [Float](repeating: 0, count: w * h)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<h {
                    for c in 0..<w { dst[r * w + c] = src[(y + r) * width + x + c] }
                }
            }
        }
        return Plane(width: w, height: h, data: out)
    }

    /// Crop bottom and right so both sides are multiples of `scale` (MATLAB `modcrop`).
    public func modcrop(_ scale: Int) -> Plane {
        crop(x: 0, y: 0, width: width - width % scale, height: height - height % scale)
    }

    /// Drop `border` pixels on every side (the benchmark's "shave").
    public func shave(_ border: Int) -> Plane {
        crop(x: border, y: border, width: max(0, width - 2 * border), height: max(0, height - 2 * border))
    }

    /// Each sample mapped through `f`.
    public func map(_ f: (Float) -> Float) -> Plane {
        Plane(width: width, height: height, data: data.map(f))
    }

    /// The largest absolute difference to another plane of the same size.
    public func maxAbsDifference(_ other: Plane) -> Float {
        precondition(width == other.width && height == other.height, "maxAbsDifference: sizes differ")
        var m: Float = 0
        for i in 0..<data.count { m = max(m, abs(data[i] - other.data[i])) }
        return m
    }
}

extension Plane {
    /// The channels of `height` rows of `width` interleaved pixels (`channels` samples each) as planes.
    public static func deinterleaving(_ src: UnsafeBufferPointer<Float>, width: Int, height: Int,
                                      channels: Int) -> [Plane] {
        precondition(src.count >= width * height * channels, "deinterleaving: buffer too small")
        let n = width * height
        return (0..<channels).map { k in
            Plane(width: width, height: height, data: [Float](unsafeUninitializedCapacity: n) { dst, count in
                for i in 0..<n { dst[i] = src[i * channels + k] }
                count = n
            })
        }
    }

    /// Planes of one size written into `dst` as interleaved pixels, each sample clamped to `range` when given.
    public static func interleave(_ planes: [Plane], into dst: UnsafeMutablePointer<Float>,
                                  clampedTo range: ClosedRange<Float>? = nil) {
        let c = planes.count
        for (k, p) in planes.enumerated() {
            p.data.withUnsafeBufferPointer { src in
                if let range {
                    for i in 0..<src.count { dst[i * c + k] = min(max(src[i], range.lowerBound), range.upperBound) }
                } else {
                    for i in 0..<src.count { dst[i * c + k] = src[i] }
                }
            }
        }
    }
}

/// MATLAB's `uint8(x * 255)` on a 0...1 sample: round half away from zero, saturate to 0...255.
@inlinable
public func quantize8(_ v: Float) -> Float {
    let x = (Double(v) * 255).rounded(.toNearestOrAwayFromZero)
    return Float(min(255, max(0, x)))
}
