/* Sealing chunks into an output buffer, with records of each (chunk_sealer.h). */
#include "chunk_sealer.h"
#include <stdlib.h>
#include <string.h>
#include "blob.h"
#include "napi_util.h"

static __thread Encoder tl_encoder;
static __thread int tl_encoder_ready;

Encoder *sealer_encoder(void) {
  if (!tl_encoder_ready) tl_encoder_ready = encoder_init(&tl_encoder);
  return tl_encoder_ready ? &tl_encoder : NULL;
}

int sealer_args(napi_env env, const napi_value argv[5], ChunkSealer *s) {
  uint8_t *enc, *id_key, *known;
  size_t enc_len, id_len, known_len;
  napi_valuetype level_type;
  uint32_t min_match;
  if (!bytes_arg(env, argv[0], &enc, &enc_len) || enc_len != KEY_BYTES || !bytes_arg(env, argv[1], &id_key, &id_len) || id_len != BLAKE3_KEY_LEN) return 0;
  if (!bytes_arg(env, argv[2], &known, &known_len) || known_len % 32 != 0 || (known_len & (known_len - 1)) != 0) return 0;
  if (napi_typeof(env, argv[3], &level_type) != napi_ok || napi_get_value_uint32(env, argv[4], &min_match) != napi_ok) return 0;
  s->zstd_on = level_type == napi_number;
  if (s->zstd_on && napi_get_value_int32(env, argv[3], &s->level) != napi_ok) return 0;
  s->min_match = (int)min_match;
  memcpy(s->enc, enc, KEY_BYTES);
  memcpy(s->id_key, id_key, BLAKE3_KEY_LEN);
  s->known = known_len >= 32 ? known : NULL;
  s->known_mask = known_len / 32 - 1;
  return napi_create_reference(env, argv[2], 1, &s->known_ref) == napi_ok;
}

int sealer_push(ChunkSealer *s, uint32_t kind, uint32_t item, uint32_t a, uint32_t b, uint32_t c, uint32_t d, const uint8_t *id) {
  if (s->rec_len + RECORD > s->rec_cap) {
    size_t cap = s->rec_cap == 0 ? 64 * RECORD : 2 * s->rec_cap;
    uint8_t *grown = realloc(s->rec, cap);
    if (grown == NULL) return 0;
    s->rec = grown;
    s->rec_cap = cap;
  }
  uint8_t *r = s->rec + s->rec_len;
  uint32_t f[6] = {kind, item, a, b, c, d};
  for (int i = 0; i < 6; i++) {
    for (int k = 0; k < 4; k++) r[4 * i + k] = (uint8_t)(f[i] >> (8 * k));
  }
  if (id != NULL) memcpy(r + 24, id, 32);
  else memset(r + 24, 0, 32);
  s->rec_len += RECORD;
  return 1;
}

static int known_has(const ChunkSealer *s, const uint8_t id[32]) {
  if (s->known == NULL) return 0;
  static const uint8_t empty[32];
  for (size_t slot = u32le(id) & s->known_mask;; slot = (slot + 1) & s->known_mask) {
    const uint8_t *at = s->known + slot * 32;
    if (memcmp(at, id, 32) == 0) return 1;
    if (memcmp(at, empty, 32) == 0) return 0;
  }
}

static int all_zero(const uint8_t *p, size_t n) {
  return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

int sealer_take(ChunkSealer *s, Encoder *e, uint32_t item, const uint8_t *chunk, size_t len) {
  if (all_zero(chunk, len)) return sealer_push(s, REC_HOLE, item, (uint32_t)len, 0, 0, 0, NULL) ? -1 : TAKE_NOMEM;
  if (s->out_cap - s->out_used < len + SEAL_OVERHEAD) {
    s->need = len + SEAL_OVERHEAD;
    return s->out_used == 0 ? TAKE_NEED : TAKE_FULL;
  }
  uint8_t id[BLAKE3_OUT_LEN];
  if (blake3_hash(s->id_key, chunk, len, id) != 0) return TAKE_NOMEM;
  if (known_has(s, id)) return sealer_push(s, REC_CHUNK, item, (uint32_t)len, 0, 0, 0, id) ? -1 : TAKE_NOMEM;
  int compressed = 0;
  const Compression how = {s->zstd_on, s->level, s->min_match};
  size_t sealed = encode_chunk(e, s->enc, &how, chunk, len, s->out + s->out_used, &compressed);
  if (sealed == 0) return TAKE_NOMEM;
  if (!sealer_push(s, REC_CHUNK, item, (uint32_t)len, (uint32_t)s->out_used, (uint32_t)sealed, (uint32_t)compressed, id)) return TAKE_NOMEM;
  s->out_used += sealed;
  return -1;
}

void sealer_release(napi_env env, ChunkSealer *s) {
  free(s->rec);
  s->rec = NULL;
  s->rec_cap = s->rec_len = 0;
  if (s->known_ref != NULL) napi_delete_reference(env, s->known_ref);
  s->known_ref = NULL;
  wipe(s->enc, sizeof s->enc);
  wipe(s->id_key, sizeof s->id_key);
}
