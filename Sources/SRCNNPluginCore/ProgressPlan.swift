// One progress bar for a whole run: each phase gets a share of 0...1 so the bar only ever moves forward.
/// The phases of a run and their shares of the bar: checks and model loading, the layers' SRCNN passes (by
/// their output pixels), the job written to disk; the bar then ends full. What comes after (the commit process)
/// shows no progress: a progress there would give GIMP's Cancel a way to kill a half-done write, and GIMP's own
/// scale would restart the bar from zero (the commit takes that progress and keeps it off the bar).
public struct ProgressPlan: Sendable {
    public static let prepared = 0.02
    public static let computed = 0.95
    public static let written = 1.0

    private let ends: [Double]

    /// `layerPixels`: each layer's output pixel count, in the order the layers run.
    public init(layerPixels: [Int]) {
        let total = Double(max(1, layerPixels.reduce(0, +)))
        var done = 0, ends: [Double] = []
        for p in layerPixels {
            done += max(0, p)
            ends.append(Self.prepared + (Self.computed - Self.prepared) * Double(done) / total)
        }
        self.ends = ends
    }

    /// The part of the bar layer `i`'s pass fills.
    public func range(ofLayer i: Int) -> ClosedRange<Double> { (i == 0 ? Self.prepared : ends[i - 1])...ends[i] }

    /// Where the bar is at `fraction` (0...1, clamped) of layer `i`'s pass.
    public func value(layer i: Int, fraction: Double) -> Double {
        let r = range(ofLayer: i)
        return r.lowerBound + (r.upperBound - r.lowerBound) * min(1, max(0, fraction))
    }
}
