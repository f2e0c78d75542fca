// Files on disk: whole-file reads with errno text, atomic replacement, and weights files by path.
import FoundationEssentials
import SRCNN
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Network {
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

    /// Writes `safetensorsBytes()` atomically: a temporary file in the same directory is written,
    /// fsynced and renamed over `path`. On failure the old file is untouched and the temporary removed.
    public func write(to path: String) throws {
        try writeFileAtomically(safetensorsBytes(), to: path)
    }
}

extension SRModel {
    /// Reads and validates a weights file of any family (see `Network.init(contentsOf:)` for the errors).
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
}

/// Why a file could not be read: the C library's text for the errno (e.g. "No such file or directory"), or a size
/// above the reader's limit.
public struct FileReadError: Error, CustomStringConvertible {
    public var code: Int32
    /// Set when the file is larger than the limit (then `code` is EFBIG).
    public var limit: Int? = nil
    public init(code: Int32, limit: Int? = nil) { self.code = code; self.limit = limit }
    public var reason: String {
        if let limit { return "larger than \(limit >> 20) MiB, the most this reads (is it the right file?)" }
        return String(cString: strerror(code))
    }
    public var description: String { reason }
}

/// Weights files and checkpoints are small: anything above this is refused rather than read into memory.
public let maxReadBytes = 256 << 20

/// The whole file at `path` (open + read until end of file, retrying on EINTR), at most `limit` bytes (so
/// `/dev/zero` or a huge file is an error, not an out-of-memory crash); throws `FileReadError`.
public func readFileBytes(_ path: String, limit: Int = maxReadBytes) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileReadError(code: errno) }
    defer { close(fd) }
    var st = stat()
    var bytes: [UInt8] = []
    if fstat(fd, &st) == 0 {
        if (st.st_mode & S_IFMT) == S_IFDIR { throw FileReadError(code: EISDIR) }
        if st.st_size > limit { throw FileReadError(code: EFBIG, limit: limit) }
        if st.st_size > 0 { bytes.reserveCapacity(Int(st.st_size)) }
    }
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileReadError(code: errno)
        }
        if n == 0 { return bytes }
        guard bytes.count + n <= limit else { throw FileReadError(code: EFBIG, limit: limit) }
        bytes.append(contentsOf: chunk[0..<n])
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder + fsync + rename (+ fsync of the folder),
/// keeping the permissions of a file it replaces. On failure the old file is untouched and the temporary removed.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    try AtomicFile.replace(path) { tmp in
        func fail(_ what: String) -> SRCNNError {
            .io("cannot write \(path): \(what): \(String(cString: strerror(errno)))")
        }
        let fd = open(tmp, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open temporary file") }
        defer { close(fd) }
        var written = 0
        let pause = HostEnvironment.slowWritePause
        while written < bytes.count {
            if let pause, written > 0 { usleep(pause) }
            let n = bytes.withUnsafeBytes { buf in
                write(fd, buf.baseAddress! + written, min(buf.count - written, pause == nil ? Int.max : 1024))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("write failed")
            }
            written += n
        }
    }
}

/// Replacing a file in one step: the new content goes to a temporary file beside it, which is renamed over it
/// only when complete. Temporaries still open are listed, so a signal handler can remove them.
public enum AtomicFile {
    private static let open = Mutex<Set<String>>([])

    /// Creates an empty temporary file beside `path` (same folder, hidden, `.tmp-` in its name), runs `body` on
    /// its path, then fsyncs it, gives it the permissions of the file it replaces (new files: 0644 less the
    /// umask), renames it over `path` and fsyncs the folder. If anything fails the temporary is removed and
    /// `path` is untouched.
    public static func replace(_ path: String, _ body: (String) throws -> Void) throws {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tmp = (dir.isEmpty ? "" : dir) + "/." + name + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func fail(_ what: String) -> SRCNNError {
            let e = errno
            var st = stat()
            if e == ENOENT, stat(dir.isEmpty ? "/" : dir, &st) != 0 {
                return .io("cannot write '\(path)': directory '\(dir)' does not exist")
            }
            return .io("cannot write '\(path)': \(what): \(String(cString: strerror(e)))")
        }
        var mode: mode_t = 0o644
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw SRCNNError.io("cannot write '\(path)': it is a directory") }
            if (st.st_mode & S_IFMT) == S_IFREG { mode = st.st_mode & 0o7777 }
        }
        removeStaleTemporaries(of: name, in: dir.isEmpty ? "/" : dir)
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw fail("cannot create a temporary file") }
        close(fd)
        open.withLock { _ = $0.insert(tmp) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
            open.withLock { _ = $0.remove(tmp) }
        }
        try body(tmp)
        let sfd = Glibc.open(tmp, O_RDONLY | O_CLOEXEC)
        guard sfd >= 0 else { throw fail("cannot reopen the temporary file") }
        let synced = fchmod(sfd, mode) == 0 && fsync(sfd) == 0
        let syncErr = errno
        close(sfd)
        guard synced else { errno = syncErr; throw fail("fsync failed") }
        guard rename(tmp, path) == 0 else { throw fail("rename failed") }
        ok = true
        // Make the rename itself durable; failure here does not undo the write.
        let dfd = Glibc.open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Temporaries of `name` left by a process that no longer runs (killed with -9, or the machine went down):
    /// `.<name>.tmp-<pid>-<n>` whose pid is gone. Only that exact pattern is touched.
    static func removeStaleTemporaries(of name: String, in dir: String) {
        let prefix = "." + name + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for e in entries where e.hasPrefix(prefix) {
            let rest = e.dropFirst(prefix.count).split(separator: "-")
            guard rest.count == 2, let pid = Int32(rest[0]), pid > 0, UInt32(rest[1]) != nil else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(dir + "/" + e) }
        }
    }

    /// Removes every temporary file still being written (call from a signal handler's queue before exiting).
    public static func removeTemporaries() {
        open.withLock { set in
            for t in set { unlink(t) }
            set.removeAll()
        }
    }
}
