// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, pkg-config "openblas").
#include <cblas.h>
// Not in every cblas.h: let the engine pin OpenBLAS to one thread while it threads over tiles itself.
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
