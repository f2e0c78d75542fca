// The shipped models (`<model>-x<scale>.safetensors`, model srcnn, fsrcnn, srcnn-photo, fsrcnn-photo): their names,
// where they are searched, and the one a scale runs.
import FoundationEssentials
import SRCNN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shipped model's name: its family, trained on clean inputs or on photos (JPEG-compressed, noisy LR; issue 13).
public struct ShippedModel: Hashable, Sendable, CustomStringConvertible {
    public var family: ModelFamily
    public var photo: Bool
    public init(_ family: ModelFamily, photo: Bool = false) { self.family = family; self.photo = photo }

    /// `srcnn`, `fsrcnn`, `srcnn-photo`, `fsrcnn-photo` (any case); nil for anything else.
    public init?(name: String) {
        let n = name.lowercased(), photo = n.hasSuffix("-photo")
        guard let family = ModelFamily(rawValue: photo ? String(n.dropLast("-photo".count)) : n) else { return nil }
        self.init(family, photo: photo)
    }

    /// The name, also the files' prefix (`fsrcnn-photo` -> fsrcnn-photo-x3.safetensors).
    public var name: String { family.rawValue + (photo ? "-photo" : "") }
    public var description: String { name }
    public static let all: [ShippedModel] = [ShippedModel(.srcnn), ShippedModel(.fsrcnn),
                                             ShippedModel(.srcnn, photo: true), ShippedModel(.fsrcnn, photo: true)]
    /// The names, for messages and help ("srcnn, fsrcnn, srcnn-photo, fsrcnn-photo").
    public static var names: String { all.map(\.name).joined(separator: ", ") }
}

public enum ShippedWeights {
    /// Models of `family` found (`<family>-x<scale>.safetensors`), as (scale, path) sorted by scale; for a scale
    /// in several folders the first folder wins.
    public static func find(in folders: [String], family: ModelFamily = .srcnn) -> [(scale: Double, path: String)] {
        find(in: folders, model: ShippedModel(family))
    }

    /// Files of `model` found (`<name>-x<scale>.safetensors`), as (scale, path) sorted by scale; for a scale in
    /// several folders the first folder wins.
    public static func find(in folders: [String], model: ShippedModel) -> [(scale: Double, path: String)] {
        var found: [Double: String] = [:]
        let prefix = model.name + "-x"
        for dir in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names where name.hasPrefix(prefix) && name.hasSuffix(".safetensors") {
                let s = name.dropFirst(prefix.count).dropLast(".safetensors".count)
                if let v = Double(s), v > 0, found[v] == nil { found[v] = dir + "/" + name }
            }
        }
        return found.map { ($0.key, $0.value) }.sorted { $0.scale < $1.scale }
    }

    /// The folders to search: `$SRCNN_WEIGHTS_DIR` first (when set), then the host's own `installed` folders.
    public static func searchFolders(_ installed: [String]) -> [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["SRCNN_WEIGHTS_DIR"], !env.isEmpty { dirs.append(env) }
        return dirs + installed
    }

    /// `explicit` when given (non-empty), else the shipped model nearest `scale` in `folders`.
    public static func resolve(_ explicit: String?, scale: Double, folders: [String]) throws -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        guard let best = nearest(to: scale, in: folders) else {
            throw SRCNNError.invalidArgument("no shipped weights found (looked in \(folders.joined(separator: ", "))); "
                                             + "pass a weights file (.safetensors)")
        }
        return best
    }

    /// `explicit` when given, else the shipped model of `family` for `scale`: SRCNN's nearest in ratio, FSRCNN's
    /// smallest native scale at or above it (else its largest: the output is then bicubic beyond that).
    public static func resolve(_ explicit: String?, family: ModelFamily, scale: Double, folders: [String]) throws -> String {
        try resolve(explicit, model: ShippedModel(family), scale: scale, folders: folders)
    }

    /// `explicit` when given, else the file of `model` for `scale`, chosen as for its family (see above).
    public static func resolve(_ explicit: String?, model: ShippedModel, scale: Double, folders: [String]) throws -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        let found = find(in: folders, model: model)
        let best = model.family == .srcnn ? nearest(to: scale, in: found)
            : (found.first(where: { $0.scale >= scale - 1e-9 }) ?? found.last)?.path
        guard let best else {
            throw SRCNNError.invalidArgument("no shipped \(model.name) weights found (looked in "
                                             + "\(folders.joined(separator: ", "))); pass a weights file (.safetensors)")
        }
        return best
    }

    /// The path of the model whose scale is nearest `scale` (in ratio), or nil when the folders hold none.
    public static func nearest(to scale: Double, in folders: [String]) -> String? {
        nearest(to: scale, in: find(in: folders))
    }

    static func nearest(to scale: Double, in found: [(scale: Double, path: String)]) -> String? {
        found.min { abs(log($0.scale / scale)) < abs(log($1.scale / scale)) }?.path
    }
}
