// Colour: BT.601 studio-range RGB <-> YCbCr exactly as MATLAB rgb2ycbcr / ycbcr2rgb.

/// MATLAB `rgb2ycbcr` / `ycbcr2rgb` on 0...1 planes. Y is on a Y/255 scale (16/255...235/255
/// for in-gamut RGB), Cb and Cr on a C/255 scale centred on 128/255.
public enum Colour {
    /// MATLAB's `origT`: YCbCr (0...255 scale) = T * RGB (0...1) + offset.
    static let matrix: [[Double]] = [[65.481, 128.553, 24.966],
                                     [-37.797, -74.203, 112.0],
                                     [112.0, -93.786, -18.214]]
    static let offset: [Double] = [16, 128, 128]

    /// The exact inverse of `matrix`, computed in Double (adjugate / determinant).
    static let inverse: [[Double]] = {
        let m = matrix
        func c(_ r: Int, _ k: Int) -> Double {   // cofactor of m[r][k]
            let r1 = (r + 1) % 3, r2 = (r + 2) % 3, k1 = (k + 1) % 3, k2 = (k + 2) % 3
            return m[r1][k1] * m[r2][k2] - m[r1][k2] * m[r2][k1]
        }
        let det = m[0][0] * c(0, 0) + m[0][1] * c(0, 1) + m[0][2] * c(0, 2)
        return (0..<3).map { r in (0..<3).map { k in c(k, r) / det } }
    }()

    private static func checkSizes(_ a: Plane, _ b: Plane, _ c: Plane, _ what: String) {
        precondition(a.width == b.width && a.width == c.width && a.height == b.height && a.height == c.height,
                     "Colour.\(what): planes differ in size")
    }

    /// MATLAB `rgb2ycbcr` on double/single input in 0...1 (not rounded, not clamped).
    public static func rgbToYCbCr(_ r: Plane, _ g: Plane, _ b: Plane) -> (y: Plane, cb: Plane, cr: Plane) {
        checkSizes(r, g, b, "rgbToYCbCr")
        let t = matrix.map { $0.map { $0 / 255 } }
        let off = offset.map { $0 / 255 }
        let n = r.count
        var out = [[Float]](repeating: [Float](repeating: 0, count: n), count: 3)
        for p in 0..<3 {
            let t0 = t[p][0], t1 = t[p][1], t2 = t[p][2], o = off[p]
            out[p].withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let rv = Double(r.data[i]), gv = Double(g.data[i]), bv = Double(b.data[i])
                    dst[i] = Float(t0 * rv + t1 * gv + t2 * bv + o)
                }
            }
        }
        return (Plane(width: r.width, height: r.height, data: out[0]),
                Plane(width: r.width, height: r.height, data: out[1]),
                Plane(width: r.width, height: r.height, data: out[2]))
    }

    /// MATLAB `ycbcr2rgb` on 0...1 input: the exact inverse of `rgbToYCbCr`. Not clamped.
    public static func yCbCrToRGB(_ y: Plane, _ cb: Plane, _ cr: Plane) -> (r: Plane, g: Plane, b: Plane) {
        checkSizes(y, cb, cr, "yCbCrToRGB")
        let t = inverse
        let off = offset.map { $0 / 255 }
        let n = y.count
        var out = [[Float]](repeating: [Float](repeating: 0, count: n), count: 3)
        for p in 0..<3 {
            let t0 = t[p][0], t1 = t[p][1], t2 = t[p][2]
            out[p].withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let a = Double(y.data[i]) - off[0], b = Double(cb.data[i]) - off[1], c = Double(cr.data[i]) - off[2]
                    dst[i] = Float(255 * (t0 * a + t1 * b + t2 * c))
                }
            }
        }
        return (Plane(width: y.width, height: y.height, data: out[0]),
                Plane(width: y.width, height: y.height, data: out[1]),
                Plane(width: y.width, height: y.height, data: out[2]))
    }

    /// MATLAB `rgb2ycbcr` on uint8 input, Y channel only, returned /255.
    ///
    /// MATLAB scales `origT` by 1/255 for uint8 input and calls `imlincomb`, which accumulates in
    /// double and rounds (half away from zero, saturating) to uint8:
    /// Y = uint8((65.481/255) R + (128.553/255) G + (24.966/255) B + 16), R,G,B in 0...255.
    /// The inputs are 0...1 planes from 8-bit images (v/255); each is rounded back to 0...255 first.
    /// The same conversion in place, so a large image needs no second set of planes: on return
    /// `y`, `cb`, `cr` hold R', G', B' (not clamped).
    public static func yCbCrToRGBInPlace(_ y: inout Plane, _ cb: inout Plane, _ cr: inout Plane) {
        checkSizes(y, cb, cr, "yCbCrToRGBInPlace")
        let t = inverse
        let off = offset.map { $0 / 255 }
        let n = y.count
        y.data.withUnsafeMutableBufferPointer { p0 in
            cb.data.withUnsafeMutableBufferPointer { p1 in
                cr.data.withUnsafeMutableBufferPointer { p2 in
                    for i in 0..<n {
                        let a = Double(p0[i]) - off[0], b = Double(p1[i]) - off[1], c = Double(p2[i]) - off[2]
                        p0[i] = Float(255 * (t[0][0] * a + t[0][1] * b + t[0][2] * c))
                        p1[i] = Float(255 * (t[1][0] * a + t[1][1] * b + t[1][2] * c))
                        p2[i] = Float(255 * (t[2][0] * a + t[2][1] * b + t[2][2] * c))
                    }
                }
            }
        }
    }

    public static func lumaUInt8(_ r: Plane, _ g: Plane, _ b: Plane) -> Plane {
        checkSizes(r, g, b, "lumaUInt8")
        let t0 = matrix[0][0] / 255, t1 = matrix[0][1] / 255, t2 = matrix[0][2] / 255, o = offset[0]
        var out = [Float](repeating: 0, count: r.count)
        out.withUnsafeMutableBufferPointer { dst in
            for i in 0..<r.count {
                let rv = Double(quantize8(r.data[i])), gv = Double(quantize8(g.data[i])), bv = Double(quantize8(b.data[i]))
                let v = (t0 * rv + t1 * gv + t2 * bv + o).rounded(.toNearestOrAwayFromZero)
                dst[i] = Float(min(255, max(0, v)) / 255)
            }
        }
        return Plane(width: r.width, height: r.height, data: out)
    }
}
