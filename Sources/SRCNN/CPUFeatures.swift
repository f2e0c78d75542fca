// Which kernel family this CPU can run (CPUID, once), and the host's override for tests and benchmarks.
import CCPUID
import Synchronization

public enum KernelFamily: String, Sendable, CaseIterable {
    /// Register-blocked AVX-512 direct convolution (our own Swift SIMD kernels).
    case avx512
    /// im2col-style GEMMs through OpenBLAS (any x86-64 or other CPU).
    case openblas
}

public enum CPUFeatures {
    /// What the skylake-avx512 kernels need: AVX-512 F/DQ/CD/BW/VL and FMA, with the OS saving ZMM state.
    public static let hasAVX512: Bool = srcnn_cpu_has_avx512() != 0

    private static let forced = Mutex<KernelFamily?>(nil)

    /// A family the host chose (e.g. from `SRCNN_KERNELS`); nil returns to the automatic choice. A family this
    /// CPU cannot run falls back to the portable one.
    public static func force(_ family: KernelFamily?) { forced.withLock { $0 = family } }

    /// The family to use: the forced one, else the best this CPU runs.
    public static var bestKernels: KernelFamily {
        let f = forced.withLock { $0 } ?? (hasAVX512 ? .avx512 : .openblas)
        return f == .avx512 && !hasAVX512 ? .openblas : f
    }
}
