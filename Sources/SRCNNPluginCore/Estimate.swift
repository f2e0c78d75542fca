// What a run will cost, said in the dialog before it starts: time from the preview's measured rate, memory from sizes.

/// The estimate the dialog shows for a run.
public struct RunEstimate: Equatable, Sendable {
    /// Seconds the run should take: its output pixels at the rate the preview's model pass just went (the same
    /// model and kernels on this machine, the same threads; the preview's halo makes it a little slower per pixel,
    /// which stands in for the run's reading, bicubic and colour), plus the write of the result.
    public var seconds: Double
    /// Megabytes GIMP holds for the result (the scaled image's layers at their pixel format; the undo step keeps the
    /// original besides). The plug-in itself stays near its bounded working set, whatever the size.
    public var resultMB: Double

    /// The preview's model pass made `modelPixels` in `modelSeconds`; the run makes `outputPixels`
    /// of `bytesPerPixel` each.
    public init(modelPixels: Int, modelSeconds: Double, outputPixels: Int, bytesPerPixel: Int) {
        let rate = Double(max(1, modelPixels)) / max(1e-4, modelSeconds)
        seconds = Double(outputPixels) / rate + Double(outputPixels * bytesPerPixel) / Self.writeBytesPerSecond
        resultMB = Double(outputPixels * bytesPerPixel) / 1e6
    }

    /// How fast the end of a run goes, in bytes of result per second: the job files, then the commit process's
    /// image scale and layer writes. Tests/Benchmarks/estimate.sh measured 72 MB in 2.2 to 2.9 s (a 3000x2000
    /// RGB photo x2, both models, 2-core AMD EPYC Zen 4), so about 30 MB/s.
    public static let writeBytesPerSecond = 30e6

    /// "about 12 s" / "about 3 min" / "under a second", and the memory.
    public var text: String {
        let t: String
        switch seconds {
        case ..<1: t = "under a second"
        case ..<90: t = "about \(Int(seconds.rounded())) s"
        case ..<5400: t = "about \(Int((seconds / 60).rounded())) min"
        default: t = "about \(Int((seconds / 3600).rounded())) h"
        }
        let m = resultMB < 1000 ? "\(Int(resultMB.rounded())) MB" : "\(Double(Int(resultMB / 100)) / 10) GB"
        return "Estimate: \(t); the result takes \(m) in GIMP"
    }
}
