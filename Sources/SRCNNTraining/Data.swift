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
    /// Photo degradations of the LR input (nil: the clean benchmark degradation only).
    public var degradation: Degradation?
    /// SRCNN: store each patch once and apply a flip/rotation as it is drawn (as FSRCNN always does), instead of
    /// storing the 8 flipped images' patches: 1/8 of the memory, so downscaled copies fit. nil: stored flips.
    public var flipsAtGather: Bool?
    public init(size: Int, stride: Int, flips: Bool = false, downscales: [Double] = [], degradation: Degradation? = nil) {
        self.size = size; self.stride = stride; self.flips = flips; self.downscales = downscales
        self.degradation = degradation
    }
}

/// Patch pairs: `inputs` (count, size, size) from the bicubic plane, `labels` (count, o, o) the centre
/// crop of the HR patch, o = size - 2 * border (what the valid convolutions leave).
/// FSRCNN sets: `inputs` are LR patches, `labels` the HR window of `FSRCNNGeometry.storedSide` around the label
/// window; with `flipsOnGather` each gathered patch gets one of the 8 flips/rotations (drawn from the gather seed),
/// applied to both, and the label window is cut from the flipped stored window.
public struct PatchSet: Sendable {
    public let size: Int
    public let labelSide: Int
    /// Side of the stored labels (`labelSide` unless an FSRCNN set keeps a wider window).
    public let storedSide: Int
    let labelOffset: Int
    public let flipsOnGather: Bool
    public private(set) var inputs: [Float] = []
    public private(set) var labels: [Float] = []
    public private(set) var count = 0

    /// An SRCNN set; with `flipsOnGather` each patch is stored once and flipped as it is drawn (the label, the
    /// centre crop of the input window, turns with it).
    public init(size: Int, border: Int, flipsOnGather: Bool = false) {
        self.size = size; self.labelSide = size - 2 * border
        storedSide = labelSide; labelOffset = 0; self.flipsOnGather = flipsOnGather
    }

    /// An FSRCNN set: LR patches of `geometry.lrPatch`, labels as the geometry says.
    public init(fsrcnn geometry: FSRCNNGeometry, flips: Bool) {
        size = geometry.lrPatch; labelSide = geometry.labelSide
        storedSide = geometry.storedSide; labelOffset = geometry.labelOffset; flipsOnGather = flips
    }

    /// `planes` (one image's planes, the same size) and their `factors` copies (MATLAB bicubic, sides rounded), the
    /// copies whose sides fall below `minSide` left out: the 0.9 ... 0.6 downscaled copies of the paper, in order.
    static func downscaledCopies(_ planes: [Plane], factors: [Double], minSide: Int) -> [[Plane]] {
        var copies = [planes]
        let w0 = planes[0].width, h0 = planes[0].height
        for f in factors where f > 0 && f < 1 {
            let w = Int((Double(w0) * f).rounded()), h = Int((Double(h0) * f).rounded())
            if w >= minSide, h >= minSide { copies.append(planes.map { Resize.bicubic($0, width: w, height: h) }) }
        }
        return copies
    }

    /// Adds the LR/HR patch pairs of one HR luma plane (values 0...1) for FSRCNN: modcrop, MATLAB bicubic down by
    /// 1/scale, LR patches every `settings.stride` LR pixels with the HR window over the same area, for the
    /// image and its `settings.downscales` copies (flips come at gather time).
    public mutating func addLowResolution(hrLuma: Plane, geometry g: FSRCNNGeometry, settings: PatchSettings) {
        precondition(g.lrPatch == size && storedSide == g.storedSide, "patch settings do not match this set")
        for base in PatchSet.downscaledCopies([hrLuma], factors: settings.downscales, minSide: size * g.scale)
            .map({ $0[0] }) {
            let hr = base.modcrop(g.scale)
            let lw = hr.width / g.scale, lh = hr.height / g.scale
            guard lw >= size, lh >= size else { continue }
            addLowResolutionPair(hr: hr, lr: Resize.bicubic(hr, width: lw, height: lh), geometry: g, stride: settings.stride)
        }
    }

