// The shipped models (`srcnn-x<scale>.safetensors`): where they are searched, and the one nearest a scale.
import FoundationEssentials
import SRCNN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ShippedWeights {
    /// Models of `family` found (`<family>-x<scale>.safetensors`), as (scale, path) sorted by scale; for a scale
    /// in several folders the first folder wins.
    public static func find(in folders: [String], family: ModelFamily = .srcnn) -> [(scale: Double, path: String)] {
        var found: [Double: String] = [:]
        let prefix = family.rawValue + "-x"
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
        if let explicit, !explicit.isEmpty { return explicit }
        if family == .srcnn { return try resolve(nil, scale: scale, folders: folders) }
        let found = find(in: folders, family: family)
        guard let best = found.first(where: { $0.scale >= scale - 1e-9 }) ?? found.last else {
            throw SRCNNError.invalidArgument("no shipped \(family.rawValue) weights found (looked in "
                                             + "\(folders.joined(separator: ", "))); pass a weights file (.safetensors)")
        }
        return best.path
    }

    /// The path of the model whose scale is nearest `scale` (in ratio), or nil when the folders hold none.
    public static func nearest(to scale: Double, in folders: [String]) -> String? {
        find(in: folders).min { abs(log($0.scale / scale)) < abs(log($1.scale / scale)) }?.path
    }
}
