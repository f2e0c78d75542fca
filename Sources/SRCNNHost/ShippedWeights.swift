// The shipped models (`srcnn-x<scale>.safetensors`): where they are searched, and the one nearest a scale.
import FoundationEssentials
import SRCNN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ShippedWeights {
    /// Models found, as (scale, path) sorted by scale; for a scale in several folders the first folder wins.
    public static func find(in folders: [String]) -> [(scale: Double, path: String)] {
        var found: [Double: String] = [:]
        for dir in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names where name.hasPrefix("srcnn-x") && name.hasSuffix(".safetensors") {
                let s = name.dropFirst("srcnn-x".count).dropLast(".safetensors".count)
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

    /// The path of the model whose scale is nearest `scale` (in ratio), or nil when the folders hold none.
    public static func nearest(to scale: Double, in folders: [String]) -> String? {
        find(in: folders).min { abs(log($0.scale / scale)) < abs(log($1.scale / scale)) }?.path
    }
}
