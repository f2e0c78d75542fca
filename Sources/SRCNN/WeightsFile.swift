// WeightsFile: Network <-> safetensors (conv1_w (out, in, k, k), conv1_b (out), conv2_w, ...; metadata kept).
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Network {
    /// Reads a network from safetensors bytes and validates it.
    /// Layers are `conv1_w`/`conv1_b`, `conv2_w`/`conv2_b`, ... numbered from 1 with no gaps;
    /// other tensors are ignored. F32, F16, BF16 and F64 tensors are accepted.
    public init(safetensors bytes: [UInt8]) throws {
        let file = try Safetensors(bytes: bytes)
        var highest = 0
        for name in file.tensors.keys {
            if let i = Network.convIndex(name) { highest = max(highest, i) }
        }
        guard highest > 0 else { throw SRCNNError.invalidWeights("conv1_w missing (no conv layers)") }
        var layers: [ConvLayer] = []
        for i in 1...highest {
            let wName = "conv\(i)_w", bName = "conv\(i)_b"
            guard let w = file.tensors[wName] else {
                throw SRCNNError.invalidWeights(i == highest ? "\(wName) missing" : "\(wName) missing (conv\(highest) present)")
            }
            guard let b = file.tensors[bName] else { throw SRCNNError.invalidWeights("\(bName) missing") }
            guard w.shape.count == 4 else {
                throw SRCNNError.invalidWeights("\(wName) has shape \(w.shape); expected 4-D (out, in, kh, kw)")
            }
            guard w.shape[2] == w.shape[3] else {
                throw SRCNNError.invalidWeights("\(wName) kernel is \(w.shape[2])x\(w.shape[3]); kernels must be square")
            }
            guard b.shape == [w.shape[0]] else {
                throw SRCNNError.invalidWeights("\(bName) has shape \(b.shape); expected [\(w.shape[0])] to match \(wName)")
            }
            layers.append(ConvLayer(outChannels: w.shape[0], inChannels: w.shape[1], kernel: w.shape[2],
                                    weights: try file.floats(wName), bias: try file.floats(bName)))
        }
        self.init(layers: layers, metadata: file.metadata)
        try validate()
    }

    /// Reads and validates a weights file; content errors are
    /// `SRCNNError.invalidWeights("<file name>: <reason>")`, unreadable files `SRCNNError.io`.
    public init(contentsOf path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try readFileBytes(path)
        } catch let e as FileReadError {
            throw SRCNNError.io("cannot read weights file \(path): \(e.reason)")
        }
        do {
            try self.init(safetensors: bytes)
        } catch SRCNNError.invalidWeights(let m) {
            throw SRCNNError.invalidWeights("\(URL(fileURLWithPath: path).lastPathComponent): \(m)")
        }
    }

    /// The network as a safetensors file: F32 tensors in sorted order, `metadata` as `__metadata__`.
    public func safetensorsBytes() -> [UInt8] {
        var tensors: [String: Safetensors.Tensor] = [:]
        for (n, l) in layers.enumerated() {
            tensors["conv\(n + 1)_w"] = .init(shape: [l.outChannels, l.inChannels, l.kernel, l.kernel], values: l.weights)
            tensors["conv\(n + 1)_b"] = .init(shape: [l.outChannels], values: l.bias)
        }
        return Safetensors.encode(tensors, metadata: metadata)
    }

    /// Writes `safetensorsBytes()` atomically: a temporary file in the same directory is written,
    /// fsynced and renamed over `path`. On failure the old file is untouched and the temporary removed.
    public func write(to path: String) throws {
        try writeFileAtomically(safetensorsBytes(), to: path)
    }

    /// `conv<i>_w` / `conv<i>_b` with i >= 1 and no leading zeros -> i.
    static func convIndex(_ name: String) -> Int? {
        guard name.hasPrefix("conv"), name.hasSuffix("_w") || name.hasSuffix("_b") else { return nil }
        let digits = name.dropFirst(4).dropLast(2)
        guard !digits.isEmpty, digits.count <= 9, digits.first != "0",
              digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return Int(digits)
    }
}

/// Why a file could not be read: the C library's text for the errno (e.g. "No such file or directory").
public struct FileReadError: Error, CustomStringConvertible {
    public var code: Int32
    public var reason: String { String(cString: strerror(code)) }
    public var description: String { reason }
}

/// The whole file at `path` (open + read until end of file, retrying on EINTR); throws `FileReadError`.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileReadError(code: errno) }
    defer { close(fd) }
    var st = stat()
    var bytes: [UInt8] = []
    if fstat(fd, &st) == 0, st.st_size > 0 { bytes.reserveCapacity(Int(st.st_size)) }
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileReadError(code: errno)
        }
        if n == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<n])
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder + fsync + rename (+ fsync of the folder),
/// keeping the permissions of a file it replaces. On failure the old file is untouched and the temporary removed.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    func fail(_ what: String) -> SRCNNError {
        .io("cannot write \(path): \(what): \(String(cString: strerror(errno)))")
    }
    // Keep the permissions of a file we replace; new files get 0644 (minus umask).
    var mode: mode_t = 0o644
    var st = stat()
    if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { mode = st.st_mode & 0o7777 }

    let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw fail("cannot create temporary file") }
    var ok = false
    defer { if !ok { unlink(tmp) } }
    var closed = false
    defer { if !closed { close(fd) } }

    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { buf in
            write(fd, buf.baseAddress! + written, buf.count - written)
        }
        if n < 0 {
            if errno == EINTR { continue }
            throw fail("write failed")
        }
        written += n
    }
    if fchmod(fd, mode) != 0 { throw fail("chmod failed") }
    guard fsync(fd) == 0 else { throw fail("fsync failed") }
    closed = true
    guard close(fd) == 0 else { throw fail("close failed") }
    guard rename(tmp, path) == 0 else { throw fail("rename failed") }
    ok = true
    // Make the rename itself durable; failure here does not undo the write.
    let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 { _ = fsync(dfd); close(dfd) }
}
