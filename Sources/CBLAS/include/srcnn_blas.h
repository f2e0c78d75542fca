// OpenBLAS, loaded on first use: a process that never runs the BLAS kernels never maps it or starts its threads.
#ifndef SRCNN_BLAS_H
#define SRCNN_BLAS_H

// Transposition flags of srcnn_sgemm (CBLAS's values).
#define SRCNN_BLAS_NO_TRANS 111
#define SRCNN_BLAS_TRANS 112

// 1 when OpenBLAS (libopenblas.so.0) is loaded (the first call loads it), else 0; srcnn_blas_error() says why.
int srcnn_blas_available(void);
// Why loading failed, or NULL.
const char *srcnn_blas_error(void);

// Row-major C = alpha * op(A) * op(B) + beta * C (cblas_sgemm). Without OpenBLAS it prints why and aborts:
// callers choose the BLAS family only after srcnn_blas_available().
void srcnn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);

// openblas_set_num_threads; no-op without OpenBLAS.
void srcnn_blas_set_threads(int threads);
// openblas_get_corename ("Haswell", "SkylakeX", ...), or "not loaded".
const char *srcnn_blas_corename(void);

#endif
