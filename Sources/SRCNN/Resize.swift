// Resize: bicubic resampling that matches MATLAB imresize(..., 'bicubic') sample for sample.
import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MATLAB-compatible bicubic resize.
///
/// Follows `imresize.m`: Keys cubic kernel with a = -0.5; when shrinking, the antialiasing
/// kernel h(x) = s * cubic(s * x) of width 4/s; per-dimension weights and source indices as in
/// MATLAB's `contributions()` (weights normalised to sum 1, out-of-range indices mirrored with
/// `aux = [1:in, in:-1:1]`, all-zero tap columns dropped); the dimension with the smaller scale
/// is resized first (rows on ties). Samples are accumulated in Double, and the intermediate
/// image between the two 1-D passes is kept in Double; only the final result is Float.
public enum Resize {
    /// Resize to exactly `width` x `height`; the per-dimension scale is out/in.
    public static func bicubic(_ p: Plane, width: Int, height: Int) -> Plane {
        precondition(width >= 0 && height >= 0, "Resize: negative target size \(width)x\(height)")
        if width == 0 || height == 0 { return Plane(width: width, height: height) }
        precondition(p.width > 0 && p.height > 0, "Resize: empty \(p.width)x\(p.height) input")
        return resize(p, width: width, height: height,
                      scaleX: Double(width) / Double(p.width), scaleY: Double(height) / Double(p.height))
    }

    /// Resize by `scale` in both dimensions; the output is ceil(in * scale) (as MATLAB).
    public static func bicubic(_ p: Plane, scale: Double) -> Plane {
        precondition(scale > 0 && scale.isFinite, "Resize: scale must be positive, got \(scale)")
        let (w, h) = outputSize(width: p.width, height: p.height, scale: scale)
        if w == 0 || h == 0 { return Plane(width: w, height: h) }
        precondition(p.width > 0 && p.height > 0, "Resize: empty \(p.width)x\(p.height) input")
        return resize(p, width: w, height: h, scaleX: scale, scaleY: scale)
    }

    /// MATLAB's output size for a scale factor: ceil(scale * in) per dimension.
    public static func outputSize(width: Int, height: Int, scale: Double) -> (width: Int, height: Int) {
        (Int((scale * Double(width)).rounded(.up)), Int((scale * Double(height)).rounded(.up)))
    }

    // MARK: - The kernel

    /// Keys cubic convolution kernel, a = -0.5 (MATLAB `cubic`).
    @inline(__always)
    static func cubic(_ x: Double) -> Double {
        let ax = abs(x), ax2 = ax * ax, ax3 = ax2 * ax
        if ax <= 1 { return 1.5 * ax3 - 2.5 * ax2 + 1 }
        if ax <= 2 { return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2 }
        return 0
    }

    /// MATLAB's symmetric index rule: 1-based `index` into aux = [1:n, n:-1:1], result 0-based.
    @inline(__always)
    static func mirror(_ index: Int, _ n: Int) -> Int {
        let period = 2 * n
        var m = (index - 1) % period
        if m < 0 { m += period }
        return m < n ? m : period - 1 - m
    }

    // MARK: - Weight tables

    /// Per-dimension weights and 0-based source indices, `taps` per output sample (row-major).
    struct Contributions {
        var outLength: Int
        var taps: Int
        var weights: [Double]
        var indices: [Int]

