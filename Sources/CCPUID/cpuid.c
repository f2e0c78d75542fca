// CPUID and XGETBV: the instruction-set check the engine's kernel choice rests on.
#include "srcnn_cpuid.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xcr0(void) {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long) edx << 32) | eax;
}

int srcnn_cpu_has_avx512(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const unsigned int fma = 1u << 12, osxsave = 1u << 27;
  if ((c & (fma | osxsave)) != (fma | osxsave)) return 0;
  // The OS must save SSE, AVX and the three AVX-512 state components (opmask, ZMM0-15 high, ZMM16-31).
  if ((xcr0() & 0xE6) != 0xE6) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned int f = 1u << 16, dq = 1u << 17, cd = 1u << 28, bw = 1u << 30, vl = 1u << 31;
  return (b & (f | dq | cd | bw | vl)) == (f | dq | cd | bw | vl);
}

int srcnn_cpu_has_avx2(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  // FMA, MOVBE, POPCNT, OSXSAVE, AVX, F16C: all in haswell's feature set.
  const unsigned int need = (1u << 12) | (1u << 22) | (1u << 23) | (1u << 27) | (1u << 28) | (1u << 29);
  if ((c & need) != need) return 0;
  if ((xcr0() & 0x6) != 0x6) return 0;   // the OS saves SSE and AVX (YMM) state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned int avx2 = 1u << 5, bmi1 = 1u << 3, bmi2 = 1u << 8;   // haswell's code may use BMI too
  if ((b & (avx2 | bmi1 | bmi2)) != (avx2 | bmi1 | bmi2)) return 0;
  if (!__get_cpuid(0x80000001, &a, &b, &c, &d)) return 0;
  return (c & (1u << 5)) != 0;   // LZCNT (ABM), also part of -target-cpu haswell
}
#else
int srcnn_cpu_has_avx512(void) { return 0; }
int srcnn_cpu_has_avx2(void) { return 0; }
#endif
