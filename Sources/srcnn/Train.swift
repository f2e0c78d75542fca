// `srcnn train`: train SRCNN on a folder of HR images (Y, MATLAB bicubic degradation), validating on a folder
// under the benchmark protocol; checkpoints every epoch and on SIGINT/SIGTERM; `--resume` continues exactly.
import ArgumentParser
import Dispatch
import Foundation
import SRCNN
import SRCNNHost
import SRCNNImageIO
import SRCNNTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train SRCNN weights (presets: seed, paper-955, paper-915; any architecture with --layers/--filters).")

    @Option(help: "Preset: seed (9-3-5 128/64, Adam 3e-4, batch 64, patches 32/16, x2), paper-955, paper-915 (SGD, 33/14, x3), fsrcnn (FSRCNN(56,12,4) x3).")
    var preset: String?
    @Option(help: "Model family: srcnn or fsrcnn (fsrcnn: the fsrcnn preset; patches are LR pixels, sized for --scale).")
    var family: String?
    @Option(help: "Folder of HR training images (default: ../shared/data/T91 beside the package).") var data: String?
    @Option(help: "Folder of validation images (default: every 20th image of --data, held out of training: a test set such as Set5 must not pick the weights).")
    var val: String?
    @Flag(help: "No validation (the last weights are saved instead of the best).") var noVal = false
    @Option(help: "Kernel sizes, e.g. 9-5-5.") var layers: String?
    @Option(help: "Hidden filter counts, e.g. 64,32.") var filters: String?
    @Option(help: "Integer scale factor.") var scale: Int?
    @Option(help: "Input patch side (paper 33, seed 32).") var patch: Int?
    @Option(help: "Patch stride (paper 14, seed 16).") var stride: Int?
    @Flag(help: "Augment with the 8 flips/rotations.") var flips = false
    @Flag(help: "SRCNN: with --flips, store each patch once and flip it as it is drawn (1/8 of the memory; FSRCNN always does).")
    var flipsAtGather = false
    @Option(help: "Augment with downscaled copies, e.g. 0.9,0.8,0.7,0.6.") var downscales: String?
    @Option(help: "Photo weights: re-encode each training copy's LR as a JPEG at a quality drawn from this range (4:2:0), e.g. 30-95.")
    var jpeg: String?
    @Option(help: "Photo weights: add Gaussian noise to the LR before the JPEG, sigma (8-bit levels) drawn from this range, e.g. 0-4.")
    var noise: String?
    @Option(help: "With --jpeg/--noise: the share of copies left clean (default 0.25).") var clean: Double?
    @Option(help: "With --jpeg/--noise: LR versions per copy, each with its own draw (default 1).") var degradeCopies: Int?
    @Option(help: "Patches per step.") var batch: Int?
    @Option(help: "Epochs (total, counting epochs already done when resuming).") var epochs: Int?
    @Option(help: "Steps per epoch (default: one pass over the patches).") var stepsPerEpoch: Int?
    @Option(help: "Stop (with a checkpoint) after this many steps in total.") var maxSteps: Int?
    @Option(help: "Optimiser: adam or sgd (momentum 0.9).") var optimizer: String?
    @Option(help: "Learning rate (all layers but the last).") var lr: Double?
    @Option(help: "Learning rate of the last layer (default: --lr; paper presets 1e-5).") var lrLast: Double?
    @Option(help: "Random seed (initialisation and shuffling).") var seed: UInt64?
    @Option(help: "Std of the Gaussian initial weights (default: He-normal; paper presets 0.001).") var initStd: Double?
    @Option(help: "Start from these weights (fine-tuning; same architecture, or an FSRCNN with a narrower shrink or fewer mapping layers: copied channels and identity layers keep its function).") var `init`: String?
    @Option(help: "Worker threads.") var threads: Int = 2
    @Option(help: "Patches per GEMM inside a thread (OpenBLAS kernels only; the AVX-512 kernels take one patch at a time).") var micro: Int?
    @Option(name: .shortAndLong, help: "Output weights (safetensors; best val PSNR so far).") var output: String = "srcnn-train.safetensors"
    @Option(help: "Checkpoint file (default: <output>.ckpt).") var checkpoint: String?
    @Option(help: "Resume from this checkpoint (settings come from it; changed ones are an error).") var resume: String?
    @Option(help: "CSV log (default: <output without extension>.csv).") var csv: String?
    @Option(help: "Training-curve SVG (default: <output without extension>.svg).") var svg: String?
    @Option(help: "With --bench: OpenBLAS threads (default 1; the batch is split over --threads).") var blasThreads: Int = 1
    @Flag(help: "Measure training speed (patches/s, batch 64) of the seed model, 9-5-5, 9-1-5 and FSRCNN x2/x3/x4, then exit.") var bench = false
    @Flag(name: .shortAndLong, help: "Only per-epoch lines.") var quiet = false

    /// The default validation: images of the training folder set aside (recorded in the checkpoint as this text).
    static let holdout = "held out of the training folder: every 20th image (the last under 20), not trained on"

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static func sharedData(_ name: String) -> String? {
        let p = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/\(name)").path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    func run() throws {
        try reportingErrors {
            if bench { try runBench(); return }
            // SIGINT/SIGTERM: set a flag; the trainer saves a checkpoint at the next step boundary
            // (installed first, so a signal while the data loads still ends in a checkpoint, not a kill).
            let cancel = CancelFlag()
            signal(SIGINT, SIG_IGN); signal(SIGTERM, SIG_IGN)
            var sources: [DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM] {
                let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                s.setEventHandler {
                    // A second signal while the checkpoint is pending: stop at once (the last checkpoint,
                    // written atomically, stays intact).
                    if cancel.isCancelled { printErr("srcnn: interrupted again; exiting without a new checkpoint"); Foundation.exit(130) }
                    printErr("srcnn: stopping after this step (checkpoint follows; signal again to quit at once)")
                    cancel.cancel()
                }
                s.resume(); sources.append(s)
            }
            defer { sources.forEach { $0.cancel() } }
            var config: TrainConfig
            var resumed: Checkpoint? = nil
            if let resume {
                let ck = try Checkpoint(contentsOf: resume)
                config = ck.config; resumed = ck
            } else {
                guard family == nil || ModelFamily(rawValue: family!) != nil else {
                    throw ValidationError("--family is srcnn or fsrcnn")
                }
                config = try TrainConfig.preset(preset ?? (family == "fsrcnn" ? "fsrcnn" : "seed"))
                if let family, config.arch.isFSRCNN != (family == "fsrcnn") {
                    throw ValidationError("--family \(family) does not match the preset \(preset ?? "")")
                }
            }
            try apply(&config)
            // Validation set: --no-val / --val win; a resumed run keeps the one its checkpoint recorded.
            if noVal {
                config.validation = ""
            } else if let val {
                config.validation = URL(fileURLWithPath: val).standardizedFileURL.path
            } else if resumed == nil || config.validation == nil {
                config.validation = Train.holdout
            }
            if let ck = resumed, let m = config.mismatchDescription(ck.config) {
                throw SRCNNError.invalidArgument("checkpoint \(resume!) does not match: \(m)")
            }
            // Everything that can be checked before the data loads and the first step runs.
            try config.validate()
            let stem = (output as NSString).deletingPathExtension
            let outs = TrainOutputs(weights: output, checkpoint: checkpoint ?? resume ?? output + ".ckpt",
                                    csv: csv ?? stem + ".csv", svg: svg ?? stem + ".svg")
            for f in [outs.weights, outs.checkpoint, outs.csv, outs.svg].compactMap({ $0 }) {
                let dir = (f as NSString).deletingLastPathComponent
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir), isDir.boolValue else {
                    throw SRCNNError.io("cannot write \(f): folder '\(dir)' does not exist")
                }
                guard access(dir.isEmpty ? "." : dir, W_OK) == 0 else {
                    throw SRCNNError.io("cannot write \(f): folder '\(dir)' is not writable")
                }
            }
            let dataDir = config.dataset
            let t0 = Date()
            let geometry = config.arch.isFSRCNN ? try config.fsrcnnGeometry() : nil
            var set = geometry.map { PatchSet(fsrcnn: $0, flips: config.patches.flips) }
                ?? PatchSet(size: config.patches.size, border: config.arch.border,
                            flipsOnGather: config.patches.flips && config.patches.flipsAtGather == true)
            var files = try ImageFolders.list(dataDir), valFiles: [String] = []
            if config.validation == Train.holdout { (files, valFiles) = ImageFolders.holdOut(files) }
            let codec: JPEGCodec = { try JPEGRoundTrip.apply($0, quality: $1) }
            for (index, f) in files.enumerated() {
                let img = try ImageFile.load(f)
                if config.patches.degradation != nil {
                    try set.addDegraded(planes: img.planes, scale: config.scale, settings: config.patches,
                                        geometry: geometry, image: index, seed: config.seed, codec: codec)
                    continue
                }
                let y = BenchmarkProtocol.hrLuma(img.planes)
                if let geometry {
                    set.addLowResolution(hrLuma: y, geometry: geometry, settings: config.patches)
                } else {
                    set.add(hrLuma: y, scale: config.scale, settings: config.patches)
                }
            }
            let mb = Double(set.inputs.count + set.labels.count) * 4 / 1e6
            print(String(format: "data: %d images from %@ -> %d patches %dx%d (labels %dx%d), %.0f MB, %.1fs",
                         files.count, dataDir, set.count, set.size, set.size, set.labelSide, set.labelSide, mb, Date().timeIntervalSince(t0)))
            var valImages: [ValidationImage] = []
            if let vdir = config.validation, !vdir.isEmpty {
                if vdir != Train.holdout { valFiles = try ImageFolders.list(vdir) }
                for f in valFiles {
                    let img = try ImageFile.load(f), name = URL(fileURLWithPath: f).lastPathComponent
                    if let deg = config.patches.degradation {
                        valImages.append(try ValidationImage(name: name, planes: img.planes, scale: config.scale,
                                                             degradation: deg, codec: codec))
                    } else {
                        valImages.append(ValidationImage(name: name, hrLuma: BenchmarkProtocol.hrLuma(img.planes),
                                                         scale: config.scale))
                    }
                }
                let valLR = config.patches.degradation.map { d in
                    d.validationQuality.map { ", LR as JPEG quality \($0)" } ?? ", LR in 8 bits" } ?? ""
                print("validation: \(valImages.count) images from \(vdir == Train.holdout ? "\(dataDir) (\(vdir))" : vdir)\(valLR)")
            }
            var initial: [Float]? = nil
            if let i = self.`init`, resume == nil {
                switch try SRModel(contentsOf: i) {
                case .srcnn(let n) where !config.arch.isFSRCNN: initial = try Model.parameters(from: n, arch: config.arch)
                case .fsrcnn(let m) where config.arch.isFSRCNN:
                    // A run with a wider shrink or more mapping layers starts from the file's function: copied
                    // channels (FSRCNN.widened), identity layers (FSRCNN.deepened).
                    let mapping = config.arch.kernels.count - 4   // 5, 1, m 3x3, 1, the 9x9 deconvolution
                    let shrink = config.arch.filters.count > 1 ? config.arch.filters[1] : 0
                    let wide = m.body.count > 1 && m.body[1].outChannels < shrink
                        ? try m.widened(shrink: shrink, seed: config.seed) : m
                    let start = wide.mappingLayers < mapping ? try wide.deepened(mapping: mapping) : wide
                    initial = try FSRCNNModel.parameters(from: start, arch: config.arch)
                case let m: throw SRCNNError.invalidArgument("--init \(i) holds \(m.description), training \(config.arch.name)")
                }
            }
            let trainer = try Trainer(config: config, data: set, validation: valImages, outputs: outs,
                                      initial: initial, resume: resume)
            if quiet { trainer.reportSeconds = .infinity }
            trainer.log = { print($0); fflush(stdout) }
            print("model \(config.arch.name) x\(config.scale), \(config.arch.parameterCount) parameters, patches \(config.patches.size)/\(config.patches.stride) -> labels \(trainer.model.labelSide), batch \(config.batch), \(config.optimizer.description), \(trainer.stepsPerEpoch) steps/epoch, \(config.epochs) epochs, \(config.threads) threads, \(trainer.model.kernels.rawValue) kernels"
                  + (resumed.map { " (resuming at epoch \($0.state.epoch), step \($0.state.step))" } ?? ""))
            let stop = try trainer.run(maxSteps: maxSteps, cancel: cancel)
            try trainer.writeOutputs()
            let best = trainer.state.bestPSNR.map { String(format: ", best val PSNR %.3f dB (epoch %d)", $0, trainer.state.bestEpoch) } ?? ""
            print("wrote \(output)\(best); checkpoint \(outs.checkpoint!)")
            if stop == .cancelled { throw ExitCode(130) }
        }
    }

    /// Explicit options over the preset (or the resumed checkpoint's settings).
    func apply(_ c: inout TrainConfig) throws {
        if layers != nil || filters != nil {
            let ks = try (layers ?? c.arch.kernels.map(String.init).joined(separator: "-")).split(separator: "-").map {
                guard let v = Int($0) else { throw ValidationError("--layers wants e.g. 9-5-5") }; return v
            }
            let fs = try (filters ?? c.arch.filters.map(String.init).joined(separator: ",")).split(separator: ",").map {
                guard let v = Int($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--filters wants e.g. 64,32") }; return v
            }
            c.arch = try Architecture(kernels: ks, filters: fs, family: c.arch.family ?? .srcnn)
        }
        if let scale {
            guard (2...8).contains(scale) else { throw ValidationError("--scale must be 2...8") }
            if c.arch.isFSRCNN, c.scale != scale { c.setFSRCNNPatch(forScale: scale) }
            c.scale = scale
        }
        if let patch { c.patches.size = patch }
        if let stride { guard stride >= 1 else { throw ValidationError("--stride must be >= 1") }; c.patches.stride = stride }
        if flips { c.patches.flips = true }
        if flipsAtGather { c.patches.flipsAtGather = true }
        if let downscales {
            c.patches.downscales = try downscales.split(separator: ",").map {
                guard let v = Double($0), v > 0, v < 1 else { throw ValidationError("--downscales wants factors in (0, 1)") }; return v
            }
        }
        if jpeg != nil || noise != nil || clean != nil || degradeCopies != nil {
            var d = c.patches.degradation ?? Degradation(clean: 0.25)
            func range(_ text: String, _ name: String) throws -> ClosedRange<Double> {
                let parts = text.split(separator: "-").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard (1...2).contains(parts.count), let lo = parts.first!, let hi = parts.last!, lo <= hi else {
                    throw ValidationError("--\(name) wants a range such as 30-95 (or one value)")
                }
                return lo...hi
            }
            if let jpeg {
                let r = try range(jpeg, "jpeg")
                guard r.lowerBound == r.lowerBound.rounded(), r.upperBound == r.upperBound.rounded() else {
                    throw ValidationError("--jpeg wants whole qualities, e.g. 30-95")
                }
                d.jpeg = Int(r.lowerBound)...Int(r.upperBound)
            }
            if let noise { d.noise = try range(noise, "noise") }
            if let clean { d.clean = clean }
            if let degradeCopies { d.copies = degradeCopies }
            c.patches.degradation = d
        }
        if let batch { guard batch >= 1 else { throw ValidationError("--batch must be >= 1") }; c.batch = batch }
        if let epochs { c.epochs = epochs }
        if let stepsPerEpoch { c.stepsPerEpoch = stepsPerEpoch }
        if let optimizer {
            guard let k = OptimizerConfig.Kind(rawValue: optimizer) else { throw ValidationError("--optimizer is adam or sgd") }
            if k != c.optimizer.kind { c.optimizer = k == .adam ? .adam : .paperSGD }
        }
        if let lr { c.optimizer.lr = lr; if lrLast == nil, c.optimizer.kind == .adam { c.optimizer.lastLayerLR = nil } }
        if let lrLast { c.optimizer.lastLayerLR = lrLast }
        if let seed { c.seed = seed }
        if let initStd { c.initStd = initStd }
        if let i = self.`init` { c.initFrom = URL(fileURLWithPath: i).lastPathComponent }
        c.threads = max(1, threads)
        if let micro { c.micro = max(1, micro) }
        if let data { c.dataset = URL(fileURLWithPath: data).standardizedFileURL.path }
        if c.dataset.isEmpty {
            guard let d = Train.sharedData("T91") else { throw ValidationError("pass --data FOLDER (no ../shared/data/T91 beside the package)") }
            c.dataset = URL(fileURLWithPath: d).standardizedFileURL.path
        }
    }

    func runBench() throws {
        print("training speed (forward + backward + Adam step, batch \(batch ?? 64), \(threads) worker thread(s) x \(blasThreads) OpenBLAS thread(s), micro-batch \(micro ?? 1) (OpenBLAS only); median of 10 steps)")
        // The trainer has AVX-512 and OpenBLAS kernels; other families train on OpenBLAS (each row says which ran).
        print("kernels: \(CPUFeatures.bestKernels.rawValue) (SRCNN_KERNELS=avx512|avx2|openblas to choose; "
              + "the trainer runs avx512 or else openblas)")
        // Valid convolutions: 32 -> 18 for 9-3-5 and 33 -> 17 for 9-5-5 (33 -> 21 is 9-1-5); the rows with
        // 34 and 37 give the 20 and 21 pixel labels of padded set-ups, for comparisons by output size.
        let cases: [(String, [Int], [Int], Int)] = [("seed 9-3-5 (128/64)", [9, 3, 5], [128, 64], 32),
                                                    ("seed 9-3-5 (128/64)", [9, 3, 5], [128, 64], 34),
                                                    ("9-5-5 (64/32)", [9, 5, 5], [64, 32], 33),
                                                    ("9-5-5 (64/32)", [9, 5, 5], [64, 32], 37),
                                                    ("9-1-5 (64/32)", [9, 1, 5], [64, 32], 33)]
        for (name, k, f, p) in cases {
            let arch = try Architecture(kernels: k, filters: f)
            let r = try Trainer.measureSpeed(arch: arch, patch: p, batch: batch ?? 64, threads: threads, micro: micro ?? 1, blasThreads: blasThreads)
            let wino = r.kernels == .avx512 && trainsByWinograd(arch, patch: p)
            print(String(format: "%-22@ %d -> %d  %7.0f patches/s  [%@]", name as NSString, p, p - 2 * arch.border,
                         r.patchesPerSecond, (r.kernels.rawValue + (wino ? " + Winograd" : "")) as NSString))
            if wino {   // the same without Winograd, for comparison
                trainingWinograd = false
                defer { trainingWinograd = true }
                let d = try Trainer.measureSpeed(arch: arch, patch: p, batch: batch ?? 64, threads: threads,
                                                 micro: micro ?? 1, blasThreads: blasThreads)
                print(String(format: "%-22@ %d -> %d  %7.0f patches/s  [%@ direct]", name as NSString, p,
                             p - 2 * arch.border, d.patchesPerSecond, d.kernels.rawValue as NSString))
            }
        }
        // FSRCNN: LR patch -> HR label window (the fsrcnn preset's patch sizes).
        for (scale, p) in [(2, 26), (3, 22), (4, 20)] {
            let arch = try Architecture.fsrcnn()
            let r = try Trainer.measureSpeed(arch: arch, patch: p, batch: batch ?? 64, threads: threads, fsrcnnScale: scale)
            let label = try FSRCNNGeometry(arch: arch, scale: scale, lrPatch: p).labelSide
            print(String(format: "%-22@ %d -> %d  %7.0f patches/s  [%@]", "FSRCNN(56,12,4) x\(scale)" as NSString, p, label,
                         r.patchesPerSecond, r.kernels.rawValue as NSString))
        }
    }
}
