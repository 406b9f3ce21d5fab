#ifndef ZENITH_CLIBFUZZER_SHIM_H
#define ZENITH_CLIBFUZZER_SHIM_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (compiler-rt's libclang_rt.fuzzer_no_main). No `link` directive: only the
// fuzzer build (scripts/fuzz.sh) calls it and links that archive; a normal build never
// references the symbol.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
