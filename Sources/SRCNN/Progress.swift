// Progress reporting and cooperative cancellation for every long engine call, and the engine's error type.
import Synchronization

/// Called with the fraction done (0...1) as work finishes; may be called from any thread.
public typealias ProgressHandler = @Sendable (Double) -> Void

/// A flag another thread (a GIMP progress callback, a SIGINT handler) sets to stop long work early.
public final class CancelFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public var isCancelled: Bool { value.withLock { $0 } }
    public func cancel() { value.withLock { $0 = true } }
}

/// Errors any engine call can raise; `description` is one line a user can act on.
public enum SRCNNError: Error, CustomStringConvertible, Equatable {
    case cancelled
    case invalidWeights(String)
    case invalidArgument(String)
    case io(String)

    public var description: String {
        switch self {
        case .cancelled: return "cancelled"
        case .invalidWeights(let m): return "invalid weights: \(m)"
        case .invalidArgument(let m): return m
        case .io(let m): return m
        }
    }
}
