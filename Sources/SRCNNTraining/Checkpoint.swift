// Checkpoints: a versioned binary file with the config, the training state (epoch/step, RNG),
// the parameters, the optimiser state and the best parameters so far; written atomically.
//
// Layout (little-endian): "SRCNNCKP" | u32 version | u32 header length | header JSON |
// 4 arrays (params, optimiser m, optimiser v, best params), each u64 count + f32 values | u64 FNV-1a of all before.
import Foundation
import SRCNN
import SRCNNHost

public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var step: Int
    /// Mean training MSE per pixel over the epoch (on 0...1 values).
    public var loss: Double
    public var valPSNR: Double?
    public var patchesPerSecond: Double
    public var seconds: Double
    public init(epoch: Int, step: Int, loss: Double, valPSNR: Double?, patchesPerSecond: Double, seconds: Double) {
        self.epoch = epoch; self.step = step; self.loss = loss; self.valPSNR = valPSNR
        self.patchesPerSecond = patchesPerSecond; self.seconds = seconds
    }
}

public struct TrainState: Codable, Equatable, Sendable {
    /// Completed epochs; the epoch in progress is `epoch + 1` (1-based in logs).
    public var epoch = 0
    /// Optimiser steps done in total and within the epoch in progress.
    public var step = 0
    public var stepInEpoch = 0
    /// SplitMix64 state the epoch in progress drew its shuffle from, and the state for the next epoch.
    public var epochRNG: UInt64 = 0
    public var nextRNG: UInt64 = 0
    /// Sum of per-step MSE over the epoch in progress (for the epoch mean).
    public var epochLossSum = 0.0
    public var optimizerSteps = 0
    public var bestPSNR: Double?
    public var bestEpoch = 0
    public var bicubicPSNR: Double?
    public var history: [EpochRecord] = []
    public var seconds = 0.0
    public init() {}
}

struct CheckpointHeader: Codable {
    var format = "srcnn-train-checkpoint"
    var config: TrainConfig
    var state: TrainState
}

public struct Checkpoint {
    public static let magic: [UInt8] = Array("SRCNNCKP".utf8)
    public static let version: UInt32 = 1

    public var config: TrainConfig
    public var state: TrainState
    public var params: [Float]
    public var m: [Float]
    public var v: [Float]
    public var best: [Float]

    /// The checksum stored in a checkpoint's last 8 bytes (FNV-1a 64 of everything before them).
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    public func encoded() throws -> [UInt8] {
        var out = Checkpoint.magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let header = [UInt8](try enc.encode(CheckpointHeader(config: config, state: state)))
        u32(Checkpoint.version)
        u32(UInt32(header.count))
        out += header
        for a in [params, m, v, best] {
            u64(UInt64(a.count))
            a.withUnsafeBytes { out += $0 }   // f32 little-endian on every platform we build for
        }
        let sum = out.withUnsafeBytes { Checkpoint.fnv1a($0) }
        u64(sum)
        return out
    }

    public func write(to path: String) throws {
        try atomicWriteFile(try encoded(), to: path)
    }

    public init(config: TrainConfig, state: TrainState, params: [Float], m: [Float], v: [Float], best: [Float]) {
        self.config = config; self.state = state; self.params = params; self.m = m; self.v = v; self.best = best
    }

    /// Reads a checkpoint; any damage is `SRCNNError.invalidArgument("checkpoint <path>: <reason>")`.
    public init(contentsOf path: String) throws {
        let b: [UInt8]
        do { b = try readFileBytes(path) } catch let e as FileReadError {
            throw SRCNNError.io("cannot read checkpoint \(path): \(e.reason)")
        }
        try self.init(decoding: b, name: path)
    }

    /// Decodes a checkpoint's bytes (`name` goes into the messages); every header field, counter, array size and
    /// value is checked, so what decodes can be resumed.
    public init(decoding b: [UInt8], name path: String = "<bytes>") throws {
        func bad(_ why: String) -> SRCNNError { .invalidArgument("checkpoint \(path): \(why)") }
        guard b.count >= 16, Array(b[0..<8]) == Checkpoint.magic else { throw bad("not an srcnn training checkpoint (bad magic)") }
        func u32(_ o: Int) -> UInt32 { b[o..<(o + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ o: Int) -> UInt64 { b[o..<(o + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        let version = u32(8)
        guard version == Checkpoint.version else { throw bad("format version \(version), this build reads version \(Checkpoint.version)") }
        guard b.count >= 24 else { throw bad("truncated") }
        let stored = u64(b.count - 8)
        let sum = b.withUnsafeBytes { Checkpoint.fnv1a(UnsafeRawBufferPointer(rebasing: $0[0..<(b.count - 8)])) }
        guard stored == sum else { throw bad("checksum mismatch (file is corrupt or truncated)") }
        let hlen = Int(u32(12))
        var o = 16 + hlen
        guard o <= b.count - 8 else { throw bad("truncated header") }
        let header: CheckpointHeader
        do { header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(b[16..<o])) } catch {
            throw bad("unreadable header (\(error))")
        }
        var arrays: [[Float]] = []
        for _ in 0..<4 {
            guard o + 8 <= b.count - 8 else { throw bad("truncated") }
            guard let n = Int(exactly: u64(o)), n <= (b.count - 16 - o) / 4 else { throw bad("truncated array") }
            o += 8
            var a = [Float](repeating: 0, count: n)
            a.withUnsafeMutableBytes { dst in b.withUnsafeBytes { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[o..<(o + 4 * n)])) } }
            arrays.append(a); o += 4 * n
        }
        guard o == b.count - 8 else { throw bad("trailing bytes") }
        config = header.config; state = header.state
        params = arrays[0]; m = arrays[1]; v = arrays[2]; best = arrays[3]
        do {
            try config.validate()
            try state.validate(for: config)
        } catch SRCNNError.invalidArgument(let why) { throw bad(why) }
        guard allFinite(params), allFinite(m), allFinite(v), allFinite(best) else {
            throw bad("holds NaN or infinite parameters or optimiser state")
        }
        let n = config.arch.parameterCount
        guard params.count == n, best.count == n, m.count == n,
              v.count == (config.optimizer.kind == .adam ? n : 0) else {
            throw bad("array sizes do not match \(config.arch.name)")
        }
    }
}

/// Writes `bytes` to `path` atomically (the engine's temp file + fsync + rename).
public func atomicWriteFile(_ bytes: [UInt8], to path: String) throws { try writeFileAtomically(bytes, to: path) }

/// Text files (CSV, SVG) written the same way.
public func atomicWriteText(_ s: String, to path: String) throws { try atomicWriteFile(Array(s.utf8), to: path) }
