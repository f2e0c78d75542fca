// Trainer: the epoch loop (shuffle, batches, optimiser), validation under the benchmark protocol,
// best weights, checkpoints, CSV log and SVG curve; resumable bit for bit.
import CBLAS
import Foundation
import SRCNN
import SRCNNHost

public struct TrainConfig: Codable, Equatable, Sendable {
    public var arch: Architecture
    public var scale: Int
    public var patches: PatchSettings
    public var batch: Int
    public var optimizer: OptimizerConfig
    public var seed: UInt64
    /// Std of the Gaussian initial weights (the paper: 0.001); nil = He-normal.
    public var initStd: Double?
    /// Weights file the run started from (fine-tuning), recorded only.
    public var initFrom: String?
    /// Name of the training set (metadata only).
    public var dataset: String
    public var epochs: Int
    /// Steps per epoch; nil = one pass over the patches (count / batch).
    public var stepsPerEpoch: Int?
    /// The validation folder the best epoch is picked on ("" = none; nil = not recorded, checkpoints before it).
    public var validation: String?
    /// Worker threads (the batch is split over them; OpenBLAS runs single-threaded in each).
    public var threads: Int
    /// Patches per GEMM inside a thread on the OpenBLAS path (the AVX-512 path runs one patch at a time and
    /// ignores it; kept so checkpoints resume, and compared on resume like the other settings).
    public var micro: Int

    public init(arch: Architecture, scale: Int, patches: PatchSettings, batch: Int, optimizer: OptimizerConfig,
                seed: UInt64 = 1, initStd: Double? = nil, initFrom: String? = nil, dataset: String = "",
                epochs: Int = 1, stepsPerEpoch: Int? = nil, threads: Int = 2, micro: Int = 1) {
        self.arch = arch; self.scale = scale; self.patches = patches; self.batch = batch; self.optimizer = optimizer
        self.seed = seed; self.initStd = initStd; self.initFrom = initFrom; self.dataset = dataset
        self.epochs = epochs; self.stepsPerEpoch = stepsPerEpoch; self.threads = threads; self.micro = micro
    }

    /// Named presets: `seed` (9-3-5 128/64, Adam 3e-4, batch 64, patches 32/16, x2),
    /// `paper-955` and `paper-915` (64/32, SGD momentum 0.9, lr 1e-4 / last layer 1e-5, Gaussian 0.001, 33/14, x3),
    /// `fsrcnn` (FSRCNN(56,12,4) x3, Adam 1e-3 / deconvolution 1e-4, batch 64, LR patches 22/6 with flips at
    /// random and the downscaled copies 0.9-0.6, as the FSRCNN paper augments).
    public static func preset(_ name: String) throws -> TrainConfig {
        switch name {
        case "seed":
            return TrainConfig(arch: try Architecture(kernels: [9, 3, 5], filters: [128, 64]), scale: 2,
                               patches: PatchSettings(size: 32, stride: 16), batch: 64, optimizer: .adam, epochs: 100)
        case "paper-955", "paper-915":
            let k = name == "paper-955" ? [9, 5, 5] : [9, 1, 5]
            return TrainConfig(arch: try Architecture(kernels: k, filters: [64, 32]), scale: 3,
                               patches: PatchSettings(size: 33, stride: 14), batch: 128, optimizer: .paperSGD,
                               initStd: 0.001, epochs: 1000)
        case "fsrcnn":
            var c = TrainConfig(arch: try .fsrcnn(), scale: 3,
                                patches: PatchSettings(size: 22, stride: 6, flips: true, downscales: [0.9, 0.8, 0.7, 0.6]),
                                batch: 64, optimizer: OptimizerConfig(kind: .adam, lr: 1e-3, lastLayerLR: 1e-4),
                                epochs: 1000)
            c.setFSRCNNPatch(forScale: 3)
            return c
        default:
            throw SRCNNError.invalidArgument("unknown preset '\(name)' (known: seed, paper-955, paper-915, fsrcnn)")
        }
    }

