// What every kernel family shares, compiled for the baseline CPU: vector types and the sparse transform rows.

public typealias V8 = SIMD8<Float>
public typealias V16 = SIMD16<Float>

/// Nonzero taps of a transform matrix row, so the transforms skip Winograd's many zero coefficients.
public struct SparseRows: @unchecked Sendable {
    public let rows: Int
    public let start: [Int]      // rows + 1 entries into index/coef
    public let index: [Int]
    public let coef: [Float]

    /// `matrix` is rows x cols, row-major.
    public init(_ matrix: [Float], rows: Int, cols: Int) {
        var start = [0], index: [Int] = [], coef: [Float] = []
        for i in 0..<rows {
            for j in 0..<cols where matrix[i * cols + j] != 0 {
                index.append(j); coef.append(matrix[i * cols + j])
            }
            start.append(index.count)
        }
        self.rows = rows; self.start = start; self.index = index; self.coef = coef
    }
}

/// Floats between the α² blocks V[ξ] (T tiles x `channels`) of a Winograd layer: one cache line more than the
/// block, so the α² streams a tile writes (input transform) or reads (output transform) fall in different L1 sets
/// instead of all in one when T·channels·4 bytes is a multiple of 4 KB.
@inline(__always) public func winogradBlockStride(tiles T: Int, channels: Int) -> Int { T * channels + 16 }
