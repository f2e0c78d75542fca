// `srcnn bench`: forward-pass speed (megapixels per second) of the SRCNN architectures and FSRCNN on this machine.
import ArgumentParser
import Foundation
import SRCNN
import SRCNNHost

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure forward-pass speed: 9-1-5, 9-5-5 (64/32) and the seed article's 9-3-5 (128/64).")

    @Option(help: "Image sides to time, comma separated.") var sizes: String = "512,1024"
    @Option(help: "Built-in architectures (random weights), comma separated: 9-1-5, 9-5-5, 9-3-5, fsrcnn (FSRCNN(56,12,4) x3).")
    var arch: String = "9-1-5,9-5-5,9-3-5"
    @Option(help: "Time these weights files (either family) instead of the built-in architectures (repeatable).")
    var weights: [String] = []
    @Option(help: "Timed runs per case (the median is reported).") var repeats: Int = 5
    @Flag(help: "One JSON object per line instead of a table.") var json = false
    @OptionGroup var common: CommonOptions

    static let builtIn: [String: (kernels: [Int], filters: [Int])] = [
        "9-1-5": ([9, 1, 5], [64, 32]), "9-5-5": ([9, 5, 5], [64, 32]), "9-3-5": ([9, 3, 5], [128, 64]),
    ]

    func run() throws {
        try reportingErrors {
            var models: [(String, Network)] = [], fast: [(String, FSRCNN)] = []
            if weights.isEmpty {
                for a in arch.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) {
                    if a == "fsrcnn" { fast.append((a, FSRCNN.random(scale: 3, seed: 1))); continue }
                    guard let spec = Bench.builtIn[a] else {
                        throw SRCNNError.invalidArgument("unknown architecture '\(a)' (known: 9-1-5, 9-5-5, 9-3-5, fsrcnn)")
                    }
                    models.append((a, Network.random(kernels: spec.kernels, filters: spec.filters, seed: 1)))
                }
            } else {
                for w in weights {
                    switch try SRModel(contentsOf: w) {
                    case .srcnn(let n): models.append((URL(fileURLWithPath: w).lastPathComponent, n))
                    case .fsrcnn(let m): fast.append((URL(fileURLWithPath: w).lastPathComponent, m))
                    }
                }
            }
            let sides = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sides.isEmpty, sides.allSatisfy({ $0 > 0 }) else { throw SRCNNError.invalidArgument("bad --sizes '\(sizes)'") }
            if !json {
                print("kernels: \(CPUFeatures.bestKernels.rawValue), OpenBLAS core: \(openBLASCoreName), threads \(common.threads), tile \(common.tile)")
                print("model                  side  MP/s    GFLOP/s  max|fast-ref|")
            }
            for (name, net) in models {
                let packed = PackedNetwork(net)
                // Correctness guard: the fast path against the plain reference on a small image.
                var rng = SplitMix64(seed: 9)
                let small = Plane(width: 40, height: 33, data: (0..<(40 * 33)).map { _ in Float(rng.nextUniform()) })
                let diff = try packed.forward(small, options: common.forwardOptions).maxAbsDifference(net.forwardReference(small))
                for side in sides {
                    let img = Plane(width: side, height: side, data: (0..<(side * side)).map { _ in Float(rng.nextUniform()) })
                    _ = try packed.forward(img, options: common.forwardOptions)   // warm-up
                    var times: [Double] = []
                    for _ in 0..<max(1, repeats) {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        _ = try packed.forward(img, options: common.forwardOptions)
                        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                    }
                    times.sort()
                    let median = times[times.count / 2]
                    let mps = Double(side * side) / median / 1e6
                    let gflops = mps * Double(net.flopsPerPixel) / 1e3
                    if json {
                        print("{\"model\": \"\(name)\", \"side\": \(side), \"mps\": \(mps), \"gflops\": \(gflops), \"seconds\": \(median), \"threads\": \(common.threads), \"tile\": \(common.tile), \"max_abs_diff_vs_reference\": \(diff), \"openblas_core\": \"\(openBLASCoreName)\", \"kernels\": \"\(packed.kernels.rawValue)\"}")
                    } else {
                        print(String(format: "%-20@  %5d  %6.2f  %7.1f  %.1e", name as NSString, side, mps, gflops, Double(diff)))
                    }
                }
            }
            for (name, m) in fast { try benchFSRCNN(name, m, sides: sides) }
        }
    }

    /// FSRCNN: `side` is the output side (the LR input is side/scale); MP/s of output, GFLOP/s of the LR work.
    func benchFSRCNN(_ name: String, _ m: FSRCNN, sides: [Int]) throws {
        var rng = SplitMix64(seed: 9)
        let small = Plane(width: 13, height: 11, data: (0..<(13 * 11)).map { _ in Float(rng.nextUniform()) })
        let diff = try m.forward(small, threads: common.threads).maxAbsDifference(m.forwardReference(small))
        for side in sides {
            let n = max(1, side / m.scale)
            let img = Plane(width: n, height: n, data: (0..<(n * n)).map { _ in Float(rng.nextUniform()) })
            // One scratch for every run, as a stream keeps one for every band (and the peers keep their arenas).
            let scratch = FSRCNNScratch()
            _ = try m.forward(img, threads: common.threads, scratch: scratch)   // warm-up
            var times: [Double] = []
            for _ in 0..<max(1, repeats) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try m.forward(img, threads: common.threads, scratch: scratch)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            times.sort()
            let median = times[times.count / 2], out = n * m.scale
            let mps = Double(out * out) / median / 1e6
            let gflops = Double(n * n) * Double(2 * m.macsPerInputPixel) / median / 1e9
            if json {
                print("{\"model\": \"\(name)\", \"family\": \"fsrcnn\", \"side\": \(out), \"input_side\": \(n), \"mps\": \(mps), \"gflops\": \(gflops), \"seconds\": \(median), \"threads\": \(common.threads), \"max_abs_diff_vs_reference\": \(diff), \"kernels\": \"\(CPUFeatures.bestKernels.rawValue)\"}")
            } else {
                print(String(format: "%-20@  %5d  %6.2f  %7.1f  %.1e", name as NSString, out, mps, gflops, Double(diff)))
            }
        }
    }
}
