// The plug-in's worker thread (the engine runs off GIMP's thread, which forwards its progress) and "%g" text,
// with POSIX threads and the C library instead of Foundation's Thread and String(format:).
import CGimp
import Dispatch
import Glibc
import SRCNN
import Synchronization

/// `value` as C's "%g" prints it (e.g. 2, 2.5, 1.33333).
func formatG(_ value: Double) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buf, buf.count, "%g", $0) }
    return String(cString: buf)
}

private final class WorkerBox<T>: @unchecked Sendable {
    let state = Mutex<(fraction: Double, result: Result<T, Error>?)>((0, nil))
}

/// Runs `body` on a new detached POSIX thread with an 8 MiB stack (what the worker had as a Foundation
/// `Thread`); returns at once. If no thread can be created, runs `body` here.
private func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Context { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setstacksize(&attr, 8 << 20)
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    let context = Unmanaged.passRetained(Context(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attr, { raw in
        let c = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
        c.body()
        return nil
    }, context)
    if rc != 0 {
        // No thread could be made: run here (progress then shows only at the end).
        Unmanaged<Context>.fromOpaque(context).takeRetainedValue().body()
    }
}

/// Runs `work` on a worker thread; this (GIMP's) thread forwards its progress (0...1, mapped to from...to),
/// since libgimp is not thread-safe.
func runWithProgress<T>(from: Double, to: Double, _ work: @escaping @Sendable (@escaping ProgressHandler) throws -> T) throws -> T {
    let box = WorkerBox<T>()
    let done = DispatchSemaphore(value: 0)
    startThread {
        let r = Result { try work({ f in box.state.withLock { $0.fraction = f } }) }
        box.state.withLock { $0.result = r }
        done.signal()
    }
    var last = -1.0
    while done.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
        let f = box.state.withLock { $0.fraction }
        if f - last >= 0.01 { gimp_progress_update(from + (to - from) * f); last = f }
    }
    return try box.state.withLock { $0.result! }.get()
}
