// FSRCNN's planar kernels: the family template (fsrcnn_family.h) instantiated per instruction set, and the margins.
#include "fsrcnn_kernels.h"

void fsrcnn_fill_margins(float *row, long channels, long stride, long left, long width, long right) {
    for (long c = 0; c < channels; c++) {
        float *r = row + c * stride, a = r[0], b = r[width - 1];
        for (long x = -left; x < 0; x++) r[x] = a;
        for (long x = width; x < width + right; x++) r[x] = b;
    }
}

// The portable reference family: GCC/Clang vector extensions (8 lanes, any architecture), separate multiplies and
// adds, so the same sums in the same order as the fast families up to their fused multiply-adds.
typedef float gvec __attribute__((vector_size(32), aligned(4)));
typedef int gmask __attribute__((vector_size(32), aligned(4)));
#define FAMILY generic
#define ATTR
#define VL 8
#define VEC gvec
#define LOADU(p) (*(const gvec *)(p))
#define STOREU(p, v) (*(gvec *)(p) = (v))
#define SET1(x) ((gvec){0} + (x))
#define FMA(acc, a, b) ((acc) + (a) * (b))
#define PRELU(v, s) ({ gvec v_ = (v), s_ = (s); gmask neg_ = v_ < (gvec){0}; \
                           (gvec)(((gmask)(v_ * s_) & neg_) | ((gmask)v_ & ~neg_)); })
#define CONV_P 1
#define CONV_QMAX 4
#define DECONV_P 1
#include "fsrcnn_family.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define FAMILY avx2
#define ATTR __attribute__((target("avx2,fma")))
#define VL 8
#define VEC __m256
#define LOADU(p) _mm256_loadu_ps(p)
#define STOREU(p, v) _mm256_storeu_ps(p, v)
#define SET1(x) _mm256_set1_ps(x)
#define FMA(acc, a, b) _mm256_fmadd_ps(a, b, acc)
#define PRELU(v, s) _mm256_blendv_ps(v, _mm256_mul_ps(v, s), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ))
// 16 registers: 3 pixel vectors x 4 channels of accumulators (conv), 2 x up to 4 phases (deconv).
#define CONV_P 3
#define CONV_QMAX 4
#define DECONV_P 2
#include "fsrcnn_family.h"

#define FAMILY avx512
#define ATTR __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))
#define VL 16
#define VEC __m512
#define LOADU(p) _mm512_loadu_ps(p)
#define STOREU(p, v) _mm512_storeu_ps(p, v)
#define SET1(x) _mm512_set1_ps(x)
#define FMA(acc, a, b) _mm512_fmadd_ps(a, b, acc)
#define PRELU(v, s) _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, s)
// 32 registers: 2 pixel vectors x 12 channels (conv), 4 x up to 4 phases (deconv).
#define CONV_P 2
#define CONV_QMAX 12
#define DECONV_P 4
#include "fsrcnn_family.h"

#else
// Other architectures: the x86 families are never chosen (CPUFeatures), so they run the generic kernels.
void fsrcnn_conv_row_avx512(const float *const *rows, long k, long cin, long stride, const float *weights,
                            const float *bias, const float *slopes, long cout_padded, long width, float *out) {
    fsrcnn_conv_row_generic(rows, k, cin, stride, weights, bias, slopes, cout_padded, width, out);
}
void fsrcnn_conv_row_avx2(const float *const *rows, long k, long cin, long stride, const float *weights,
                          const float *bias, const float *slopes, long cout_padded, long width, float *out) {
    fsrcnn_conv_row_generic(rows, k, cin, stride, weights, bias, slopes, cout_padded, width, out);
}
void fsrcnn_deconv_row_avx512(const float *const *rows, const long *tap_row, long pairs, long d, long stride,
                              const float *weights, long k, long scale, const long *tap_col, long jlow, long nj,
                              float bias, long width, float *out) {
    fsrcnn_deconv_row_generic(rows, tap_row, pairs, d, stride, weights, k, scale, tap_col, jlow, nj, bias, width, out);
}
void fsrcnn_deconv_row_avx2(const float *const *rows, const long *tap_row, long pairs, long d, long stride,
                            const float *weights, long k, long scale, const long *tap_col, long jlow, long nj,
                            float bias, long width, float *out) {
    fsrcnn_deconv_row_generic(rows, tap_row, pairs, d, stride, weights, k, scale, tap_col, jlow, nj, bias, width, out);
}
#endif
