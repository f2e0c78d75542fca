// The FSRCNN kernel template: fsrcnn_kernels.c includes it once per family, with FAMILY, ATTR, VL, VEC, LOADU,
// STOREU, SET1, FMA, PRELU and the register blocking (CONV_P, CONV_QMAX, DECONV_P) defined; see fsrcnn_kernels.h.
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define INLINE static inline __attribute__((always_inline)) ATTR
// The loops over the constants P, Q and G are unrolled, so their accumulators live in registers.
#define UNROLL _Pragma("clang loop unroll(full)")

// Pixels x0 ..< x0 + P*VL of output channels o ..< o + Q, accumulators in registers (P, Q constants once inlined).
INLINE void CAT(conv_block, FAMILY)(const int P, const int Q, const float *const *rows, long k, long cin, long stride,
                                    const float *weights, const float *bias, const float *slopes, long coutp, long o,
                                    long x0, float *out) {
    VEC acc[CONV_QMAX][CONV_P];
    const long p = k / 2;
    UNROLL for (int q = 0; q < Q; q++)
        UNROLL for (int v = 0; v < P; v++) acc[q][v] = SET1(bias[o + q]);
    for (long r = 0; r < k; r++) {
        for (long c = 0; c < cin; c++) {
            const float *src = rows[r] + c * stride + x0 - p;
            const float *w = weights + (r * k * cin + c) * coutp + o;
            for (long t = 0; t < k; t++, src++, w += cin * coutp) {
                VEC in[CONV_P];
                UNROLL for (int v = 0; v < P; v++) in[v] = LOADU(src + v * VL);
                UNROLL for (int q = 0; q < Q; q++) {
                    VEC b = SET1(w[q]);
                    UNROLL for (int v = 0; v < P; v++) acc[q][v] = FMA(acc[q][v], in[v], b);
                }
            }
        }
    }
    UNROLL for (int q = 0; q < Q; q++) {
        VEC s = SET1(slopes[o + q]);
        UNROLL for (int v = 0; v < P; v++) STOREU(out + (o + q) * stride + x0 + v * VL, PRELU(acc[q][v], s));
    }
}

// All output channels of pixels x0 ..< x0 + P*VL, in groups of CONV_QMAX (then 8, then 4) channels.
INLINE void CAT(conv_pixels, FAMILY)(const int P, const float *const *rows, long k, long cin, long stride,
                                     const float *weights, const float *bias, const float *slopes, long coutp,
                                     long x0, float *out) {
    long o = 0;
    for (; o + CONV_QMAX <= coutp; o += CONV_QMAX)
        CAT(conv_block, FAMILY)(P, CONV_QMAX, rows, k, cin, stride, weights, bias, slopes, coutp, o, x0, out);
    if (CONV_QMAX > 8 && o + 8 <= coutp) {
        CAT(conv_block, FAMILY)(P, 8, rows, k, cin, stride, weights, bias, slopes, coutp, o, x0, out);
        o += 8;
    }
    for (; o < coutp; o += 4)
        CAT(conv_block, FAMILY)(P, 4, rows, k, cin, stride, weights, bias, slopes, coutp, o, x0, out);
}

ATTR void CAT(fsrcnn_conv_row, FAMILY)(const float *const *rows, long k, long cin, long stride, const float *weights,
                                       const float *bias, const float *slopes, long cout_padded, long width,
                                       float *out) {
    const long n = (width + 15) / 16 * 16;
    long x0 = 0;
    for (; x0 + CONV_P * VL <= n; x0 += CONV_P * VL)
        CAT(conv_pixels, FAMILY)(CONV_P, rows, k, cin, stride, weights, bias, slopes, cout_padded, x0, out);
    for (; x0 < n; x0 += VL)
        CAT(conv_pixels, FAMILY)(1, rows, k, cin, stride, weights, bias, slopes, cout_padded, x0, out);
}

