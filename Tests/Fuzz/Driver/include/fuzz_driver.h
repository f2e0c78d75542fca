// libFuzzer's driver for a harness that has its own main (SwiftPM executables do): compiled with
// -DSRCNN_FUZZING it runs LLVMFuzzerRunDriver; in a plain build it returns -1 (no fuzzer linked).
#ifndef SRCNN_FUZZ_DRIVER_H
#define SRCNN_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

typedef int (*srcnn_fuzz_callback)(const uint8_t *data, size_t size);
int srcnn_fuzz_driver(int *argc, char ***argv, srcnn_fuzz_callback callback);

#endif
