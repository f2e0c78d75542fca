// SRCNN's Winograd transforms: the family template (winograd_family.h) instantiated per instruction set.
#include "winograd_kernels.h"

// The portable family: GCC/Clang vector extensions (8 lanes, any architecture), separate multiplies and adds.
typedef float gvec __attribute__((vector_size(32), aligned(4)));
#define FAMILY generic
#define ATTR
#define VL 8
#define VEC gvec
#define LOADU(p) (*(const gvec *)(p))
#define STOREU(p, v) (*(gvec *)(p) = (v))
#define SET1(x) ((gvec){0} + (x))
#define ADD(a, b) ((a) + (b))
#define SUB(a, b) ((a) - (b))
#define MUL(a, b) ((a) * (b))
#define FMA(acc, a, b) ((acc) + (a) * (b))
#include "winograd_family.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define FAMILY avx2
#define ATTR __attribute__((target("avx2,fma")))
#define VL 8
#define VEC __m256
#define LOADU(p) _mm256_loadu_ps(p)
#define STOREU(p, v) _mm256_storeu_ps(p, v)
#define SET1(x) _mm256_set1_ps(x)
#define ADD(a, b) _mm256_add_ps(a, b)
#define SUB(a, b) _mm256_sub_ps(a, b)
#define MUL(a, b) _mm256_mul_ps(a, b)
#define FMA(acc, a, b) _mm256_fmadd_ps(a, b, acc)
#include "winograd_family.h"

#define FAMILY avx512
#define ATTR __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))
#define VL 16
#define VEC __m512
#define LOADU(p) _mm512_loadu_ps(p)
#define STOREU(p, v) _mm512_storeu_ps(p, v)
#define SET1(x) _mm512_set1_ps(x)
#define ADD(a, b) _mm512_add_ps(a, b)
#define SUB(a, b) _mm512_sub_ps(a, b)
#define MUL(a, b) _mm512_mul_ps(a, b)
#define FMA(acc, a, b) _mm512_fmadd_ps(a, b, acc)
#include "winograd_family.h"

#else
// Other architectures: the x86 families are never chosen (CPUFeatures), so their names run the generic set.
SRCNN_WINO8_INPUT(srcnn_wino8_input_avx512) { srcnn_wino8_input_generic(P, ldp, cin, m, ntx, t0, nt, V, vs); }
SRCNN_WINO8_INPUT(srcnn_wino8_input_avx2) { srcnn_wino8_input_generic(P, ldp, cin, m, ntx, t0, nt, V, vs); }
SRCNN_WINO8_OUTPUT(srcnn_wino8_output_avx512) { srcnn_wino8_output_generic(M, ms, cout, m, ntx, t0, nt, O, ldo); }
SRCNN_WINO8_OUTPUT(srcnn_wino8_output_avx2) { srcnn_wino8_output_generic(M, ms, cout, m, ntx, t0, nt, O, ldo); }
#endif
