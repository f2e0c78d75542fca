// The shipped models (`srcnn-x<scale>.safetensors`) in a list of folders, and the one nearest a scale.
import FoundationEssentials
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

    /// The path of the model whose scale is nearest `scale` (in ratio), or nil when the folders hold none.
    public static func nearest(to scale: Double, in folders: [String]) -> String? {
        find(in: folders).min { abs(log($0.scale / scale)) < abs(log($1.scale / scale)) }?.path
    }
}