// LR columns x0 ..< x0 + P*VL (those below width stored) of phases g0 ..< g0 + G: G x P accumulators.
INLINE void CAT(deconv_block, FAMILY)(const int P, const int G, const float *const *rows, const long *tap_row,
                                      long pairs, long d, long stride, const float *weights, long k, long scale,
                                      const long *tap_col, long jlow, long nj, long g0, float bias, long x0,
                                      long width, float *out) {
    VEC acc[4][DECONV_P];
    UNROLL for (int g = 0; g < G; g++)
        UNROLL for (int v = 0; v < P; v++) acc[g][v] = SET1(0.0f);
    for (long i = 0; i < pairs; i++) {
        const float *wr = weights + tap_row[i] * k * d;
        for (long jj = 0; jj < nj; jj++) {
            long kx[4];
            UNROLL for (int g = 0; g < G; g++) kx[g] = tap_col[(g0 + g) * nj + jj];
            const float *src = rows[i] + x0 - (jlow + jj);
            for (long c = 0; c < d; c++, src += stride) {
                VEC in[DECONV_P];
                UNROLL for (int v = 0; v < P; v++) in[v] = LOADU(src + v * VL);
                UNROLL for (int g = 0; g < G; g++) {
                    if (kx[g] < 0) continue;
                    VEC b = SET1(wr[kx[g] * d + c]);
                    UNROLL for (int v = 0; v < P; v++) acc[g][v] = FMA(acc[g][v], in[v], b);
                }
            }
        }
    }
    float t[4][DECONV_P * VL];
    UNROLL for (int g = 0; g < G; g++)
        UNROLL for (int v = 0; v < P; v++) STOREU(t[g] + v * VL, acc[g][v]);
    const long end = x0 + P * VL < width ? x0 + P * VL : width;
    for (long x = x0; x < end; x++)
        UNROLL for (int g = 0; g < G; g++) out[scale * x + g0 + g] = bias + t[g][x - x0];
}

INLINE void CAT(deconv_phases, FAMILY)(const int P, long G, const float *const *rows, const long *tap_row,
                                       long pairs, long d, long stride, const float *weights, long k, long scale,
                                       const long *tap_col, long jlow, long nj, long g0, float bias, long x0,
                                       long width, float *out) {
#define DECONV_CASE(g) CAT(deconv_block, FAMILY)(P, g, rows, tap_row, pairs, d, stride, weights, k, scale, tap_col, \
                                                 jlow, nj, g0, bias, x0, width, out)
    switch (G) {
    case 4: DECONV_CASE(4); break;
    case 3: DECONV_CASE(3); break;
    case 2: DECONV_CASE(2); break;
    default: DECONV_CASE(1); break;
    }
#undef DECONV_CASE
}

ATTR void CAT(fsrcnn_deconv_row, FAMILY)(const float *const *rows, const long *tap_row, long pairs, long d,
                                         long stride, const float *weights, long k, long scale, const long *tap_col,
                                         long jlow, long nj, float bias, long width, float *out) {
    const long n = (width + 15) / 16 * 16;
    for (long g0 = 0; g0 < scale; g0 += 4) {
        const long G = scale - g0 < 4 ? scale - g0 : 4;
        long x0 = 0;
        for (; x0 + DECONV_P * VL <= n; x0 += DECONV_P * VL)
            CAT(deconv_phases, FAMILY)(DECONV_P, G, rows, tap_row, pairs, d, stride, weights, k, scale, tap_col,
                                       jlow, nj, g0, bias, x0, width, out);
        for (; x0 < n; x0 += VL)
            CAT(deconv_phases, FAMILY)(1, G, rows, tap_row, pairs, d, stride, weights, k, scale, tap_col, jlow, nj,
                                       g0, bias, x0, width, out);
    }
}

#undef INLINE
#undef UNROLL
#undef CAT
#undef CAT_
#undef FAMILY
#undef ATTR
#undef VL
#undef VEC
#undef LOADU
#undef STOREU
#undef SET1
#undef FMA
#undef PRELU
#undef CONV_P
#undef CONV_QMAX
#undef DECONV_P
