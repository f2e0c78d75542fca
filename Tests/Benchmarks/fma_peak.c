// The CPU's FMA peak per core: 12 independent chains of fused multiply-adds on 512-bit and on 256-bit vectors,
// the ceiling the kernel families' GFLOP/s are compared with, and of AVX512-BF16's vdpbf16ps (2 bf16 products
// per fp32 lane) where the CPU has it. Built and run by fma_peak.sh (one thread; run one
// copy per core to see the all-core clock).
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define R12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// GFLOP/s of n FMAs on vectors of `lanes` floats (VEC, SET1, FMA and FIRST defined before each use): 12 chains in
// registers, summed at the end (so kept alive).
#define PEAK(NAME, TARGET, lanes)                                                           \
    __attribute__((target(TARGET))) static double NAME(long n) {                            \
        VEC m = SET1(1.0000001f), c = SET1(1e-9f);                                          \
        R12(DECLARE)                                                                        \
        double t = now();                                                                   \
        for (long k = 0; k < n / 12; k++) { R12(STEP) }                                     \
        t = now() - t;                                                                      \
        float s = 0;                                                                        \
        R12(SUM)                                                                            \
        if (s == 1.0f) printf(" ");                                                         \
        return n * 2.0 * lanes / t / 1e9;                                                   \
    }
#define DECLARE(i) VEC a##i = SET1(i);
#define STEP(i) a##i = FMA(a##i, m, c);
#define SUM(i) s += FIRST(a##i);

#define VEC __m512
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define FIRST _mm512_reduce_add_ps
PEAK(zmm, "avx512f", 16)
#undef VEC
#undef SET1
#undef FMA
#undef FIRST
#define VEC __m256
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define FIRST _mm256_cvtss_f32
PEAK(ymm, "avx2,fma", 8)
#undef VEC
#undef SET1
#undef FMA
#undef FIRST
#undef DECLARE
#undef STEP
// vdpbf16ps: a##i += m.even * c.even + m.odd * c.odd per fp32 lane, i.e. 4 FLOPs per lane ("lanes" 32 below).
#define VEC __m512
#define SET1 _mm512_set1_ps
#define DECLARE(i) VEC a##i = SET1(i); __m512bh b##i = _mm512_cvtne2ps_pbh(m, c);
#define STEP(i) a##i = _mm512_dpbf16_ps(a##i, b##i, b##i);
#define FIRST _mm512_reduce_add_ps
PEAK(bf16, "avx512f,avx512bf16", 32)

int main(void) {
    long n = 1200000000;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) printf("512-bit FMA: %.1f GFLOP/s per core\n", zmm(n));
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        printf("256-bit FMA: %.1f GFLOP/s per core\n", ymm(n));
    if (__builtin_cpu_supports("avx512bf16")) printf("512-bit BF16-dot: %.1f GFLOP/s per core\n", bf16(n));
    return 0;
}
