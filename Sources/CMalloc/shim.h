#ifndef ZENITH_CMALLOC_SHIM_H
#define ZENITH_CMALLOC_SHIM_H
// glibc's malloc_trim, which the Glibc module does not export (it lives in <malloc.h>).
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
static inline int zenith_malloc_trim(void) { return malloc_trim(0); }
#else
// Other allocators return freed memory on their own; nothing to do.
static inline int zenith_malloc_trim(void) { return 0; }
#endif
#endif
