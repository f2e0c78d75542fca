// SRCNN's Winograd transforms for 8 x 8 input tiles (F(6x6, 3x3) and F(4x4, 5x5)), one set per kernel family.
#ifndef SRCNN_WINOGRAD_KERNELS_H
#define SRCNN_WINOGRAD_KERNELS_H

// Both tiles use the interpolation points 0, ±1, ±1/2, ±2 and infinity (WinogradMatrices.swift), so they share
// Bᵀ; Aᵀ row i is [i == 0], 1, (-1)^i, (1/2)^i, (-1/2)^i, 2^i, (-2)^i, [i == m - 1]. The formulas below are those
// matrices with their common sub-expressions shared (Lavin & Gray 2016); tests check them against the matrices.

// Tiles are numbered t = ty * ntx + tx; both transforms handle tiles t0 ..< t0 + nt, a block of them.
// Input transform: V[ξ * vs + (t - t0) * cin + c] = (Bᵀ d_t B)[ξ] for channel c < cin (a multiple of the family's
// vector width: 16 for avx512, 8 otherwise), ξ = ξy * 8 + ξx, where tile t's 8 x 8 input d_t starts at pixel
// (ty * m, tx * m) of the channel-last P: pixel (y, x) channel c at P[y * ldp + x * cin + c].
#define SRCNN_WINO8_INPUT(NAME)                                                                                 \
    void NAME(const float *P, long ldp, long cin, long m, long ntx, long t0, long nt, float *V, long vs)
SRCNN_WINO8_INPUT(srcnn_wino8_input_avx512);
SRCNN_WINO8_INPUT(srcnn_wino8_input_avx2);
SRCNN_WINO8_INPUT(srcnn_wino8_input_generic);

// Output transform, m = 4 or 6: the m x m outputs of tile t, Aᵀ M_t A with M_t[ξ] at
// M[ξ * ms + (t - t0) * cout + o], are written channel-last: pixel (ty * m + i, tx * m + j) channel o at
// O[(ty * m + i) * ldo + (tx * m + j) * cout + o].
#define SRCNN_WINO8_OUTPUT(NAME)                                                                                \
    void NAME(const float *M, long ms, long cout, long m, long ntx, long t0, long nt, float *O, long ldo)
SRCNN_WINO8_OUTPUT(srcnn_wino8_output_avx512);
SRCNN_WINO8_OUTPUT(srcnn_wino8_output_avx2);
SRCNN_WINO8_OUTPUT(srcnn_wino8_output_generic);

#endif
