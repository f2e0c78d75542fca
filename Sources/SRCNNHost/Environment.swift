// The environment variables the hosts honour, applied to the engine in one place.
import FoundationEssentials
import SRCNN

public enum HostEnvironment {
    /// `SRCNN_KERNELS=avx512|openblas` forces a kernel family (unset or empty: the best this CPU runs).
    /// Returns a one-line warning for an unknown name (the automatic choice is kept), else nil.
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
        return nil
    }
}
