// The CPU's FMA peak per core: 12 independent chains of fused multiply-adds on 512-bit and on 256-bit vectors,
// the ceiling the kernel families' GFLOP/s are compared with. Built and run by fma_peak.sh (one thread; run one
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

__attribute__((target("avx512f"))) static double zmm(long n) {
    __m512 m = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-9f);
#define DZ(i) __m512 a##i = _mm512_set1_ps(i);
    R12(DZ)
    double t = now();
#define FZ(i) a##i = _mm512_fmadd_ps(a##i, m, c);
    for (long k = 0; k < n / 12; k++) { R12(FZ) }
    t = now() - t;
    float s = 0;
#define SZ(i) s += _mm512_reduce_add_ps(a##i);
    R12(SZ)
    if (s == 1.0f) printf(" ");   // keeps the chains alive
    return n * 32.0 / t / 1e9;
}

__attribute__((target("avx2,fma"))) static double ymm(long n) {
    __m256 m = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-9f);
#define DY(i) __m256 b##i = _mm256_set1_ps(i);
    R12(DY)
    double t = now();
#define FY(i) b##i = _mm256_fmadd_ps(b##i, m, c);
    for (long k = 0; k < n / 12; k++) { R12(FY) }
    t = now() - t;
    float s = 0;
#define SY(i) s += _mm256_cvtss_f32(b##i);
    R12(SY)
    if (s == 1.0f) printf(" ");
    return n * 16.0 / t / 1e9;
}

int main(void) {
    long n = 1200000000;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) printf("512-bit FMA: %.1f GFLOP/s per core\n", zmm(n));
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        printf("256-bit FMA: %.1f GFLOP/s per core\n", ymm(n));
    return 0;
}