    /// The fields a resumed run must share with its checkpoint (epochs and threads may change: results do not
    /// depend on the thread count); nil if they agree.
    public func mismatchDescription(_ other: TrainConfig) -> String? { mismatch(other) }

    /// FSRCNN's default LR patch and stride for a scale: labels of 21-27 HR pixels, patches overlapping by ~2/3.
    public mutating func setFSRCNNPatch(forScale s: Int) {
        let sizes = [2: (26, 8), 3: (22, 6), 4: (20, 5)]
        let (n, st) = sizes[s] ?? (20, 5)
        patches.size = n; patches.stride = st
    }

    /// FSRCNN runs: where the label window of a patch lies.
    public func fsrcnnGeometry() throws -> FSRCNNGeometry {
        try FSRCNNGeometry(arch: arch, scale: scale, lrPatch: patches.size)
    }

    /// Side of a training label.
    public func labelSide() throws -> Int {
        arch.isFSRCNN ? try fsrcnnGeometry().labelSide : patches.size - 2 * arch.border
    }

    func mismatch(_ other: TrainConfig) -> String? {
        func d<T: Equatable>(_ name: String, _ a: T, _ b: T) -> String? { a == b ? nil : "\(name) \(b) in the checkpoint, \(a) now" }
        let spe: String = stepsPerEpoch.map { String($0) } ?? "auto"
        let ospe: String = other.stepsPerEpoch.map { String($0) } ?? "auto"
        let checks: [String?] = [
            d("architecture", arch.name, other.arch.name), d("scale", scale, other.scale),
            d("patch size", patches.size, other.patches.size), d("patch stride", patches.stride, other.patches.stride),
            d("flips", patches.flips, other.patches.flips), d("downscales", patches.downscales, other.patches.downscales),
            d("flips at gather time", patches.flipsAtGather ?? false, other.patches.flipsAtGather ?? false),
            d("degradation", patches.degradation?.description ?? "none", other.patches.degradation?.description ?? "none"),
            d("batch", batch, other.batch), d("optimizer", optimizer.description, other.optimizer.description),
            d("seed", seed, other.seed), d("data set", dataset, other.dataset),
            d("steps per epoch", spe, ospe), d("micro-batch", micro, other.micro),
            validation == nil || other.validation == nil ? nil
                : d("validation", validation!.isEmpty ? "none" : validation!,
                    other.validation!.isEmpty ? "none" : other.validation!),
        ]
        return checks.compactMap { $0 }.first
    }
}

/// Where a run writes: best weights (safetensors), checkpoint, CSV log, SVG curve (any may be nil).
public struct TrainOutputs: Sendable {
    public var weights: String?
    public var checkpoint: String?
    public var csv: String?
    public var svg: String?
    public init(weights: String? = nil, checkpoint: String? = nil, csv: String? = nil, svg: String? = nil) {
        self.weights = weights; self.checkpoint = checkpoint; self.csv = csv; self.svg = svg
    }
}

public final class Trainer {
    public let config: TrainConfig
    public let model: any TrainableModel
    public let optimizer: Optimizer
    public private(set) var state: TrainState
    public private(set) var best: [Float]
    public let data: PatchSet
    public let validation: [ValidationImage]
    public var outputs: TrainOutputs
    /// Progress lines (per epoch, and within an epoch every `reportSeconds`).
    public var log: (String) -> Void = { print($0) }
    public var reportSeconds = 10.0

