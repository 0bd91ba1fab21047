/*
 * Opening one blob of a pack: AES-256-GCM, then zstd when it is compressed, then keyed
 * BLAKE3 of the plaintext compared with its id. Shared by verify.c (check) and restore.c.
 * Runs on any thread; a Decoder belongs to one thread at a time.
 */
#ifndef HOLDFAST_BLOB_H
#define HOLDFAST_BLOB_H
#include <stddef.h>
#include <stdint.h>
#include "aead.h"

#define BLOB_COMPRESSED 1
#define BLOB_TREE 2

/* Why a blob did not open; BLOB_OK when it did. */
enum { BLOB_OK = 0, BLOB_RANGE = 1, BLOB_TAG = 2, BLOB_DECOMPRESS = 3, BLOB_ID = 4, BLOB_INTERNAL = 5 };

/* The repository's keys: encryption, data blob ids, tree blob ids (32 bytes each). */
typedef struct {
  uint8_t enc[KEY_BYTES], data_id[KEY_BYTES], tree_id[KEY_BYTES];
} BlobKeys;

/* A cipher context, a zstd context and scratch buffers that grow to the largest blob. */
typedef struct {
  Cipher cipher;
  void *dctx;
  uint8_t *opened, *plain;
  size_t opened_cap, plain_cap;
} Decoder;

/* 1 when node's zstd was found (call once, on the JavaScript thread, before any decoding). */
int blob_find_zstd(void);

/* 0 when out of memory. */
int decoder_init(Decoder *d);
void decoder_free(Decoder *d);

/*
 * Opens the `len` sealed bytes at `sealed` (a blob of `raw` plaintext bytes, BLOB_* flags)
 * and checks them against `id`. On BLOB_OK, *plain points at the plaintext (inside the
 * decoder, valid until its next use) and *plain_len is `raw`.
 */
int decode_blob(Decoder *d, const BlobKeys *keys, const uint8_t *sealed, size_t len, size_t raw, uint32_t flags,
                const uint8_t id[32], const uint8_t **plain, size_t *plain_len);

/* Little-endian u32 at p. */
static inline uint32_t u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
