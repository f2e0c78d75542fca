// The plug-in's worker thread (the engine runs off GIMP's thread, which forwards its progress) and "%g" text,
// with POSIX threads and the C library instead of Foundation's Thread and String(format:). GIMP-free: the adapter
// passes how progress is shown.
import Dispatch
import Glibc
import SRCNN
import Synchronization

/// `value` as C's "%g" prints it (e.g. 2, 2.5, 1.33333).
public func formatG(_ value: Double) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buf, buf.count, "%g", $0) }
    return String(cString: buf)
}

private final class WorkerBox<T>: @unchecked Sendable {
    let state = Mutex<(fraction: Double, result: Result<T, Error>?)>((0, nil))
}

/// Runs `body` on a new detached POSIX thread with an 8 MiB stack (what the worker had as a Foundation
/// `Thread`); returns at once. If no thread can be created, runs `body` here.
public func startThread(_ body: @escaping @Sendable () -> Void) {
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

/// Calls the worker thread hands to GIMP's thread: libgimp (and a drawable's GEGL buffer, whose tiles come
/// from GIMP over the plug-in wire) may only be used there.
public final class MainThreadCalls: @unchecked Sendable {
    private let pending = Mutex<[() -> Void]>([])
    public init() {}
    fileprivate let wake = DispatchSemaphore(value: 0)

    /// Runs `body` on GIMP's thread and waits for it (from the worker). On GIMP's thread itself: runs it now.
    public func run<R>(_ body: @escaping () throws -> R) throws -> R {
        if pthread_main_np_equivalent() { return try body() }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<R, Error>? = nil
        pending.withLock { $0.append { result = Result { try body() }; done.signal() } }
        wake.signal()
        done.wait()
        return try result!.get()
    }

    /// Runs the calls waiting (on GIMP's thread).
    public func drain() {
        let calls = pending.withLock { p -> [() -> Void] in defer { p.removeAll() }; return p }
        calls.forEach { $0() }
    }
}

/// The thread the plug-in started on (GIMP's): libgimp calls are made there only.
private let mainThread = pthread_self()
private func pthread_main_np_equivalent() -> Bool { pthread_equal(pthread_self(), mainThread) != 0 }
/// Records GIMP's thread (call once at the start of the run, on it).
public func noteMainThread() { _ = mainThread }

/// Runs `work` on a worker thread; this (GIMP's) thread forwards its progress (0...1, mapped to from...to) to
/// `report` and runs the calls the worker hands it through `main`, since libgimp is not thread-safe.
public func runWithProgress<T>(from: Double, to: Double, main: MainThreadCalls, report: (Double) -> Void,
                               _ work: @escaping @Sendable (@escaping ProgressHandler) throws -> T) throws -> T {
    let box = WorkerBox<T>()
    let done = DispatchSemaphore(value: 0)
    startThread {
        let r = Result { try work({ f in box.state.withLock { $0.fraction = f } }) }
        box.state.withLock { $0.result = r }
        done.signal()
        main.wake.signal()
    }
    var last = -1.0
    while true {
        _ = main.wake.wait(timeout: .now() + .milliseconds(100))
        main.drain()
        if done.wait(timeout: .now()) == .success { break }
        let f = box.state.withLock { $0.fraction }
        if f - last >= 0.01 { report(from + (to - from) * f); last = f }
    }
    return try box.state.withLock { $0.result! }.get()
}
