// Where the CLI finds weights: an explicit file, or the shipped model of a name for the scale.
import Foundation
import SRCNN
import SRCNNHost

enum Models {
    /// Folders searched for shipped weights (`srcnn-x2.safetensors`, ...), in order.
    static var searchFolders: [String] {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // The source tree's Weights/ last (running from a checkout: .build/release/srcnn).
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights").standardized.path
        return ShippedWeights.searchFolders([exe.appendingPathComponent("weights").path,
                                             exe.appendingPathComponent("../share/srcnn-upscale/weights").standardized.path,
                                             source])
    }

    /// The weights file to use: `explicit` if given, else the shipped model whose scale is nearest `scale`.
    static func resolve(_ explicit: String?, scale: Double) throws -> String {
        try ShippedWeights.resolve(explicit, scale: scale, folders: searchFolders)
    }

    /// `--weights` if given, else the shipped model named `--model` (srcnn, fsrcnn, srcnn-photo, fsrcnn-photo) for
    /// `scale`.
    static func resolve(_ explicit: String?, model: String?, scale: Double) throws -> String {
        guard let shipped = ShippedModel(name: model ?? "srcnn") else {
            throw SRCNNError.invalidArgument("unknown model '\(model!)' (shipped: \(ShippedModel.names); "
                                             + "or --weights FILE)")
        }
        return try ShippedWeights.resolve(explicit, model: shipped, scale: scale, folders: searchFolders)
    }
}
