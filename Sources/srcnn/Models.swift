// Where the CLI finds weights: an explicit file, or the shipped model nearest the requested scale.
import Foundation
import SRCNN

enum Models {
    /// Folders searched for shipped weights (`srcnn-x2.safetensors`, ...), in order.
    static var searchFolders: [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["SRCNN_WEIGHTS_DIR"], !env.isEmpty { dirs.append(env) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        dirs.append(exe.appendingPathComponent("weights").path)
        dirs.append(exe.appendingPathComponent("../share/srcnn-upscale/weights").standardized.path)
        // The source tree's Weights/ (running from a checkout: .build/release/srcnn).
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights").standardized.path
        dirs.append(source)
        return dirs
    }

    /// The weights file to use: `explicit` if given, else the shipped model whose scale is nearest `scale`.
    static func resolve(_ explicit: String?, scale: Double) throws -> String {
        if let explicit { return explicit }
        guard let best = ShippedWeights.nearest(to: scale, in: searchFolders) else {
            throw SRCNNError.invalidArgument(
                "no shipped weights found (looked in \(searchFolders.joined(separator: ", "))); pass --weights FILE.safetensors")
        }
        return best
    }
}
