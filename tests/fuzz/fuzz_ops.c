/* libFuzzer target: operation scripts (see ops.c). */
#include "ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ops_run(data, size);
    return 0;
}
