// The environment variables the hosts honour, applied to the engine in one place.
import FoundationEssentials
import SRCNN

public enum HostEnvironment {
    /// `SRCNN_KERNELS=avx512|avx2|openblas` forces a kernel family (unset or empty: the best this CPU runs).
    /// Returns a one-line warning for an unknown name or a family this CPU cannot run (the automatic choice is
    /// kept), else nil.
    @discardableResult
    public static func applyKernelChoice() -> String? {
        guard let name = ProcessInfo.processInfo.environment["SRCNN_KERNELS"], !name.isEmpty else {
            CPUFeatures.force(nil)
            return nil
        }
        guard let family = KernelFamily(rawValue: name) else {
            CPUFeatures.force(nil)
            let known = KernelFamily.allCases.map(\.rawValue).joined(separator: ", ")
            return "SRCNN_KERNELS=\(name) is not a kernel family (\(known)); choosing automatically"
        }
        CPUFeatures.force(family)
        guard CPUFeatures.supports(family) else {
            return "SRCNN_KERNELS=\(name): this CPU does not run the \(name) kernels; using \(CPUFeatures.bestKernels.rawValue)"
        }
        return nil
    }

    /// Fault injection for the kill tests: `SRCNN_FAULT_SLOW_WRITES=MS` makes the atomic writer write 1 KiB at a
    /// time with MS milliseconds between pieces (a long write window for a kill to land in). nil: unset.
    public static let slowWritePause: UInt32? = {
        guard let v = ProcessInfo.processInfo.environment["SRCNN_FAULT_SLOW_WRITES"], let ms = UInt32(v), ms > 0 else {
            return nil
        }
        return min(ms, 1000) * 1000
    }()
}