        init(inLength: Int, outLength: Int, scale: Double) {
            let antialias = scale < 1
            let kernelWidth = antialias ? 4 / scale : 4
            let p = Int(kernelWidth.rounded(.up)) + 2
            var w = [Double](repeating: 0, count: outLength * p)
            var ind = [Int](repeating: 0, count: outLength * p)
            for i in 0..<outLength {
                let u = Double(i + 1) / scale + 0.5 * (1 - 1 / scale)
                let left = (u - kernelWidth / 2).rounded(.down)
                var sum = 0.0
                for j in 0..<p {
                    let d = u - (left + Double(j))
                    let v = antialias ? scale * Resize.cubic(scale * d) : Resize.cubic(d)
                    w[i * p + j] = v
                    sum += v
                }
                for j in 0..<p {
                    w[i * p + j] /= sum
                    ind[i * p + j] = Resize.mirror(Int(left) + j, inLength)
                }
            }
            // Drop tap columns whose weight is zero for every output sample.
            let keep = (0..<p).filter { j in (0..<outLength).contains { w[$0 * p + j] != 0 } }
            self.outLength = outLength
            self.taps = keep.count
            self.weights = []
            self.indices = []
            weights.reserveCapacity(outLength * keep.count)
            indices.reserveCapacity(outLength * keep.count)
            for i in 0..<outLength {
                for j in keep {
                    weights.append(w[i * p + j])
                    indices.append(ind[i * p + j])
                }
            }
        }

        /// True when the pass would copy its input unchanged (a single tap of weight 1 at i).
        var isIdentity: Bool {
            taps == 1 && weights.allSatisfy { $0 == 1 } && indices.enumerated().allSatisfy { $0.offset == $0.element }
        }
    }

    // MARK: - The fast path

    /// Pointers shared read-only (or written in disjoint rows) by the worker threads.
    private struct Shared<S, D>: @unchecked Sendable {
        let src: UnsafePointer<S>
        let dst: UnsafeMutablePointer<D>
        let weights: UnsafePointer<Double>
        let indices: UnsafePointer<Int>
    }

