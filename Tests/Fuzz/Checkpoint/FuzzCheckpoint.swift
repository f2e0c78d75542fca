// libFuzzer harness for training checkpoints: the input is a checkpoint without its last 8 bytes, and the harness
// appends the right FNV-1a checksum, so the header, array and semantic checks are what the fuzzer explores.
// Whatever decodes must survive its own re-encoding and render its report (CSV, SVG) without a fault.
//
// Built two ways: by `swift build` as a plain tool (`fuzz-checkpoint --make-seeds DIR` writes the seed corpus,
// `fuzz-checkpoint FILE...` replays inputs), and by Tests/Fuzz/run.sh with `-sanitize=fuzzer,address` and
// SRCNN_FUZZING defined, where every other command line goes to libFuzzer's driver.
import CFuzzDriver
import Foundation
import SRCNN
import SRCNNTraining

/// The checkpoint file an input stands for: the input plus its checksum.
func sealed(_ body: [UInt8]) -> [UInt8] {
    let sum = body.withUnsafeBytes { Checkpoint.fnv1a($0) }
    return body + withUnsafeBytes(of: sum.littleEndian) { Array($0) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let body = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let ckpt = try? Checkpoint(decoding: sealed(body)) else { return 0 }
    _ = TrainingReport.csv(ckpt.state)
    _ = TrainingReport.svg(ckpt.state, title: ckpt.config.arch.name)
    _ = try? ckpt.config.labelSide()
    guard let bytes = try? ckpt.encoded(), let again = try? Checkpoint(decoding: bytes),
          again.config == ckpt.config, again.state == ckpt.state, again.params == ckpt.params,
          again.m == ckpt.m, again.v == ckpt.v, again.best == ckpt.best else {
        fatalError("a decoded checkpoint does not survive its own re-encoding")
    }
    return 0
}

/// Seeds: small real checkpoints of both families and both optimisers, fresh and with a history.
func seeds() throws -> [(String, Checkpoint)] {
    var out: [(String, Checkpoint)] = []
    let tiny = try Architecture(kernels: [3, 1, 3], filters: [2, 2])
    for (name, arch, opt) in [("srcnn-adam", tiny, OptimizerConfig.adam), ("srcnn-sgd", tiny, .paperSGD),
                              ("fsrcnn", try Architecture.fsrcnn(d: 4, s: 2, m: 1), .adam)] {
        var config = TrainConfig(arch: arch, scale: 2, patches: PatchSettings(size: 12, stride: 6), batch: 4,
                                 optimizer: opt, epochs: 3, stepsPerEpoch: 5)
        if arch.isFSRCNN { config.setFSRCNNPatch(forScale: 2) }
        let n = arch.parameterCount
        let params = (0..<n).map { Float($0 % 7) / 10 - 0.3 }
        let m = opt.kind == .adam ? params.map { $0 / 100 } : params.map { $0 / 50 }
        let v = opt.kind == .adam ? params.map { $0 * $0 / 100 } : []
        var state = TrainState()
        out.append((name + "-fresh", Checkpoint(config: config, state: state, params: params, m: m, v: v, best: params)))
        state.epoch = 2; state.step = 12; state.stepInEpoch = 2; state.epochRNG = 7; state.nextRNG = 9
        state.epochLossSum = 0.01; state.optimizerSteps = 12; state.bestPSNR = 30.5; state.bestEpoch = 2
        state.bicubicPSNR = 29.1; state.seconds = 3.5
        state.history = [EpochRecord(epoch: 1, step: 5, loss: 0.004, valPSNR: 30.1, patchesPerSecond: 900, seconds: 1.5),
                         EpochRecord(epoch: 2, step: 10, loss: 0.003, valPSNR: 30.5, patchesPerSecond: 950, seconds: 3)]
        out.append((name + "-epoch2", Checkpoint(config: config, state: state, params: params, m: m, v: v, best: params)))
    }
    return out
}

@main
struct FuzzCheckpointTool {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.count == 2, args[0] == "--make-seeds" {
            for (name, ckpt) in try seeds() {
                let bytes = try ckpt.encoded()
                // The corpus holds inputs, i.e. files without their checksum; each must decode once sealed.
                let body = Array(bytes.dropLast(8))
                _ = try Checkpoint(decoding: sealed(body), name: name)
                try Data(body).write(to: URL(fileURLWithPath: args[1] + "/" + name))
            }
            return
        }
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        if srcnn_fuzz_driver(&argc, &argv, fuzzCheckpoint) >= 0 { return }
        for path in args {
            let body = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            _ = body.withUnsafeBufferPointer { fuzzCheckpoint($0.baseAddress, $0.count) }
        }
        print("fuzz-checkpoint: \(args.count) input(s) replayed")
    }
}
