// OpenBLAS through dlopen on first use (its thread pool starts, and spins, as soon as the library is mapped).
#include "srcnn_blas.h"
#include "srcnn_cpuid.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*set_threads_fn)(int);
typedef char *(*corename_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static set_threads_fn set_threads;
static corename_fn corename;
static char error[512];

static void load(void) {
    // The engine threads over tiles itself and pins OpenBLAS to one thread: say so before its pool starts, so
    // no idle threads spin (the trainer raises the count through srcnn_blas_set_threads when asked to).
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    // Debian's OpenBLAS 0.3.21 picks its kernels by CPU model and falls back to SSE3 ("Prescott") on CPUs newer
    // than itself (Sapphire/Emerald Rapids, Zen 5): name the kernels our own CPU check allows, unless the user did.
    if (srcnn_cpu_has_avx512()) setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    else if (srcnn_cpu_has_avx2()) setenv("OPENBLAS_CORETYPE", "Haswell", 0);
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *lib = NULL;
    for (unsigned i = 0; i < sizeof names / sizeof names[0] && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(error, sizeof error, "OpenBLAS (libopenblas.so.0) could not be loaded: %s (Debian: apt-get install "
                 "libopenblas0)", why ? why : "not found");
        return;
    }
    sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    corename = (corename_fn)dlsym(lib, "openblas_get_corename");
    if (!sgemm) {
        snprintf(error, sizeof error, "the OpenBLAS library found has no cblas_sgemm");
        return;
    }
    if (set_threads) set_threads(1);
}

int srcnn_blas_available(void) {
    pthread_once(&once, load);
    return sgemm != NULL;
}

const char *srcnn_blas_error(void) {
    pthread_once(&once, load);
    return sgemm ? NULL : error;
}

void srcnn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc) {
    if (!srcnn_blas_available()) {
        fprintf(stderr, "srcnn: %s\n", error);
        abort();
    }
    sgemm(101 /* CblasRowMajor */, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void srcnn_blas_set_threads(int threads) {
    if (srcnn_blas_available() && set_threads) set_threads(threads);
}

const char *srcnn_blas_corename(void) {
    if (!srcnn_blas_available() || !corename) return "not loaded";
    const char *name = corename();
    return name ? name : "unknown";
}