    /// The patches of one modcropped HR luma plane and its LR plane (1/scale of its size) for FSRCNN.
    mutating func addLowResolutionPair(hr: Plane, lr: Plane, geometry g: FSRCNNGeometry, stride: Int) {
        let lw = lr.width, lh = lr.height
        guard lw >= size, lh >= size else { return }
        for y in Swift.stride(from: 0, through: lh - size, by: stride) {
            for x in Swift.stride(from: 0, through: lw - size, by: stride) {
                for r in 0..<size {
                    let o = (y + r) * lw + x
                    inputs.append(contentsOf: lr.data[o..<(o + size)])
                }
                let Y = y * g.scale + g.storedStart, X = x * g.scale + g.storedStart
                for r in 0..<storedSide {
                    let o = (Y + r) * hr.width + X
                    labels.append(contentsOf: hr.data[o..<(o + storedSide)])
                }
                count += 1
            }
        }
    }

    /// Adds one HR image under `settings.degradation` (SRCNN with `geometry` nil, else FSRCNN): `planes` are its
    /// colour planes (1 grey or 3 R'G'B', 0...1, alpha dropped), `image` its index in the data set (with `seed`, it
    /// keys each copy's draw). Copies: the image and its downscales, for SRCNN also each of the 8 flips (FSRCNN flips
    /// at gather time); each gets `copies` LR versions. The labels are the clean HR luma, as `add`/`addLowResolution`.
    public mutating func addDegraded(planes: [Plane], scale: Int, settings: PatchSettings, geometry g: FSRCNNGeometry?,
                                     image: Int, seed: UInt64, codec: JPEGCodec) throws {
        guard let deg = settings.degradation else { preconditionFailure("addDegraded without a degradation") }
        let colour = planes.count >= 3 ? Array(planes[0..<3]) : [planes[0]]
        let minSide = g == nil ? size : size * scale, flips = settings.flips && !flipsOnGather ? 8 : 1
        // Copy b's planes: the luma, then the colour planes (downscaled only when one of its draws degrades).
        let lumas = PatchSet.downscaledCopies([BenchmarkProtocol.hrLuma(planes)], factors: settings.downscales,
                                              minSide: minSide).map { $0[0] }
        func key(_ b: Int, _ t: Int, _ c: Int) -> UInt64 { UInt64(image) << 16 | UInt64(b) << 8 | UInt64(t) << 4 | UInt64(c) }
        for (b, luma) in lumas.enumerated() {
            let draws = (0..<flips).map { t in (0..<deg.copies).map { deg.draw(seed: seed, key: key(b, t, $0)) } }
            let allClean = draws.joined().allSatisfy(\.clean)
            let base = allClean ? [] : b == 0 ? colour
                : colour.map { Resize.bicubic($0, width: luma.width, height: luma.height) }
            for t in 0..<flips {
                let y = t == 0 ? luma : PatchSet.transform(luma, t)
                guard y.width >= minSide, y.height >= minSide, y.width >= 2 * scale, y.height >= 2 * scale else { continue }
                let hr = y.modcrop(scale)
                let hrColour = base.map { (t == 0 ? $0 : PatchSet.transform($0, t)).modcrop(scale) }
                for c in 0..<deg.copies {
                    let k = key(b, t, c)
                    let lr = try deg.lowResolutionLuma(hrLuma: hr, hrPlanes: hrColour, scale: scale,
                                                       draw: draws[t][c], key: k, seed: seed,
                                                       codec: codec)
                    if let g {
                        addLowResolutionPair(hr: hr, lr: lr, geometry: g, stride: settings.stride)
                    } else {
                        addPatches(input: Resize.bicubic(lr, width: hr.width, height: hr.height), label: hr,
                                   stride: settings.stride)
                    }
                }
            }
        }
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
        for base in PatchSet.downscaledCopies([hrLuma], factors: settings.downscales, minSide: size).map({ $0[0] }) {
            for t in 0..<(settings.flips && !flipsOnGather ? 8 : 1) {
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

    /// Copies patches `indices` into contiguous batch buffers (with `flipsOnGather`, each flipped as `seed` and
    /// its position in the batch draw).
    public func gather(_ indices: ArraySlice<Int>, inputs bi: inout [Float], labels bl: inout [Float], seed: UInt64 = 0) {
        let s2 = size * size, l2 = labelSide * labelSide, u2 = storedSide * storedSide
        bi.removeAll(keepingCapacity: true); bl.removeAll(keepingCapacity: true)
        for (k, i) in indices.enumerated() {
            if !flipsOnGather && storedSide == labelSide {
                bi.append(contentsOf: inputs[(i * s2)..<((i + 1) * s2)])
                bl.append(contentsOf: labels[(i * l2)..<((i + 1) * l2)])
                continue
            }
            let t = flipsOnGather ? PatchSet.flip(seed: seed, position: k) : 0
            PatchSet.appendTransformed(inputs, from: i * s2, side: size, t, crop: 0, cropSide: size, to: &bi)
            PatchSet.appendTransformed(labels, from: i * u2, side: storedSide, t, crop: labelOffset,
                                       cropSide: labelSide, to: &bl)
        }
    }

    /// The flip/rotation (0..<8, as `transform`) for the patch at `position` of a batch gathered with `seed`.
    static func flip(seed: UInt64, position: Int) -> Int {
        var r = SplitMix64(seed: seed ^ (UInt64(position) &* 0x9E37_79B9_7F4A_7C15))
        return Int(r.next() & 7)
    }

    /// The square `side` x `side` block at `base` under dihedral transform `t` (as `transform`), rows
    /// crop ..< crop + cropSide and the same columns of the result, appended to `out`.
    static func appendTransformed(_ src: [Float], from base: Int, side n: Int, _ t: Int, crop: Int, cropSide: Int,
                                  to out: inout [Float]) {
        for y in crop..<(crop + cropSide) {
            for x in crop..<(crop + cropSide) {
                var sx = t & 1 != 0 ? n - 1 - x : x
                var sy = t & 2 != 0 ? n - 1 - y : y
                if t & 4 != 0 { swap(&sx, &sy) }
                out.append(src[base + sy * n + sx])
            }
        }
    }
}

/// A validation image under the benchmark protocol: modcropped HR and its bicubic input.
public struct ValidationImage: Sendable {
    public var name: String
    public var hr: Plane
    /// MATLAB bicubic down by 1/scale (FSRCNN's input) and back up (SRCNN's).
    public var lr: Plane
    public var bicubic: Plane
    /// A photo run's clean pair beside its JPEG one (`lr`, `bicubic`): what the run keeps of clean inputs.
    public var clean: (lr: Plane, bicubic: Plane)?
    public init(name: String, hrLuma: Plane, scale: Int) {
        self.name = name
        hr = hrLuma.modcrop(scale)
        lr = Resize.bicubic(hr, width: hr.width / scale, height: hr.height / scale)
        bicubic = Resize.bicubic(lr, width: hr.width, height: hr.height)
    }

    /// A photo run's validation image: the LR is JPEG-compressed at `degradation.validationQuality` (no noise,
    /// no draw), so the best epoch is the one that serves compressed inputs best; `clean` keeps the clean pair.
    public init(name: String, planes: [Plane], scale: Int, degradation: Degradation, codec: JPEGCodec) throws {
        self.name = name
        let plain = ValidationImage(name: name, hrLuma: BenchmarkProtocol.hrLuma(planes), scale: scale)
        hr = plain.hr
        clean = (plain.lr, plain.bicubic)
        let colour = (planes.count >= 3 ? Array(planes[0..<3]) : [planes[0]]).map { $0.modcrop(scale) }
        let d = Degradation.Draw(clean: false, sigma: 0, quality: degradation.validationQuality)
        lr = try degradation.lowResolutionLuma(hrLuma: hr, hrPlanes: colour, scale: scale, draw: d, key: 0, seed: 0,
                                               codec: codec)
        bicubic = Resize.bicubic(lr, width: hr.width, height: hr.height)
    }
}
