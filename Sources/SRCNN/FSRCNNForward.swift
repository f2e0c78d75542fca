// FSRCNN's forward pass over a whole LR plane: channel-last maps, output channels in the inner loop, rows threaded.
import Dispatch

extension FSRCNN {
    /// The forward pass on an LR Y plane (values 0...1): same result as `forwardReference` up to Float rounding,
    /// (scale*W) x (scale*H) out. Memory: two channel-last feature maps (d floats per LR pixel each).
    public func forward(_ lr: Plane, threads: Int = 1) throws -> Plane {
        guard lr.height > 0, lr.width > 0 else { return Plane(width: scale * lr.width, height: scale * lr.height) }
        return forward(band: lr, top: 0, imageHeight: lr.height, rows: 0..<(scale * lr.height), threads: threads)
    }

    /// The LR feature rows the transposed convolution reads for HR rows `rows` (clamped to the image).
    func featureRows(_ rows: Range<Int>, imageHeight h: Int) -> Range<Int> {
        let s = scale, k = deconv.kernel, p = deconvPadding
        let lo = ceilDiv(rows.lowerBound + p - k + 1, s), hi = floorDiv(rows.upperBound - 1 + p, s)
        return min(h - 1, max(0, lo))..<(min(h - 1, max(0, hi)) + 1)
    }

    /// The LR input rows `forward(band:)` needs for HR rows `rows` of an image `imageHeight` LR rows tall.
    public func bandInputRows(_ rows: Range<Int>, imageHeight h: Int) -> Range<Int> {
        let f = featureRows(rows, imageHeight: h), r = bodyRadius
        return max(0, f.lowerBound - r)..<min(h, f.upperBound + r)
    }

    /// HR rows `rows` (scale*W wide) of an image `imageHeight` LR rows tall, of which `input` holds LR rows
    /// `top ..< top + input.height`, at least `bandInputRows(rows, imageHeight:)`. Every pixel is computed as in
    /// a whole-image run (the same sums in the same order), so bands equal that run bit for bit.
    public func forward(band input: Plane, top: Int, imageHeight h: Int, rows: Range<Int>, threads: Int = 1) -> Plane {
        let w = input.width
        let need = bandInputRows(rows, imageHeight: h)
        precondition(rows.lowerBound >= 0 && rows.upperBound <= scale * h && need.lowerBound >= top
                     && need.upperBound <= top + input.height,
                     "FSRCNN forward(band:): HR rows \(rows) of \(scale * h) from LR rows \(top)..<\(top + input.height)")
        guard !rows.isEmpty, w > 0 else { return Plane(width: scale * w, height: rows.count) }
        // Rows each layer must produce, from the last back to the first.
        var wanted = [featureRows(rows, imageHeight: h)]
        for l in body.reversed().dropLast() {
            let r = wanted[0]
            wanted.insert(max(0, r.lowerBound - l.radius)..<min(h, r.upperBound + l.radius), at: 0)
        }
        let first = need.lowerBound - top
        var maps = Array(input.data[(first * w)..<((need.upperBound - top) * w)]), mapRows = need, channels = 1
        for (n, l) in body.enumerated() {
            maps = FSRCNN.conv(maps, rows: mapRows, width: w, imageHeight: h, channels: channels, layer: l,
                               slopes: slopes[n], outRows: wanted[n], threads: threads)
            mapRows = wanted[n]; channels = l.outChannels
        }
        return deconvolve(maps, rows: mapRows, width: w, imageHeight: h, outRows: rows, threads: threads)
    }

