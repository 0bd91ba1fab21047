/*
 * Sealing one chunk for a pack (encoder.c): zstd when it pays, then AES-256-GCM. The
 * counterpart of blob.h's Decoder, for the native backup (seal_files.c). An Encoder
 * belongs to one thread at a time.
 */
#ifndef HOLDFAST_ENCODER_H
#define HOLDFAST_ENCODER_H
#include <stddef.h>
#include <stdint.h>
#include "aead.h"

#define SEAL_OVERHEAD (NONCE_BYTES + TAG_BYTES)

/* How a chunk is compressed: zstd at `level` when `on`, with `min_match` (0: the level's own). */
typedef struct {
  int on, level, min_match;
} Compression;

typedef struct {
  Cipher cipher;
  void *cctx;
  int level, min_match;
  uint8_t *scratch;
  size_t scratch_cap;
} Encoder;

/* 1 when node's zstd compression functions were found (once, on the JavaScript thread). */
int encoder_find_zstd(void);

/* 0 when out of memory. */
int encoder_init(Encoder *e);
void encoder_free(Encoder *e);

/*
 * Seals `plain` into `dst` (room for len + SEAL_OVERHEAD bytes), compressed as `how` says
 * when the chunk has 64 bytes or more and that saves at least 1/32 of it (the rule of
 * src/repo/compression.ts). Returns the sealed length (0 on failure) and sets *compressed.
 */
size_t encode_chunk(Encoder *e, const uint8_t enc_key[KEY_BYTES], const Compression *how, const uint8_t *plain, size_t len, uint8_t *dst, int *compressed);

#endif
