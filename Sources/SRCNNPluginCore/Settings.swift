// The plug-in's settings, GIMP-free: what the user chose, how GIMP remembers it between runs, and its checks.
import SRCNNHost

/// Where the result goes.
public enum OutputMode: Int, Sendable, CaseIterable {
    /// The image itself grows (today's behaviour, the default); a selection is ignored, as Scale Image does.
    case resize = 0
    /// A new image, the original untouched: the selection's bounding box when there is a selection, else the image.
    case newImage = 1
}

/// What the user chose (also the "last values" GIMP remembers between runs).
public struct Settings: Equatable, Sendable {
    public var scale: Double = 2
    /// "" or "srcnn": the shipped SRCNN model nearest the scale; "fsrcnn": the shipped FSRCNN one; else a file.
    public var weights: String = ""
    /// false: SRCNN on the drawable passed in; true: on every pixel layer of the image, inside groups too.
    public var allLayers = false
    public var output = OutputMode.resize
    /// Both > 0: an exact result size (the dialog's width and height unchained), `scale` then being the larger
    /// factor (the model is chosen for it). 0: the size follows `scale`.
    public var exactWidth = 0, exactHeight = 0
    /// The dialog's Input (clean / photo weights), remembered apart for images loaded from a JPEG file (photo by
    /// default) and for the others (clean by default).
    public var photoForJPEG = true, photoForOther = false

    public init() {}

    /// The exact size, when there is one.
    public var exactSize: (width: Int, height: Int)? {
        exactWidth > 0 && exactHeight > 0 ? (exactWidth, exactHeight) : nil
    }

    /// "scale\nlayers output width height photoJPEG photoOther\nweights" (the weights path last: it may hold
    /// anything but NUL). Data saved by older versions ("scale\nlayers\nweights", or without the two photo
    /// flags) still loads, with the defaults for what it lacks.
    public var serialized: [UInt8] {
        let flags = "\(allLayers ? 1 : 0) \(output.rawValue) \(exactWidth) \(exactHeight) \(photoForJPEG ? 1 : 0) \(photoForOther ? 1 : 0)"
        return Array("\(scale)\n\(flags)\n\(weights)".utf8)
    }

    public init?(serialized bytes: [UInt8]) {
        let parts = String(decoding: bytes, as: UTF8.self)
            .split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let s = Double(parts[0]) else { return nil }
        let modes = parts[1].split(separator: " ").map { Int($0) }
        guard [1, 4, 6].contains(modes.count), let layers = modes[0], layers == 0 || layers == 1 else { return nil }
        if modes.count >= 4 {
            guard let o = modes[1].flatMap(OutputMode.init(rawValue:)), let w = modes[2], let h = modes[3],
                  w >= 0, h >= 0 else { return nil }
            (output, exactWidth, exactHeight) = (o, w, h)
        }
        if modes.count == 6 {
            guard let j = modes[4], let o = modes[5], [0, 1].contains(j), [0, 1].contains(o) else { return nil }
            (photoForJPEG, photoForOther) = (j == 1, o == 1)
        }
        scale = s
        allLayers = layers == 1
        weights = String(parts[2])
    }

    /// The checks a scale gets before anything runs (1 to 8, finite), as the CLI's.
    public func validate() throws { try SizeRule.checkScale(scale) }
}

/// A rectangle in image pixels.
public struct PixelRect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { (self.x, self.y, self.width, self.height) = (x, y, width, height) }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// The common part of two rectangles (empty: width or height 0).
    public func intersection(_ o: PixelRect) -> PixelRect {
        let x0 = max(x, o.x), y0 = max(y, o.y)
        let x1 = min(x + width, o.x + o.width), y1 = min(y + height, o.y + o.height)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }
}

/// What part of the image the job covers and where each layer's pixels come from.
public struct JobRegion: Equatable, Sendable {
    /// The part of the image that becomes the result (the whole image, or a new image's selection bounds).
    public var area: PixelRect
    /// Whether the image is cropped to `area` (a new image from a selection): layers keep only their part inside
    /// it. Without a crop a layer that reaches past the canvas is scaled whole, as Scale Image does.
    public var crops: Bool

    public init(area: PixelRect, crops: Bool) { self.area = area; self.crops = crops }

    /// The region for `mode`: the selection's bounds (if any) for a new image, else the whole image.
    public static func of(mode: OutputMode, imageWidth: Int, imageHeight: Int, selection: PixelRect?) -> JobRegion {
        let whole = PixelRect(x: 0, y: 0, width: imageWidth, height: imageHeight)
        guard mode == .newImage, let s = selection?.intersection(whole), !s.isEmpty else {
            return JobRegion(area: whole, crops: false)
        }
        return JobRegion(area: s, crops: true)
    }

    /// A layer at `layer` (image coordinates) inside the region: the pixels it keeps, in the layer's own
    /// coordinates, and where they sit in the region (the layer's offsets after a crop to the region).
    /// nil when the layer lies outside the region (a crop removes it).
    public func part(ofLayer layer: PixelRect) -> (source: PixelRect, offsetX: Int, offsetY: Int)? {
        guard crops else {
            return (PixelRect(x: 0, y: 0, width: layer.width, height: layer.height), layer.x - area.x, layer.y - area.y)
        }
        let common = layer.intersection(area)
        guard !common.isEmpty else { return nil }
        return (PixelRect(x: common.x - layer.x, y: common.y - layer.y, width: common.width, height: common.height),
                common.x - area.x, common.y - area.y)
    }
}
