/* BLAKE3 of a whole buffer (blake3.c). */
#ifndef HOLDFAST_BLAKE3_H
#define HOLDFAST_BLAKE3_H
#include <stddef.h>
#include <stdint.h>

#define BLAKE3_OUT_LEN 32
#define BLAKE3_KEY_LEN 32

/* The 32-byte hash of `in`, keyed when `key` (32 bytes) is given; -1 when out of memory. */
int blake3_hash(const uint8_t *key, const uint8_t *in, size_t len, uint8_t out[BLAKE3_OUT_LEN]);

#endif
