// The one scale -> size rule, its range and the size limits, shared by the CLI, the plug-in and its dialog.
import SRCNN

/// How a scale factor or a requested width/height becomes an output size, and what sizes are allowed.
///
/// Rule: each side is `side * scale` rounded to the nearest pixel (halves up), at least 1 — the size closest
/// to the factor asked for, and what GIMP's own Scale Image gives, so the CLI and the plug-in agree with it and
/// with each other (MATLAB's ceil would make ×1.3333 of 100 px 134 px where GIMP makes 133). Integer factors give
/// exactly `side * scale` under either rule. A lone width or height keeps the aspect ratio by the same rounding.
public enum SizeRule {
    /// Scale factors accepted everywhere.
    public static let scaleRange: ClosedRange<Double> = 1...8
    /// Largest output side (JPEG's limit is 65,500; PNG and TIFF go higher, GIMP to 524,288).
    public static let maxSide = 65_536
    /// Largest output image in pixels (2^30, about 1,074 megapixels; streaming keeps memory flat below it).
    public static let maxPixels = 1 << 30
    /// Largest input image in pixels (2^28, about 268 megapixels: ×2 of it is the output limit). A file whose
    /// header claims more (a decompression bomb: a 1 MB PNG declaring 20000×20000) is refused before anything
    /// is decoded.
    public static let maxInputPixels = 1 << 28

    /// `side * scale`, rounded to the nearest pixel (halves up), at least 1.
    public static func side(_ side: Int, scale: Double) -> Int {
        max(1, Int((Double(side) * scale + 0.5).rounded(.down)))
    }

    /// The output size for a scale factor (checked against the range; not against the limits).
    public static func size(width: Int, height: Int, scale: Double) throws -> (width: Int, height: Int) {
        try checkScale(scale)
        return (side(width, scale: scale), side(height, scale: scale))
    }

    /// The output size for a requested width and/or height; a missing one follows the aspect ratio.
    public static func size(width: Int, height: Int, targetWidth: Int?, targetHeight: Int?) -> (width: Int, height: Int) {
        switch (targetWidth, targetHeight) {
        case let (w?, h?): return (w, h)
        case let (w?, nil): return (w, side(height, scale: Double(w) / Double(width)))
        case let (nil, h?): return (side(width, scale: Double(h) / Double(height)), h)
        case (nil, nil): return (width, height)
        }
    }

    public static func checkScale(_ scale: Double) throws {
        guard scale.isFinite, scaleRange.contains(scale) else {
            throw SRCNNError.invalidArgument("scale \(scale) is out of range (\(Int(scaleRange.lowerBound)) to "
                                             + "\(Int(scaleRange.upperBound)))")
        }
    }

    /// Throws unless `width` x `height` is a size we produce: each side 1...maxSide, at most maxPixels.
    public static func checkOutput(width: Int, height: Int) throws {
        guard width >= 1, height >= 1 else {
            throw SRCNNError.invalidArgument("the output size \(width)x\(height) is empty")
        }
        guard width <= maxSide, height <= maxSide, width * height <= maxPixels else {
            throw SRCNNError.invalidArgument("the output size \(width)x\(height) is too large (at most \(maxSide) "
                                             + "pixels a side and \(maxPixels / 1_000_000) megapixels)")
        }
    }
}
