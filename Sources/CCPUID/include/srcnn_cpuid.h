// What the CPU and the OS support, from the CPUID instruction and XGETBV (no files, no environment).
#ifndef SRCNN_CPUID_H
#define SRCNN_CPUID_H

// 1 when the CPU has AVX-512 F/DQ/CD/BW/VL and FMA and the OS saves the ZMM state (XCR0), else 0.
int srcnn_cpu_has_avx512(void);

// 1 when the CPU has AVX2, FMA, BMI1/2 and LZCNT (what `-target-cpu haswell` code may use) and the OS saves the
// YMM state, else 0.
int srcnn_cpu_has_avx2(void);

#endif
