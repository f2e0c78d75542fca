// FSRCNN's planar kernels (one set per kernel family, the same names with _avx512, _avx2 and _generic suffixes).
#ifndef SRCNN_FSRCNN_KERNELS_H
#define SRCNN_FSRCNN_KERNELS_H

// Layout: a feature row holds its channels one after another, `stride` floats apart; channel c's pixel x is at
// row[c * stride + x] (the pointers below point at channel 0, pixel 0). Every channel row must be readable from
// pixel -margin to round_up(width, 16) + margin - 1, margin >= every kernel's reach; at the image's edges those
// pixels hold the edge pixel's value (fsrcnn_fill_margins: replicate padding), elsewhere the neighbouring columns.

// One output row of a body convolution (k x k, 'same', replicate padding) with a PReLU, k odd:
//   out[o * stride + x] = PReLU_o(bias[o] + sum over r < k, t < k, c < cin of
//                         rows[r][c * stride + x + t - k/2] * weights[((r * k + t) * cin + c) * cout_padded + o])
// for o < cout_padded (a multiple of 4; the padding channels' weights, bias and slopes 0) and x < width.
// rows[r] is the input row tap row r reads (the caller clamps rows at the image's top and bottom). Pixels from
// width to round_up(width, 16) - 1 are written with values of no meaning.
void fsrcnn_conv_row_avx512(const float *const *rows, long k, long cin, long stride, const float *weights,
                            const float *bias, const float *slopes, long cout_padded, long width, float *out);
void fsrcnn_conv_row_avx2(const float *const *rows, long k, long cin, long stride, const float *weights,
                          const float *bias, const float *slopes, long cout_padded, long width, float *out);
void fsrcnn_conv_row_generic(const float *const *rows, long k, long cin, long stride, const float *weights,
                             const float *bias, const float *slopes, long cout_padded, long width, float *out);

// One HR row of the transposed convolution with stride `scale` (see FSRCNN.swift for its exact definition):
//   out[scale * x + px] = bias + sum over i < pairs, c < d, j with tap_col[px * nj + j - jlow] >= 0 of
//                         rows[i][c * stride + x - j] * weights[(tap_row[i] * k + tap_col[px * nj + j - jlow]) * d + c]
// for x < width and px < scale, summed in that order (i, then j, then c). rows[i] is the feature row of pair i
// (clamped by the caller), tap_row[i] its kernel row; tap_col[px * nj + j - jlow] is the kernel column phase px
// uses for feature column offset j (jlow <= j < jlow + nj), or -1.
void fsrcnn_deconv_row_avx512(const float *const *rows, const long *tap_row, long pairs, long d, long stride,
                              const float *weights, long k, long scale, const long *tap_col, long jlow, long nj,
                              float bias, long width, float *out);
void fsrcnn_deconv_row_avx2(const float *const *rows, const long *tap_row, long pairs, long d, long stride,
                            const float *weights, long k, long scale, const long *tap_col, long jlow, long nj,
                            float bias, long width, float *out);
void fsrcnn_deconv_row_generic(const float *const *rows, const long *tap_row, long pairs, long d, long stride,
                               const float *weights, long k, long scale, const long *tap_col, long jlow, long nj,
                               float bias, long width, float *out);

// Replicate padding: pixels -left..<0 of each of `channels` channel rows get pixel 0's value, pixels
// width..<width + right pixel width-1's.
void fsrcnn_fill_margins(float *row, long channels, long stride, long left, long width, long right);

#endif
