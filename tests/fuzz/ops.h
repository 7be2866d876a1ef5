/* The operation-script interpreter shared by the ops fuzz target and the
 * replay of its corpus in `make check`. */
#ifndef USHER_FUZZ_OPS_H
#define USHER_FUZZ_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "usher.h"

/* Runs the script; aborts if usher_check() fails after an operation. */
void fuzz_ops_run(const uint8_t *data, size_t size);

#endif
