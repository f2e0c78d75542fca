// libFuzzer's driver entry, linked only in fuzzing builds (see fuzz_driver.h).
#include "fuzz_driver.h"

#ifdef SRCNN_FUZZING
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *data, size_t size));
int srcnn_fuzz_driver(int *argc, char ***argv, srcnn_fuzz_callback callback) {
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
#else
int srcnn_fuzz_driver(int *argc, char ***argv, srcnn_fuzz_callback callback) {
    (void)argc; (void)argv; (void)callback;
    return -1;
}
#endif
