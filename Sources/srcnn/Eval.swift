// `srcnn eval`: the SR benchmark protocol on a folder of HR images, bicubic beside each model.
import ArgumentParser
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "PSNR/SSIM on Y of a folder of HR images (modcrop, MATLAB bicubic, `scale` pixels shaved).")

    @Option(help: "Folder of HR images (e.g. ../shared/data/Set5).") var set: String
    @Option(help: "Integer scale factor (2, 3, 4, ...).") var scale: Int
    @Option(help: "Weights to evaluate (repeatable, either family).") var weights: [String] = []
    @Option(help: ArgumentHelp("Shipped models to evaluate (repeatable: srcnn, fsrcnn, srcnn-photo, fsrcnn-photo); "
                               + "default: srcnn unless --weights is given."))
    var model: [String] = []
    @Option(help: "Also write the results as JSON to this file.") var json: String?
    @OptionGroup var common: CommonOptions


    func validate() throws {
        guard scale >= 2 && scale <= 8 else { throw ValidationError("--scale must be an integer from 2 to 8") }
    }

    func run() throws {
        try reportingErrors {
            let files = try ImageFolders.list(set)
            let shipped = model.isEmpty && weights.isEmpty ? ["srcnn"] : model
            let paths = try shipped.map { try Models.resolve(nil, model: $0, scale: Double(scale)) } + weights
            let models = try paths.map { try SRModel(contentsOf: $0) }
            let nets = models.map { m -> PackedNetwork? in if case .srcnn(let n) = m { return PackedNetwork(n) }; return nil }
            let names = ["bicubic"] + paths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
            var rows: [(name: String, scores: [ProtocolScore])] = []
            let bar = ProgressLine("eval \(URL(fileURLWithPath: set).lastPathComponent) x\(scale)", quiet: common.quiet)
            for (i, file) in files.enumerated() {
                let img = try ImageFile.load(file)
                let hrY = BenchmarkProtocol.hrLuma(img.planes)
                guard hrY.width >= 2 * scale, hrY.height >= 2 * scale else {
                    throw SRCNNError.invalidArgument("'\(file)' is too small for x\(scale)")
                }
                let (hr, lr, bic) = BenchmarkProtocol.degradeKeepingLR(hrY, scale: scale)
                var scores = [BenchmarkProtocol.score(bic, hr: hr, scale: scale)]
                for (m, net) in zip(models, nets) {
                    let sr: Plane
                    if let net {
                        sr = try net.forward(bic, options: common.forwardOptions)
                    } else if case .fsrcnn(let f) = m {
                        sr = try f.upscale([lr], width: hr.width, height: hr.height, threads: common.threads)[0]
                    } else { preconditionFailure("unreachable") }
                    scores.append(BenchmarkProtocol.score(sr, hr: hr, scale: scale))
                }
                rows.append((URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, scores))
                bar.update(Double(i + 1) / Double(files.count))
            }
            bar.finish()
            printTable(names: names, rows: rows)
            if let json { try writeJSON(json, names: names, rows: rows) }
        }
    }

    private func means(_ rows: [(name: String, scores: [ProtocolScore])]) -> [ProtocolScore] {
        let n = Double(rows.count)
        return (0..<rows[0].scores.count).map { (j: Int) -> ProtocolScore in
            var p = 0.0, s = 0.0
            for r in rows { p += r.scores[j].psnr; s += r.scores[j].ssim }
            return ProtocolScore(psnr: p / n, ssim: s / n)
        }
    }

    private func printTable(names: [String], rows: [(name: String, scores: [ProtocolScore])]) {
        let nameW = max(8, rows.map(\.name.count).max() ?? 0)
        let colW = max(16, names.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        print("Y-PSNR (dB) / SSIM, x\(scale), \(scale) px shaved, set \(set)")
        print(pad("image", nameW) + "  " + names.map { pad($0, colW) }.joined(separator: "  "))
        func cells(_ s: [ProtocolScore]) -> String {
            s.map { pad(String(format: "%.3f / %.4f", $0.psnr, $0.ssim), colW) }.joined(separator: "  ")
        }
        for r in rows { print(pad(r.name, nameW) + "  " + cells(r.scores)) }
        print(pad("mean", nameW) + "  " + cells(means(rows)))
    }

    private func writeJSON(_ path: String, names: [String], rows: [(name: String, scores: [ProtocolScore])]) throws {
        let m = means(rows)
        let obj: [String: Any] = [
            "set": set, "scale": scale, "models": names,
            "images": rows.map { ["name": $0.name, "psnr": $0.scores.map(\.psnr), "ssim": $0.scores.map(\.ssim)] },
            "mean_psnr": m.map(\.psnr), "mean_ssim": m.map(\.ssim),
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw SRCNNError.io("cannot write '\(path)'")
        }
    }
}