    /// Runs `body(lo..<hi)` over `0..<count` rows, split across the cores when `work` is large.
    private static func parallelRows(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunks = work < 200_000 ? 1 : min(count, cores * 4)
        if chunks <= 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((count * c / chunks)..<(count * (c + 1) / chunks))
        }
    }

    private static func resize(_ p: Plane, width: Int, height: Int, scaleX: Double, scaleY: Double) -> Plane {
        let plan = Plan(inWidth: p.width, inHeight: p.height, outWidth: width, outHeight: height,
                        scaleX: scaleX, scaleY: scaleY)
        if plan.skipX && plan.skipY { return p }
        return plan.rows(0..<height, from: p, firstRow: 0)
    }

    /// A resize between two fixed sizes, tabulated once and run over any range of output rows: output row i
    /// reads only source rows `sourceRows(i..<i+1)` and is computed identically whatever range it is part of,
    /// so a banded run equals a whole-image run bit for bit.
    public struct Plan: Sendable {
        public let inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int
        let cx: Contributions, cy: Contributions
        let skipX: Bool, skipY: Bool
        /// The dimension with the smaller scale goes first (rows on ties), as MATLAB.
        let verticalFirst: Bool

        /// Resize to exactly `outWidth` x `outHeight` (per-dimension scale out/in, as `bicubic(_:width:height:)`).
        public init(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) {
            self.init(inWidth: inWidth, inHeight: inHeight, outWidth: outWidth, outHeight: outHeight,
                      scaleX: Double(outWidth) / Double(inWidth), scaleY: Double(outHeight) / Double(inHeight))
        }

        init(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int, scaleX: Double, scaleY: Double) {
            precondition(inWidth > 0 && inHeight > 0 && outWidth > 0 && outHeight > 0,
                         "Resize.Plan: empty size \(inWidth)x\(inHeight) -> \(outWidth)x\(outHeight)")
            self.inWidth = inWidth; self.inHeight = inHeight; self.outWidth = outWidth; self.outHeight = outHeight
            cy = Contributions(inLength: inHeight, outLength: outHeight, scale: scaleY)
            cx = Contributions(inLength: inWidth, outLength: outWidth, scale: scaleX)
            skipY = inHeight == outHeight && cy.isIdentity
            skipX = inWidth == outWidth && cx.isIdentity
            verticalFirst = scaleY <= scaleX
        }

        /// The source rows that output rows `rows` read (a contiguous range; empty for empty `rows`).
        public func sourceRows(_ rows: Range<Int>) -> Range<Int> {
            if rows.isEmpty { return rows.lowerBound..<rows.lowerBound }
            if skipY { return rows }
            var lo = Int.max, hi = Int.min
            for i in rows {
                for k in 0..<cy.taps {
                    let s = cy.indices[i * cy.taps + k]
                    lo = min(lo, s); hi = max(hi, s)
                }
            }
            return lo..<(hi + 1)
        }

        /// Output rows `rows` (outWidth x rows.count) from `src`, which holds source rows from `firstRow` on
        /// and must cover `sourceRows(rows)`.
        public func rows(_ rows: Range<Int>, from src: Plane, firstRow: Int) -> Plane {
            let need = sourceRows(rows)
            precondition(src.width == inWidth && need.lowerBound >= firstRow
                         && need.upperBound <= firstRow + src.height,
                         "Resize.Plan: source rows \(firstRow)..<\(firstRow + src.height) do not cover \(need)")
            let n = rows.count, w = inWidth
            if n == 0 { return Plane(width: outWidth, height: 0) }
            return src.data.withUnsafeBufferPointer { all -> Plane in
                let base = all.baseAddress!
                func source(_ r: Range<Int>) -> UnsafeBufferPointer<Float> {
                    UnsafeBufferPointer(start: base + (r.lowerBound - firstRow) * w, count: r.count * w)
                }
                let out: [Float]
                if skipX && skipY {
                    out = Array(source(rows))
                } else if skipY {
                    out = horizontal(source(rows), w: w, h: n, cx)
                } else if skipX {
                    out = vertical(source(need), w: w, firstRow: need.lowerBound, rows: rows, cy)
                } else if verticalFirst {
                    let mid: [Double] = vertical(source(need), w: w, firstRow: need.lowerBound, rows: rows, cy)
                    out = mid.withUnsafeBufferPointer { horizontal($0, w: w, h: n, cx) }
                } else {
                    let mid: [Double] = horizontal(source(need), w: w, h: need.count, cx)
                    out = mid.withUnsafeBufferPointer {
                        vertical($0, w: outWidth, firstRow: need.lowerBound, rows: rows, cy)
                    }
                }
                return Plane(width: outWidth, height: n, data: out)
            }
        }
    }

    /// Resample along the height: `src` is w x (source rows from `firstRow` on), the result w x rows.count
    /// (output rows `rows` of the whole resize).
    private static func vertical<S: BinaryFloatingPoint, D: BinaryFloatingPoint>(
        _ src: UnsafeBufferPointer<S>, w: Int, firstRow: Int, rows outRows: Range<Int>, _ c: Contributions) -> [D] {
        let outH = outRows.count, taps = c.taps, r0 = outRows.lowerBound
        return [D](unsafeUninitializedCapacity: w * outH) { dst, initialized in
            c.weights.withUnsafeBufferPointer { wb in
                c.indices.withUnsafeBufferPointer { ib in
                    let sh = Shared(src: src.baseAddress!, dst: dst.baseAddress!,
                                    weights: wb.baseAddress!, indices: ib.baseAddress!)
                    parallelRows(outH, work: w * outH * taps) { rows in
                        let acc = UnsafeMutablePointer<Double>.allocate(capacity: w)
                        defer { acc.deallocate() }
                        for j in rows {
                            let i = r0 + j
                            acc.initialize(repeating: 0, count: w)
                            for k in 0..<taps {
                                let wk = sh.weights[i * taps + k]
                                let row = sh.src + (sh.indices[i * taps + k] - firstRow) * w
                                for x in 0..<w { acc[x] += wk * Double(row[x]) }
                            }
                            let out = sh.dst + j * w
                            for x in 0..<w { out[x] = D(acc[x]) }
                        }
                    }
                }
            }
            initialized = w * outH
        }
    }

    /// Resample along the width: `src` is (in width) x h, the result c.outLength x h.
    private static func horizontal<S: BinaryFloatingPoint, D: BinaryFloatingPoint>(
        _ src: UnsafeBufferPointer<S>, w inW: Int, h: Int, _ c: Contributions) -> [D] {
        let outW = c.outLength, taps = c.taps
        return [D](unsafeUninitializedCapacity: outW * h) { dst, initialized in
            c.weights.withUnsafeBufferPointer { wb in
                c.indices.withUnsafeBufferPointer { ib in
                    let sh = Shared(src: src.baseAddress!, dst: dst.baseAddress!,
                                    weights: wb.baseAddress!, indices: ib.baseAddress!)
                    parallelRows(h, work: outW * h * taps) { rows in
                        for y in rows {
                            let row = sh.src + y * inW
                            let out = sh.dst + y * outW
                            var wp = sh.weights, ip = sh.indices
                            for x in 0..<outW {
                                var acc = 0.0
                                for k in 0..<taps { acc += wp[k] * Double(row[ip[k]]) }
                                out[x] = D(acc)
                                wp += taps
                                ip += taps
                            }
                        }
                    }
                }
            }
            initialized = outW * h
        }
    }

    // MARK: - Reference

    /// Straight-from-the-formula version (no tables, no threads) the fast path is tested against.
    static func bicubicReference(_ p: Plane, width: Int, height: Int) -> Plane {
        bicubicReference(p, width: width, height: height,
                         scaleX: Double(width) / Double(p.width), scaleY: Double(height) / Double(p.height))
    }

    static func bicubicReference(_ p: Plane, scale: Double) -> Plane {
        let (w, h) = outputSize(width: p.width, height: p.height, scale: scale)
        return bicubicReference(p, width: w, height: h, scaleX: scale, scaleY: scale)
    }

    /// One output sample of a 1-D resize of `line` (length n) at 0-based output position i.
    static func referenceSample(_ line: (Int) -> Double, n: Int, i: Int, scale: Double) -> Double {
        let antialias = scale < 1
        let kernelWidth = antialias ? 4 / scale : 4
        let u = Double(i + 1) / scale + 0.5 * (1 - 1 / scale)
        let left = (u - kernelWidth / 2).rounded(.down)
        let taps = Int(kernelWidth.rounded(.up)) + 2
        var weights: [Double] = [], sum = 0.0
        for j in 0..<taps {
            let d = u - (left + Double(j))
            let v = antialias ? scale * cubic(scale * d) : cubic(d)
            weights.append(v)
            sum += v
        }
        var acc = 0.0
        for j in 0..<taps where weights[j] != 0 {
            acc += weights[j] / sum * line(mirror(Int(left) + j, n))
        }
        return acc
    }

    static func bicubicReference(_ p: Plane, width: Int, height: Int, scaleX: Double, scaleY: Double) -> Plane {
        var img = p.data.map(Double.init)
        var w = p.width, h = p.height
        for dim in (scaleY <= scaleX ? [0, 1] : [1, 0]) {
            if dim == 0 {   // rows (height)
                var out = [Double](repeating: 0, count: w * height)
                for y in 0..<height {
                    for x in 0..<w {
                        out[y * w + x] = referenceSample({ img[$0 * w + x] }, n: h, i: y, scale: scaleY)
                    }
                }
                img = out
                h = height
            } else {        // columns (width)
                var out = [Double](repeating: 0, count: width * h)
                for y in 0..<h {
                    for x in 0..<width {
                        out[y * width + x] = referenceSample({ img[y * w + $0] }, n: w, i: x, scale: scaleX)
                    }
                }
                img = out
                w = width
            }
        }
        return Plane(width: w, height: h, data: img.map(Float.init))
    }
}
