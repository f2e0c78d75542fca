// What a training run may start or resume with: every setting and state field checked before anything is
// allocated, so a crafted checkpoint or a bad option is one clear error instead of a crash.
import SRCNN

extension TrainConfig {
    /// Throws `SRCNNError.invalidArgument` naming the first setting out of range.
    public func validate() throws {
        func bad(_ m: String) -> SRCNNError { .invalidArgument(m) }
        // The checkpoint's JSON bypasses Architecture's own checks: repeat them, plus sizes we can run.
        _ = try Architecture(kernels: arch.kernels, filters: arch.filters, family: arch.family ?? .srcnn)
        guard arch.kernels.count <= 16, arch.kernels.allSatisfy({ $0 <= 31 }), arch.filters.allSatisfy({ $0 <= 1024 }) else {
            throw bad("architecture \(arch.name) is out of range (at most 16 layers, kernels up to 31, 1024 filters)")
        }
        guard (1...8).contains(scale) else { throw bad("scale must be 1 to 8, got \(scale)") }
        let minPatch = 2 * arch.border + 1
        guard patches.size >= minPatch, patches.size <= 1024 else {
            throw bad("patch size \(patches.size) does not fit \(arch.name): it needs \(minPatch) to 1024 pixels "
                      + "(the valid convolutions take \(arch.border) per side)")
        }
        guard (1...1024).contains(patches.stride) else { throw bad("patch stride must be 1 to 1024, got \(patches.stride)") }
        guard patches.downscales.count <= 16, patches.downscales.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw bad("downscales must be factors between 0 and 1 (exclusive), got \(patches.downscales)")
        }
        try patches.degradation?.validate()
        guard (1...65_536).contains(batch) else { throw bad("batch must be 1 to 65536, got \(batch)") }
        guard (0...10_000_000).contains(epochs) else { throw bad("epochs must be 0 to 10000000, got \(epochs)") }
        if let s = stepsPerEpoch, !(1...1_000_000_000).contains(s) {
            throw bad("steps per epoch must be at least 1, got \(s)")
        }
        guard (1...256).contains(threads) else { throw bad("threads must be 1 to 256, got \(threads)") }
        guard (1...4096).contains(micro) else { throw bad("micro-batch must be 1 to 4096, got \(micro)") }
        let o = optimizer
        for (name, v) in [("learning rate", o.lr), ("last-layer learning rate", o.lastLayerLR ?? o.lr)]
        where !(v.isFinite && v > 0 && v < 10) {
            throw bad("\(name) must be above 0 and below 10, got \(v)")
        }
        guard (0..<1).contains(o.momentum), (0..<1).contains(o.beta1), (0..<1).contains(o.beta2),
              o.epsilon.isFinite, o.epsilon > 0 else {
            throw bad("optimiser constants out of range (momentum and betas in [0, 1), epsilon > 0)")
        }
        if let s = initStd, !(s.isFinite && s > 0) { throw bad("initial weight std must be positive, got \(s)") }
    }
}

extension TrainState {
    /// Counters and RNG state that `config` can resume from.
    func validate(for config: TrainConfig) throws {
        func bad(_ m: String) -> SRCNNError { .invalidArgument(m) }
        guard epoch >= 0, step >= 0, stepInEpoch >= 0, optimizerSteps >= 0, step >= stepInEpoch else {
            throw bad("negative or inconsistent step counters (epoch \(epoch), step \(step), in epoch \(stepInEpoch))")
        }
        if let spe = config.stepsPerEpoch, stepInEpoch > spe {
            throw bad("step \(stepInEpoch) is beyond the epoch's \(spe) steps")
        }
        guard epochLossSum.isFinite, epochLossSum >= 0, seconds.isFinite, seconds >= 0 else {
            throw bad("loss sum or elapsed time is not a finite non-negative number")
        }
        guard [bestPSNR, bicubicPSNR].allSatisfy({ $0?.isFinite ?? true }), (0...epoch).contains(bestEpoch) else {
            throw bad("best or bicubic PSNR is not finite, or the best epoch \(bestEpoch) is not one of the \(epoch) done")
        }
        // The history drives the CSV log and the SVG curve: epochs 1, 2, ... in order, finite non-negative values
        // (Foundation's JSON refuses NaN and 1e999 today; the check does not rely on it).
        guard history.count <= epoch else { throw bad("\(history.count) history records for \(epoch) epochs") }
        for (i, r) in history.enumerated() {
            let values = [r.loss, r.patchesPerSecond, r.seconds] + (r.valPSNR.map { [$0] } ?? [])
            // (history.count <= epoch, so this cannot overflow; elapsed seconds may dip if the clock was set back)
            guard r.epoch == epoch - history.count + i + 1, r.step >= 0, r.step <= step,
                  values.allSatisfy({ $0.isFinite }), r.loss >= 0, r.patchesPerSecond >= 0 else {
                throw bad("history record \(i + 1) (epoch \(r.epoch)) is out of order or holds a negative or non-finite value")
            }
        }
    }
}

/// True when every value is finite (a NaN hides from the loss behind ReLU's max).
func allFinite(_ values: [Float]) -> Bool {
    values.withUnsafeBufferPointer { b in
        var ok = true
        for v in b where !v.isFinite { ok = false; break }
        return ok
    }
}