    /// Rows 0..<count split into `threads` contiguous parts, run in parallel.
    static func parallelRows(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(threads, count))
        DispatchQueue.concurrentPerform(iterations: parts) { t in
            body((count * t / parts)..<(count * (t + 1) / parts))
        }
    }

    /// One body layer: replicate padding at the image border, convolution, PReLU. `input` holds image rows
    /// `rows` (w, cin channel-last per row); the result holds `outRows` (w, cout), which may read rows outside
    /// `rows` only where the border clamps them back inside.
    static func conv(_ input: [Float], rows: Range<Int>, width w: Int, imageHeight H: Int, channels cin: Int,
                     layer l: ConvLayer, slopes: [Float], outRows: Range<Int>, threads: Int) -> [Float] {
        let k = l.kernel, p = l.radius, cout = l.outChannels, h = outRows.count
        // Weights as (ky, kx, c, o): the inner loop runs over contiguous output channels.
        var wt = [Float](repeating: 0, count: k * k * cin * cout)
        for o in 0..<cout {
            for c in 0..<cin {
                for r in 0..<k { for q in 0..<k { wt[((r * k + q) * cin + c) * cout + o] = l.weight(o, c, r, q) } }
            }
        }
        let wp = w + 2 * p, hp = h + 2 * p
        var padded = [Float](repeating: 0, count: hp * wp * cin)
        for y in 0..<hp {
            let sy = min(H - 1, max(0, outRows.lowerBound + y - p))
            precondition(rows.contains(sy), "FSRCNN conv: row \(sy) is not in \(rows)")
            for x in 0..<wp {
                let sx = min(w - 1, max(0, x - p))
                for c in 0..<cin { padded[(y * wp + x) * cin + c] = input[((sy - rows.lowerBound) * w + sx) * cin + c] }
            }
        }
        var out = [Float](repeating: 0, count: h * w * cout)
        padded.withUnsafeBufferPointer { pb in
            wt.withUnsafeBufferPointer { wb in
                l.bias.withUnsafeBufferPointer { bb in
                    slopes.withUnsafeBufferPointer { sb in
                        out.withUnsafeMutableBufferPointer { ob in
                            let P = pb.baseAddress!, W = wb.baseAddress!, B = bb.baseAddress!, S = sb.baseAddress!
                            let O = ob.baseAddress!
                            parallelRows(h, threads: threads) { rows in
                                for y in rows {
                                    for x in 0..<w {
                                        let acc = O + (y * w + x) * cout
                                        acc.update(from: B, count: cout)
                                        for r in 0..<k {
                                            for q in 0..<k {
                                                let src = P + ((y + r) * wp + x + q) * cin
                                                let wk = W + (r * k + q) * cin * cout
                                                for c in 0..<cin {
                                                    let v = src[c], wc = wk + c * cout
                                                    for o in 0..<cout { acc[o] += v * wc[o] }
                                                }
                                            }
                                        }
                                        for o in 0..<cout where acc[o] < 0 { acc[o] *= S[o] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The transposed convolution (see the type's documentation): features of LR rows `rows` (w, d channel-last
    /// per row) -> HR rows `outRows` (scale*w wide).
    func deconvolve(_ f: [Float], rows: Range<Int>, width w: Int, imageHeight h: Int, outRows: Range<Int>,
                    threads: Int) -> Plane {
        let s = scale, k = deconv.kernel, p = deconvPadding, d = deconv.inChannels, W = s * w
        var out = [Float](repeating: 0, count: outRows.count * W)
        let b = deconv.bias[0], f0 = rows.lowerBound, Y0 = outRows.lowerBound
        // Weights as (ky, kx, c).
        var wt = [Float](repeating: 0, count: k * k * d)
        for c in 0..<d { for r in 0..<k { for q in 0..<k { wt[(r * k + q) * d + c] = deconv.weights[(c * k + r) * k + q] } } }
        f.withUnsafeBufferPointer { fb in
            wt.withUnsafeBufferPointer { wb in
                out.withUnsafeMutableBufferPointer { ob in
                    let F = fb.baseAddress!, Wt = wb.baseAddress!, O = ob.baseAddress!
                    FSRCNN.parallelRows(outRows.count, threads: threads) { part in
                        for j in part {
                            let Y = Y0 + j
                            let ylo = ceilDiv(Y + p - k + 1, s), yhi = floorDiv(Y + p, s)
                            for X in 0..<W {
                                let xlo = ceilDiv(X + p - k + 1, s), xhi = floorDiv(X + p, s)
                                var acc: Float = b
                                for y in ylo...yhi {
                                    let ky = Y - s * y + p, yy = min(h - 1, max(0, y)) - f0
                                    for x in xlo...xhi {
                                        let kx = X - s * x + p, xx = min(w - 1, max(0, x))
                                        let fv = F + (yy * w + xx) * d, wv = Wt + (ky * k + kx) * d
                                        var dot: Float = 0
                                        for c in 0..<d { dot += fv[c] * wv[c] }
                                        acc += dot
                                    }
                                }
                                O[j * W + X] = acc
                            }
                        }
                    }
                }
            }
        }
        return Plane(width: W, height: outRows.count, data: out)
    }
}