    /// A fresh run (initial parameters from `initial`, else random from the seed), or, with `resume`,
    /// the run saved there: its config must match `config` apart from epochs and threads.
    public init(config: TrainConfig, data: PatchSet, validation: [ValidationImage], outputs: TrainOutputs = TrainOutputs(),
                initial: [Float]? = nil, resume: String? = nil) throws {
        try config.validate()
        guard data.count >= 1 else { throw SRCNNError.invalidArgument("no training patches (images smaller than the patch size?)") }
        guard data.size == config.patches.size, data.labelSide == (try config.labelSide()) else {
            throw SRCNNError.invalidArgument("patch set does not match the configuration")
        }
        self.config = config; self.data = data; self.validation = validation; self.outputs = outputs
        var st = TrainState()
        var params: [Float]
        optimizer = Optimizer(config.optimizer, arch: config.arch)
        if let resume {
            let ck = try Checkpoint(contentsOf: resume)
            if let m = config.mismatch(ck.config) {
                throw SRCNNError.invalidArgument("checkpoint \(resume) does not match this run: \(m)")
            }
            st = ck.state; params = ck.params; best = ck.best
            optimizer.m = ck.m; optimizer.v = ck.v; optimizer.t = st.optimizerSteps
        } else {
            params = initial ?? (config.arch.isFSRCNN
                ? FSRCNNModel.initialParameters(config.arch, seed: config.seed, std: config.initStd)
                : Model.initialParameters(config.arch, seed: config.seed, std: config.initStd))
            // The shuffle stream is separate from the initialisation stream.
            var r = SplitMix64(seed: config.seed ^ 0x5348_5546_464C_4531)
            st.nextRNG = r.next()
            best = params
        }
        state = st
        if config.arch.isFSRCNN {
            model = try FSRCNNModel(arch: config.arch, geometry: try config.fsrcnnGeometry(), params: params,
                                    threads: config.threads, batch: config.batch)
        } else {
            model = try Model(arch: config.arch, patch: config.patches.size, params: params, threads: config.threads,
                              micro: config.micro)
        }
    }

    public var stepsPerEpoch: Int { config.stepsPerEpoch ?? max(1, data.count / config.batch) }

    /// Mean val PSNR of `params` (default: current) under the benchmark protocol; nil without validation images.
    public func validatePSNR(_ params: [Float]? = nil) throws -> Double? {
        try validatePSNR(params, inputs: validation.map { ($0.lr, $0.bicubic) })
    }

    /// A photo run's mean val PSNR on the clean LR (not used to pick the best epoch; printed beside the JPEG one,
    /// so a recipe can be judged on what it costs clean inputs); nil for clean runs.
    public func validateCleanPSNR(_ params: [Float]? = nil) throws -> Double? {
        let clean = validation.compactMap(\.clean)
        guard !clean.isEmpty, clean.count == validation.count else { return nil }
        return try validatePSNR(params, inputs: clean.map { ($0.lr, $0.bicubic) })
    }

    /// Mean PSNR against the validation HR of the model run on `inputs` (per image: FSRCNN's LR, SRCNN's bicubic).
    func validatePSNR(_ params: [Float]?, inputs: [(lr: Plane, bicubic: Plane)]) throws -> Double? {
        guard !validation.isEmpty else { return nil }
        let p = params ?? model.params
        var sum = 0.0
        if config.arch.isFSRCNN {
            let m = FSRCNNModel.model(config.arch, p, scale: config.scale)
            for (v, input) in zip(validation, inputs) {
                let sr = try m.forward(input.lr, threads: config.threads)
                sum += Metrics.psnr(sr, v.hr, shave: config.scale)
            }
        } else {
            let net = PackedNetwork(Model.network(config.arch, p))
            for (v, input) in zip(validation, inputs) {
                let sr = try net.forward(input.bicubic, options: ForwardOptions(threads: config.threads))
                sum += Metrics.psnr(sr, v.hr, shave: config.scale)
            }
        }
        return sum / Double(validation.count)
    }

    public var bicubicPSNR: Double? {
        guard !validation.isEmpty else { return nil }
        return validation.map { Metrics.psnr($0.bicubic, $0.hr, shave: config.scale) }.reduce(0, +) / Double(validation.count)
    }

