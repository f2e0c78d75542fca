// Which kernel families this CPU can run (CPUID, once), the best of them, and the host's override.
import CCPUID
import Synchronization

public enum KernelFamily: String, Sendable, CaseIterable {
    /// Register-blocked AVX-512 direct convolution and Winograd (our own Swift SIMD kernels, 512-bit).
    case avx512
    /// The same kernels on 256-bit vectors, blocked for AVX2's 16 registers (AVX2 + FMA: x86-64 since 2013).
    case avx2
    /// im2col-style GEMMs through OpenBLAS (any x86-64 or other CPU).
    case openblas
}

public enum CPUFeatures {
    /// What the skylake-avx512 kernels need: AVX-512 F/DQ/CD/BW/VL and FMA, with the OS saving ZMM state.
    public static let hasAVX512: Bool = srcnn_cpu_has_avx512() != 0
    /// What the haswell kernels need: AVX2, FMA (and haswell's BMI/LZCNT/F16C/MOVBE), the OS saving YMM state.
    public static let hasAVX2: Bool = srcnn_cpu_has_avx2() != 0

    /// Whether this CPU (and OS) runs `family`.
    public static func supports(_ family: KernelFamily) -> Bool {
        switch family {
        case .avx512: return hasAVX512
        case .avx2: return hasAVX2
        case .openblas: return true
        }
    }

    /// The families this CPU runs, best first (the CPU does not change while we run: checked once).
    public static let supportedFamilies: [KernelFamily] = KernelFamily.allCases.filter(supports)

    private static let forced = Mutex<KernelFamily?>(nil)

    /// A family the host chose (e.g. from `SRCNN_KERNELS`); nil returns to the automatic choice. A family this
    /// CPU cannot run falls back to the best one it can.
    public static func force(_ family: KernelFamily?) { forced.withLock { $0 = family } }

    /// The family to use: the forced one when this CPU runs it, else the best this CPU runs.
    public static var bestKernels: KernelFamily {
        if let f = forced.withLock({ $0 }), supports(f) { return f }
        return supportedFamilies[0]
    }
}
