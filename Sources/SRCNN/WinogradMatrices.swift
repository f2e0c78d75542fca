// Winograd F(m, r) transform matrices (Cook-Toom), built in Double for any output tile m and kernel r.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The three matrices of a 1-D Winograd minimal filtering algorithm F(m, r) with tile α = m + r - 1:
/// y = Aᵀ [(G g) ⊙ (Bᵀ d)] computes the m outputs y_i = Σ_k g_k d_{i+k} (correlation) of an α-sample
/// input d and an r-tap kernel g with α multiplications. 2-D: Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A.
public struct WinogradMatrices: Sendable {
    public let m: Int, r: Int, alpha: Int
    public let AT: [[Double]]   // m x α
    public let G: [[Double]]    // α x r
    public let BT: [[Double]]   // α x α

    /// Interpolation points: small integers and their reciprocals keep the transforms well conditioned.
    static let points: [Double] = [0, 1, -1, 0.5, -0.5, 2, -2, 0.25, -0.25, 4, -4, 0.75, -0.75]

    public init(m: Int, r: Int) {
        precondition(m >= 1 && r >= 1 && m + r - 2 <= WinogradMatrices.points.count, "unsupported F(\(m), \(r))")
        self.m = m; self.r = r
        let a = m + r - 1
        alpha = a
        let p = Array(WinogradMatrices.points.prefix(a - 1))   // plus the point at infinity
        // Aᵀ: evaluate the output polynomial at each point; the last column is the point at infinity.
        var at = [[Double]](repeating: [Double](repeating: 0, count: a), count: m)
        for i in 0..<m {
            for j in 0..<(a - 1) { at[i][j] = pow(p[j], Double(i)) }
            at[i][a - 1] = i == m - 1 ? 1 : 0
        }
        // G: kernel polynomial at each point, divided by the Lagrange denominators.
        var g = [[Double]](repeating: [Double](repeating: 0, count: r), count: a)
        for j in 0..<(a - 1) {
            var den = 1.0
            for l in 0..<(a - 1) where l != j { den *= p[j] - p[l] }
            for k in 0..<r { g[j][k] = pow(p[j], Double(k)) / den }
        }
        g[a - 1][r - 1] = 1
        // Bᵀ: the unique α x α matrix with Σ_ξ Aᵀ[i][ξ] G[ξ][k] Bᵀ[ξ][n] = [n == i + k]; solved per column n
        // by least squares (the system is consistent, so the residual is rounding only).
        var bt = [[Double]](repeating: [Double](repeating: 0, count: a), count: a)
        for n in 0..<a {
            // Rows: one per (i, k); unknowns: Bᵀ[ξ][n] for ξ < α.
            var rows: [[Double]] = [], rhs: [Double] = []
            for i in 0..<m {
                for k in 0..<r {
                    rows.append((0..<a).map { at[i][$0] * g[$0][k] })
                    rhs.append(n == i + k ? 1 : 0)
                }
            }
            let x = WinogradMatrices.leastSquares(rows, rhs)
            for xi in 0..<a { bt[xi][n] = abs(x[xi]) < 1e-12 ? 0 : x[xi] }
        }
        AT = at; G = g; BT = bt
    }

    /// Solves min |Mx - b| through the normal equations with partial-pivot Gaussian elimination.
    static func leastSquares(_ M: [[Double]], _ b: [Double]) -> [Double] {
        let n = M[0].count
        var A = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
        for i in 0..<n {
            for j in 0..<n { A[i][j] = zip(M, M).reduce(0) { $0 + $1.0[i] * $1.1[j] } }
            A[i][n] = zip(M, b).reduce(0) { $0 + $1.0[i] * $1.1 }
        }
        for col in 0..<n {
            let piv = (col..<n).max { abs(A[$0][col]) < abs(A[$1][col]) }!
            A.swapAt(col, piv)
            for row in 0..<n where row != col {
                let f = A[row][col] / A[col][col]
                if f != 0 { for j in col...n { A[row][j] -= f * A[col][j] } }
            }
        }
        return (0..<n).map { A[$0][n] / A[$0][$0] }
    }
}
