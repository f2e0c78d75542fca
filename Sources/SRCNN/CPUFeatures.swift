// Which kernel family this CPU can run (read once from /proc/cpuinfo), with an override for tests and benchmarks.
import FoundationEssentials

public enum KernelFamily: String, Sendable, CaseIterable {
    /// Register-blocked AVX-512 direct convolution (our own Swift SIMD kernels).
    case avx512
    /// im2col-style GEMMs through OpenBLAS (any x86-64 or other CPU).
    case openblas
}

public enum CPUFeatures {
    /// The CPU flags from /proc/cpuinfo (empty where that file does not exist).
    public static let flags: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }()

    /// What the skylake-avx512 kernels need.
    public static var hasAVX512: Bool {
        ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd", "fma"].allSatisfy(flags.contains)
    }

    /// The best family this CPU runs; `SRCNN_KERNELS=openblas` (or `avx512`, if supported) overrides it.
    public static let bestKernels: KernelFamily = {
        if let forced = ProcessInfo.processInfo.environment["SRCNN_KERNELS"].flatMap(KernelFamily.init(rawValue:)) {
            return forced == .avx512 && !hasAVX512 ? .openblas : forced
        }
        return hasAVX512 ? .avx512 : .openblas
    }()
}