    func permutation(_ seed: UInt64) -> [Int] {
        var r = SplitMix64(seed: seed)
        var p = Array(0..<data.count)
        if p.count > 1 {
            for i in stride(from: p.count - 1, to: 0, by: -1) {
                let j = Int(r.next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }

    public func checkpoint() -> Checkpoint {
        var st = state
        st.optimizerSteps = optimizer.t
        return Checkpoint(config: config, state: st, params: model.params, m: optimizer.m, v: optimizer.v, best: best)
    }

    public func saveCheckpoint() throws {
        if let path = outputs.checkpoint { try checkpoint().write(to: path) }
    }

    /// The weights file contents: best parameters (or current ones without validation) with metadata.
    public func weights(best useBest: Bool = true) -> SRModel {
        let fmt = ISO8601DateFormatter()
        var md: [String: String] = [
            "scale": String(config.scale),
            "architecture": config.arch.name,
            "family": (config.arch.family ?? .srcnn).rawValue,
            "colour": "Y of BT.601 studio-range YCbCr (MATLAB rgb2ycbcr), values 0...1",
            "training_set": config.dataset,
            "epochs": String(state.epoch),
            "steps": String(state.step),
            "patch_size": String(config.patches.size),
            "patch_stride": String(config.patches.stride),
            "label_size": String(model.labelSide),
            "augmentation": (config.patches.flips ? "8 flips/rotations" : "none")
                + (config.patches.flips && config.patches.flipsAtGather == true ? " (drawn per patch)" : "")
                + (config.patches.downscales.isEmpty ? "" : ", downscales \(config.patches.downscales)"),
            "degradation": config.patches.degradation.map { "LR input: \($0)" } ?? "none (clean MATLAB-bicubic LR)",
            "batch": String(config.batch),
            "optimizer": config.optimizer.description,
            "seed": String(config.seed),
            "date": fmt.string(from: Date()),
            "trainer": "srcnn train (SRCNNTraining)",
        ]
        if let p = state.bestPSNR, useBest { md["val_psnr"] = String(format: "%.3f", p); md["best_epoch"] = String(state.bestEpoch) }
        if let b = state.bicubicPSNR { md["val_bicubic_psnr"] = String(format: "%.3f", b) }
        if let f = config.initFrom { md["init_from"] = f }
        let p = useBest && state.bestPSNR != nil ? best : model.params
        if config.arch.isFSRCNN {
            md["patch_size"] = "\(config.patches.size) (LR)"
            md["patch_stride"] = "\(config.patches.stride) (LR)"
            return .fsrcnn(FSRCNNModel.model(config.arch, p, scale: config.scale, metadata: md))
        }
        return .srcnn(Model.network(config.arch, p, metadata: md))
    }

    /// SRCNN runs' weights as an engine network.
    public func network(best useBest: Bool = true) -> Network {
        guard case .srcnn(let n) = weights(best: useBest) else { preconditionFailure("not an SRCNN run") }
        return n
    }

    public enum Stop: Equatable { case finished, maxSteps, cancelled }

    /// Trains until `config.epochs` epochs are done, `maxSteps` total steps are reached, or `cancel` is set
    /// (checked between steps). Saves a checkpoint every epoch and when stopping early.
    @discardableResult
    public func run(maxSteps: Int? = nil, cancel: CancelFlag? = nil) throws -> Stop {
        if state.bicubicPSNR == nil { state.bicubicPSNR = bicubicPSNR }
        if state.step == 0, let b = state.bicubicPSNR {
            log(String(format: "val bicubic PSNR %.3f dB on %d image(s)", b, validation.count))
        }
        let spe = stepsPerEpoch, N = config.batch
        var bi: [Float] = [], bl: [Float] = []
        bi.reserveCapacity(N * data.size * data.size); bl.reserveCapacity(N * data.labelSide * data.labelSide)
        func stopNow(_ t0: Date) throws -> Stop? {
            if cancel?.isCancelled == true {
                state.seconds += Date().timeIntervalSince(t0)
                try checkFinite()
                try saveCheckpoint()
                log("interrupted at epoch \(state.epoch + 1) step \(state.step); checkpoint saved")
                return .cancelled
            }
            if let maxSteps, state.step >= maxSteps {
                state.seconds += Date().timeIntervalSince(t0)
                try checkFinite()
                try saveCheckpoint()
                return .maxSteps
            }
            return nil
        }
        while state.epoch < config.epochs {
            // Checked before a new epoch draws its shuffle, so a checkpoint at an epoch boundary resumes exactly.
            if state.stepInEpoch == 0, let stop = try stopNow(Date()) { return stop }
            if state.stepInEpoch == 0 {
                state.epochRNG = state.nextRNG
                var r = SplitMix64(seed: state.epochRNG)
                state.nextRNG = r.next()
                state.epochLossSum = 0
            }
            let perm = permutation(state.epochRNG)
            let t0 = Date()
            let startStep = state.stepInEpoch
            var lastReport = t0
            while state.stepInEpoch < spe {
                if state.stepInEpoch > 0, let stop = try stopNow(t0) { return stop }
                let first = state.stepInEpoch * N
                let idx = (first..<(first + N)).map { perm[$0 % perm.count] }
                data.gather(idx[...], inputs: &bi, labels: &bl, seed: state.epochRNG ^ UInt64(state.step))
                let mse = model.step(inputs: bi, labels: bl, batch: N)
                optimizer.step(params: &model.params, grads: model.grads)
                guard mse.isFinite else { throw SRCNNError.invalidArgument("training diverged (loss \(mse)) at step \(state.step)") }
                state.epochLossSum += mse
                state.step += 1; state.stepInEpoch += 1
                let now = Date()
                if now.timeIntervalSince(lastReport) >= reportSeconds {
                    lastReport = now
                    let done = state.stepInEpoch - startStep, dt = now.timeIntervalSince(t0)
                    let rate = Double(done * N) / dt
                    let left = Double(spe - state.stepInEpoch + (config.epochs - state.epoch - 1) * spe) * Double(N) / rate
                    log(String(format: "epoch %d step %d/%d loss %.6f  %.0f patches/s  ETA %@", state.epoch + 1,
                               state.stepInEpoch, spe, state.epochLossSum / Double(state.stepInEpoch), rate, Trainer.hms(left)))
                }
            }
            let dt = Date().timeIntervalSince(t0)
            state.seconds += dt
            let rate = Double((spe - startStep) * N) / max(dt, 1e-9)
            let psnr = try validatePSNR()
            let rec = EpochRecord(epoch: state.epoch + 1, step: state.step, loss: state.epochLossSum / Double(spe),
                                  valPSNR: psnr, patchesPerSecond: rate, seconds: state.seconds)
            state.history.append(rec)
            if let psnr, psnr > (state.bestPSNR ?? -.infinity) {
                state.bestPSNR = psnr; state.bestEpoch = state.epoch + 1; best = model.params
            }
            state.epoch += 1; state.stepInEpoch = 0
            try checkFinite()
            let left = Double((config.epochs - state.epoch) * spe * N) / rate
            let clean = try validateCleanPSNR().map { String(format: " (clean LR %.3f dB)", $0) } ?? ""
            log(String(format: "epoch %d/%d  loss %.6f  val PSNR %@%@  %.0f patches/s  %@ elapsed  ETA %@", state.epoch,
                       config.epochs, rec.loss, psnr.map { String(format: "%.3f dB", $0) } ?? "-", clean, rate,
                       Trainer.hms(state.seconds), Trainer.hms(left)))
            try writeOutputs()
            try saveCheckpoint()
        }
        return .finished
    }

    /// Refuses to write anything from a run whose parameters or optimiser state went NaN/Inf (the last
    /// checkpoint and weights on disk stay as they were).
    func checkFinite() throws {
        guard allFinite(model.params), allFinite(optimizer.m), allFinite(optimizer.v), allFinite(best) else {
            throw SRCNNError.invalidArgument("training diverged: parameters or optimiser state are not finite at step "
                                             + "\(state.step); nothing written (the last checkpoint is kept)")
        }
    }

    /// Best weights, CSV and SVG for the history so far.
    public func writeOutputs() throws {
        if let w = outputs.weights { try writeFileAtomically(weights().safetensorsBytes(), to: w) }
        if let c = outputs.csv { try atomicWriteText(csv(), to: c) }
        if let s = outputs.svg { try atomicWriteText(svg(), to: s) }
    }

    public func csv() -> String { TrainingReport.csv(state) }

    /// Loss (left axis, log scale) and val PSNR (right axis) per epoch, drawn by hand.
    public func svg() -> String { TrainingReport.svg(state, title: "\(config.arch.name) x\(config.scale)") }

    static func hms(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let i = Int(s.rounded())
        return String(format: "%d:%02d:%02d", i / 3600, (i / 60) % 60, i % 60)
    }

    /// Training speed (patches/s: forward + backward + optimiser step) on random data.
    public static func benchmark(arch: Architecture, patch: Int, batch: Int, threads: Int, micro: Int = 1,
                                 blasThreads: Int = 1, steps: Int = 10) throws -> Double {
        try measureSpeed(arch: arch, patch: patch, batch: batch, threads: threads, micro: micro,
                         blasThreads: blasThreads, steps: steps).patchesPerSecond
    }

    /// A training speed and the kernel family that ran it.
    public struct Speed: Sendable {
        public var patchesPerSecond: Double
        public var kernels: KernelFamily
    }

    /// Training speed (median of `steps` steps after 2 warm-up steps) with the kernels `kernels` (default: the best
    /// this CPU runs; `SRCNN_KERNELS=openblas` forces the fallback); reports the family that actually ran.
    public static func measureSpeed(arch: Architecture, patch: Int, batch: Int, threads: Int, micro: Int = 1,
                                    blasThreads: Int = 1, steps: Int = 10,
                                    kernels: KernelFamily = CPUFeatures.bestKernels, fsrcnnScale: Int = 3) throws -> Speed {
        let model: any TrainableModel
        if arch.isFSRCNN {
            // FSRCNN: `patch` is the LR side; the scale is the one of `fsrcnnScale`.
            model = try FSRCNNModel(arch: arch, geometry: try FSRCNNGeometry(arch: arch, scale: fsrcnnScale, lrPatch: patch),
                                    params: FSRCNNModel.initialParameters(arch, seed: 1, std: nil), threads: threads,
                                    batch: batch)
        } else {
            model = try Model(arch: arch, patch: patch, params: Model.initialParameters(arch, seed: 1, std: nil),
                              threads: threads, micro: micro, blasThreads: blasThreads, kernels: kernels)
        }
        defer { if model.kernels == .openblas { srcnn_blas_set_threads(1) } }
        let opt = Optimizer(.adam, arch: arch)
        var rng = SplitMix64(seed: 2)
        let inputs = (0..<(batch * model.inputSide * model.inputSide)).map { _ in Float(rng.nextUniform()) }
        let labels = (0..<(batch * model.labelSide * model.labelSide)).map { _ in Float(rng.nextUniform()) }
        for _ in 0..<2 { model.step(inputs: inputs, labels: labels, batch: batch); opt.step(params: &model.params, grads: model.grads) }
        var times: [Double] = []
        for _ in 0..<steps {
            let t0 = Date()
            model.step(inputs: inputs, labels: labels, batch: batch)
            opt.step(params: &model.params, grads: model.grads)
            times.append(Date().timeIntervalSince(t0))
        }
        times.sort()
        return Speed(patchesPerSecond: Double(batch) / times[times.count / 2], kernels: model.kernels)
    }
}
