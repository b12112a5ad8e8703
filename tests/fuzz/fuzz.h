/* The libFuzzer entry point. Each fuzz_*.c defines it; libFuzzer drives it
 * under clang, and replay.c drives it over a corpus under any compiler. */
#ifndef LOBBY_FUZZ_H
#define LOBBY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; aborts when a property is violated. Always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
