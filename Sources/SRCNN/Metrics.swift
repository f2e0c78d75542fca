// Image-quality metrics of the SR benchmark protocol: PSNR and SSIM (Wang et al. 2004) on 8-bit Y.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Metrics {
    /// PSNR in dB between two planes on a 0...1 scale, after MATLAB `uint8(x * 255)` of both and
    /// shaving `shave` pixels per side. Identical planes give +infinity.
    public static func psnr(_ a: Plane, _ b: Plane, shave: Int = 0) -> Double {
        let (x, y) = (a.shave(shave).data, b.shave(shave).data)
        precondition(x.count == y.count && !x.isEmpty, "psnr: sizes differ or empty")
        var se = 0.0
        for i in 0..<x.count {
            let d = Double(quantize8(x[i])) - Double(quantize8(y[i]))
            se += d * d
        }
        let mse = se / Double(x.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// Mean SSIM as in Wang's `ssim_index.m`: 11x11 Gaussian window (sigma 1.5, normalised), 'valid'
    /// filtering, K1 = 0.01, K2 = 0.03, L = 255, on `uint8(x * 255)` values with `shave` pixels removed.
    public static func ssim(_ a: Plane, _ b: Plane, shave: Int = 0) -> Double {
        let pa = a.shave(shave), pb = b.shave(shave)
        precondition(pa.width == pb.width && pa.height == pb.height, "ssim: sizes differ")
        let w = pa.width, h = pa.height, k = 11, r = 5
        guard w >= k, h >= k else { return psnr(a, b, shave: shave).isInfinite ? 1 : 0 }
        var g = [Double](repeating: 0, count: k)
        for i in 0..<k { let d = Double(i - r); g[i] = exp(-(d * d) / 4.5) }   // 2 sigma^2 = 4.5
        let gs = g.reduce(0, +)
        g = g.map { $0 / gs }          // the 2-D window is the outer product, summing to 1
        let x = pa.data.map { Double(quantize8($0)) }, y = pb.data.map { Double(quantize8($0)) }
        let c1: Double = (0.01 * 255) * (0.01 * 255), c2: Double = (0.03 * 255) * (0.03 * 255)
        let ow = w - k + 1, oh = h - k + 1
        // Separable 'valid' filter: rows then columns, for x, y, x², y², xy.
        func filter(_ v: [Double]) -> [Double] {
            var t = [Double](repeating: 0, count: h * ow)
            for yy in 0..<h { for xx in 0..<ow {
                var s = 0.0
                for i in 0..<k { s += g[i] * v[yy * w + xx + i] }
                t[yy * ow + xx] = s
            } }
            var o = [Double](repeating: 0, count: oh * ow)
            for yy in 0..<oh { for xx in 0..<ow {
                var s = 0.0
                for i in 0..<k { s += g[i] * t[(yy + i) * ow + xx] }
                o[yy * ow + xx] = s
            } }
            return o
        }
        let mx = filter(x), my = filter(y)
        let sxx = filter(x.map { $0 * $0 }), syy = filter(y.map { $0 * $0 })
        let sxy = filter(zip(x, y).map { $0 * $1 })
        var total = 0.0
        for i in 0..<(oh * ow) {
            let mux = mx[i], muy = my[i]
            let vx = sxx[i] - mux * mux, vy = syy[i] - muy * muy, cxy = sxy[i] - mux * muy
            total += ((2 * mux * muy + c1) * (2 * cxy + c2)) / ((mux * mux + muy * muy + c1) * (vx + vy + c2))
        }
        return total / Double(oh * ow)
    }
}
