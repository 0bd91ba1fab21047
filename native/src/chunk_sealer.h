/*
 * What seal_files.c (a tree's files) and seal_chunks.c (a stream's chunks) share: the
 * settings a chunk is sealed with, the output buffer it is sealed into, and the 56-byte
 * records that tell the main thread what became of each chunk (chunk_sealer.c).
 */
#ifndef HOLDFAST_CHUNK_SEALER_H
#define HOLDFAST_CHUNK_SEALER_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include "blake3.h"
#include "encoder.h"

#define RECORD 56

enum { REC_DONE = 0, REC_CHUNK = 1, REC_HOLE = 2, REC_FILE = 3, REC_FULL = 4, REC_NEED = 5 };
/* take_chunk's answers besides "taken" (-1). */
enum { TAKE_FULL = 1, TAKE_NEED = 2, TAKE_NOMEM = 3 };

typedef struct {
  uint8_t enc[KEY_BYTES], id_key[BLAKE3_KEY_LEN];
  int zstd_on, level, min_match;
  const uint8_t *known;
  size_t known_mask; /* slots - 1; known == NULL when the set is empty */
  napi_ref known_ref;
  /* The call under way: where sealed chunks go, and the records of what happened. */
  uint8_t *out;
  size_t out_cap, out_used, need;
  uint8_t *rec;
  size_t rec_len, rec_cap;
} ChunkSealer;

/*
 * Reads (encKey, dataIdKey, known, level, minMatch) from argv[0 … 4] into `s`: keys of 32
 * bytes, a KnownIdSet's table (32-byte slots, a power of two of them), a zstd level or
 * null for none, a minimum match length (0: the level's own). 0 when they are not.
 */
int sealer_args(napi_env env, const napi_value argv[5], ChunkSealer *s);

/* Appends a record {kind, item, a, b, c, d, id (or zeros)}; 0 when out of memory. */
int sealer_push(ChunkSealer *s, uint32_t kind, uint32_t item, uint32_t a, uint32_t b, uint32_t c, uint32_t d, const uint8_t *id);

/*
 * One chunk of item `item`: a hole (all zero bytes), a chunk the repository has (its
 * record has no sealed bytes), or one sealed into `out`. -1 when taken, else TAKE_FULL
 * (no room left in `out`), TAKE_NEED (`out` is empty and too small: s->need bytes) or
 * TAKE_NOMEM.
 */
int sealer_take(ChunkSealer *s, Encoder *e, uint32_t item, const uint8_t *chunk, size_t len);

/* This thread's encoder, made on first use; NULL when out of memory. */
Encoder *sealer_encoder(void);

/* Lets go of the records and wipes the keys. */
void sealer_release(napi_env env, ChunkSealer *s);

#endif
