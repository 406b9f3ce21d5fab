#ifndef ZENITH_CBLAS_SHIM_H
#define ZENITH_CBLAS_SHIM_H
// Debian's libopenblas-dev puts cblas.h (with openblas_set_num_threads) on the pkg-config path.
#include <cblas.h>
#endif
