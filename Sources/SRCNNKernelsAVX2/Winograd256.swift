// AVX2+FMA Winograd F(m x m, r x r) pieces on channel-last data (256-bit vectors): input transform, tile GEMMs,
// output transform. The same functions as SRCNNKernelsAVX512/Winograd512.swift.

/// V[ξ][t][c] = (Bᵀ d_t B)[ξ] for every tile t = ty·ntx + tx and channel c (cin a multiple of 8).
/// `P` is channel-last: pixel (y, x) channel c at P[y·rowStride + x·cin + c]. `scratch`: α·α·8 floats.
public func avx2WinogradInput(alpha a: Int, m: Int, bt: SparseRows, cin: Int,
                              P: UnsafePointer<Float>, rowStride: Int, nty: Int, ntx: Int,
                              V: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let xs = winogradBlockStride(tiles: nty * ntx, channels: cin)
    bt.start.withUnsafeBufferPointer { st in
    bt.index.withUnsafeBufferPointer { ix in
    bt.coef.withUnsafeBufferPointer { cf in
        for ty in 0..<nty {
            for tx in 0..<ntx {
                let t = ty * ntx + tx
                let origin = P + (ty * m) * rowStride + (tx * m) * cin
                var cb = 0
                while cb < cin {
                    // Horizontal: h[i][ξx] = Σ_j Bᵀ[ξx][j] d[i][j].
                    for i in 0..<a {
                        let row = origin + i * rowStride + cb
                        for xx in 0..<a {
                            var acc = V8()
                            for e in st[xx]..<st[xx + 1] { acc.addProduct(V8(repeating: cf[e]), load(row + ix[e] * cin)) }
                            store(acc, scratch + (i * a + xx) * 8)
                        }
                    }
                    // Vertical: V[ξy·α+ξx] = Σ_i Bᵀ[ξy][i] h[i][ξx].
                    for xy in 0..<a {
                        for xx in 0..<a {
                            var acc = V8()
                            for e in st[xy]..<st[xy + 1] {
                                acc.addProduct(V8(repeating: cf[e]), load(scratch + (ix[e] * a + xx) * 8))
                            }
                            store(acc, V + (xy * a + xx) * xs + t * cin + cb)
                        }
                    }
                    cb += 8
                }
            }
        }
    } } }
}

/// C (M x N) = A (M x K, row stride lda) · B (K x N, row stride ldb); N a multiple of 16.
/// Blocks of 6 rows x 16 columns: 12 accumulators + 2 loads + 1 broadcast.
public func avx2GemmRowA(m M: Int, k K: Int, n N: Int, a A: UnsafePointer<Float>, lda: Int,
                         b B: UnsafePointer<Float>, ldb: Int, c C: UnsafeMutablePointer<Float>, ldc: Int) {
    var n0 = 0
    while n0 < N {
        var m0 = 0
        while m0 + 6 <= M {
            var c0a = V8(), c0b = V8(), c1a = V8(), c1b = V8(), c2a = V8(), c2b = V8()
            var c3a = V8(), c3b = V8(), c4a = V8(), c4b = V8(), c5a = V8(), c5b = V8()
            let a0 = A + m0 * lda
            for kk in 0..<K {
                let b = B + kk * ldb + n0
                let ba = load(b), bb = load(b + 8)
                let ak = a0 + kk
                var w = V8(repeating: ak[0]); c0a.addProduct(w, ba); c0b.addProduct(w, bb)
                w = V8(repeating: ak[lda]); c1a.addProduct(w, ba); c1b.addProduct(w, bb)
                w = V8(repeating: ak[2 * lda]); c2a.addProduct(w, ba); c2b.addProduct(w, bb)
                w = V8(repeating: ak[3 * lda]); c3a.addProduct(w, ba); c3b.addProduct(w, bb)
                w = V8(repeating: ak[4 * lda]); c4a.addProduct(w, ba); c4b.addProduct(w, bb)
                w = V8(repeating: ak[5 * lda]); c5a.addProduct(w, ba); c5b.addProduct(w, bb)
            }
            let o = C + m0 * ldc + n0
            store(c0a, o); store(c0b, o + 8); store(c1a, o + ldc); store(c1b, o + ldc + 8)
            store(c2a, o + 2 * ldc); store(c2b, o + 2 * ldc + 8); store(c3a, o + 3 * ldc); store(c3b, o + 3 * ldc + 8)
            store(c4a, o + 4 * ldc); store(c4b, o + 4 * ldc + 8); store(c5a, o + 5 * ldc); store(c5b, o + 5 * ldc + 8)
            m0 += 6
        }
        while m0 < M {
            var ca = V8(), cb = V8()
            let a0 = A + m0 * lda
            for kk in 0..<K {
                let b = B + kk * ldb + n0
                let w = V8(repeating: a0[kk])
                ca.addProduct(w, load(b)); cb.addProduct(w, load(b + 8))
            }
            store(ca, C + m0 * ldc + n0); store(cb, C + m0 * ldc + n0 + 8)
            m0 += 1
        }
        n0 += 16
    }
}

/// Y_t = Aᵀ M_t A for every tile, written channel-last into O: pixel (y, x) channel o at
/// O[y·oRowStride + x·cout + o]; M[ξ][t][o]. cout a multiple of 8. `scratch`: m·α·8 floats.
public func avx2WinogradOutput(alpha a: Int, m: Int, at: SparseRows, cout: Int, nty: Int, ntx: Int,
                               M: UnsafePointer<Float>, O: UnsafeMutablePointer<Float>, oRowStride: Int,
                               scratch: UnsafeMutablePointer<Float>) {
    let xs = winogradBlockStride(tiles: nty * ntx, channels: cout)
    at.start.withUnsafeBufferPointer { st in
    at.index.withUnsafeBufferPointer { ix in
    at.coef.withUnsafeBufferPointer { cf in
        for ty in 0..<nty {
            for tx in 0..<ntx {
                let t = ty * ntx + tx
                var ob = 0
                while ob < cout {
                    // Vertical: z[i][ξx] = Σ_ξy Aᵀ[i][ξy] M[ξy·α+ξx].
                    for i in 0..<m {
                        for xx in 0..<a {
                            var acc = V8()
                            for e in st[i]..<st[i + 1] {
                                acc.addProduct(V8(repeating: cf[e]), load(M + (ix[e] * a + xx) * xs + t * cout + ob))
                            }
                            store(acc, scratch + (i * a + xx) * 8)
                        }
                    }
                    // Horizontal: y[i][j] = Σ_ξx Aᵀ[j][ξx] z[i][ξx].
                    for i in 0..<m {
                        let orow = O + (ty * m + i) * oRowStride + (tx * m) * cout + ob
                        for j in 0..<m {
                            var acc = V8()
                            for e in st[j]..<st[j + 1] {
                                acc.addProduct(V8(repeating: cf[e]), load(scratch + (i * a + ix[e]) * 8))
                            }
                            store(acc, orow + j * cout)
                        }
                    }
                    ob += 8
                }
            }
        }
    } } }
}
