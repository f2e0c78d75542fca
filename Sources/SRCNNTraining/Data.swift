// Training data: HR luma planes -> (bicubic input, HR label) patch pairs, built once in memory.
import Foundation
import SRCNN

public struct PatchSettings: Codable, Equatable, Sendable {
    /// Input patch side (the paper: 33; the seed article: 32) and the stride between patches (14; 16).
    public var size: Int
    public var stride: Int
    /// Augment with the 8 flips/rotations of each image.
    public var flips: Bool = false
    /// Augment with extra bicubic-downscaled copies of each HR image, e.g. [0.9, 0.8, 0.7, 0.6].
    public var downscales: [Double] = []
    public init(size: Int, stride: Int, flips: Bool = false, downscales: [Double] = []) {
        self.size = size; self.stride = stride; self.flips = flips; self.downscales = downscales
    }
}

/// Patch pairs: `inputs` (count, size, size) from the bicubic plane, `labels` (count, o, o) the centre
/// crop of the HR patch, o = size - 2 * border (what the valid convolutions leave).
public struct PatchSet: Sendable {
    public let size: Int
    public let labelSide: Int
    public private(set) var inputs: [Float] = []
    public private(set) var labels: [Float] = []
    public private(set) var count = 0

    public init(size: Int, border: Int) {
        self.size = size; self.labelSide = size - 2 * border
    }

    /// The 8 dihedral transforms of a plane (t = 0 is the identity; bit 2 transposes, bits 0/1 flip).
    public static func transform(_ p: Plane, _ t: Int) -> Plane {
        let tr = t & 4 != 0
        let W = tr ? p.height : p.width, H = tr ? p.width : p.height
        var out = [Float](repeating: 0, count: W * H)
        for y in 0..<H {
            for x in 0..<W {
                var sx = t & 1 != 0 ? W - 1 - x : x
                var sy = t & 2 != 0 ? H - 1 - y : y
                if tr { swap(&sx, &sy) }
                out[y * W + x] = p.data[sy * p.width + sx]
            }
        }
        return Plane(width: W, height: H, data: out)
    }

    /// Adds the patches of one HR luma plane (values 0...1) under the benchmark degradation
    /// (modcrop, MATLAB bicubic down by 1/scale and back up), with the augmentations of `settings`.
    public mutating func add(hrLuma: Plane, scale: Int, settings: PatchSettings) {
        precondition(settings.size == size && settings.stride >= 1, "patch settings do not match this set")
        var bases = [hrLuma]
        for f in settings.downscales where f > 0 && f < 1 {
            let w = Int((Double(hrLuma.width) * f).rounded()), h = Int((Double(hrLuma.height) * f).rounded())
            if w >= size, h >= size { bases.append(Resize.bicubic(hrLuma, width: w, height: h)) }
        }
        for base in bases {
            for t in 0..<(settings.flips ? 8 : 1) {
                let img = t == 0 ? base : PatchSet.transform(base, t)
                // Images smaller than a patch (after modcrop) give no patches.
                guard img.width >= size, img.height >= size, img.width >= 2 * scale, img.height >= 2 * scale else { continue }
                let (hr, bic) = BenchmarkProtocol.degrade(img, scale: scale)
                addPatches(input: bic, label: hr, stride: settings.stride)
            }
        }
    }

    mutating func addPatches(input: Plane, label: Plane, stride: Int) {
        let b = (size - labelSide) / 2
        guard input.width >= size, input.height >= size else { return }
        for y in Swift.stride(from: 0, through: input.height - size, by: stride) {
            for x in Swift.stride(from: 0, through: input.width - size, by: stride) {
                for r in 0..<size {
                    let o = (y + r) * input.width + x
                    inputs.append(contentsOf: input.data[o..<(o + size)])
                }
                for r in 0..<labelSide {
                    let o = (y + b + r) * label.width + x + b
                    labels.append(contentsOf: label.data[o..<(o + labelSide)])
                }
                count += 1
            }
        }
    }

    /// Copies patches `indices` into contiguous batch buffers.
    public func gather(_ indices: ArraySlice<Int>, inputs bi: inout [Float], labels bl: inout [Float]) {
        let s2 = size * size, l2 = labelSide * labelSide
        bi.removeAll(keepingCapacity: true); bl.removeAll(keepingCapacity: true)
        for i in indices {
            bi.append(contentsOf: inputs[(i * s2)..<((i + 1) * s2)])
            bl.append(contentsOf: labels[(i * l2)..<((i + 1) * l2)])
        }
    }
}

/// A validation image under the benchmark protocol: modcropped HR and its bicubic input.
public struct ValidationImage: Sendable {
    public var name: String
    public var hr: Plane
    public var bicubic: Plane
    public init(name: String, hrLuma: Plane, scale: Int) {
        self.name = name
        (hr, bicubic) = BenchmarkProtocol.degrade(hrLuma, scale: scale)
    }
}
