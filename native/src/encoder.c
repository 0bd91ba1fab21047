/* Sealing one chunk for a pack (encoder.h). */
#define _GNU_SOURCE
#include "encoder.h"
#include <dlfcn.h>
#include <stdlib.h>

/* zstd's parameters (zstd.h, stable API): ZSTD_c_compressionLevel, ZSTD_c_minMatch, ZSTD_c_contentSizeFlag, ZSTD_c_checksumFlag. */
enum { C_LEVEL = 100, C_MIN_MATCH = 105, C_CONTENT_SIZE = 200, C_CHECKSUM = 201 };

/* From the node binary, as blob.c takes the decompressor (see there). */
static struct {
  void *(*create)(void);
  size_t (*free)(void *);
  size_t (*set)(void *, int, int);
  size_t (*compress2)(void *, void *, size_t, const void *, size_t);
  size_t (*bound)(size_t);
  unsigned (*is_error)(size_t);
} zstd;

int encoder_find_zstd(void) {
  zstd.create = (void *(*)(void))dlsym(RTLD_DEFAULT, "ZSTD_createCCtx");
  zstd.free = (size_t(*)(void *))dlsym(RTLD_DEFAULT, "ZSTD_freeCCtx");
  zstd.set = (size_t(*)(void *, int, int))dlsym(RTLD_DEFAULT, "ZSTD_CCtx_setParameter");
  zstd.compress2 = (size_t(*)(void *, void *, size_t, const void *, size_t))dlsym(RTLD_DEFAULT, "ZSTD_compress2");
  zstd.bound = (size_t(*)(size_t))dlsym(RTLD_DEFAULT, "ZSTD_compressBound");
  zstd.is_error = (unsigned (*)(size_t))dlsym(RTLD_DEFAULT, "ZSTD_isError");
  return zstd.create && zstd.free && zstd.set && zstd.compress2 && zstd.bound && zstd.is_error;
}

int encoder_init(Encoder *e) {
  *e = (Encoder){0};
  e->cipher.ctx = EVP_CIPHER_CTX_new();
  return e->cipher.ctx != NULL;
}

void encoder_free(Encoder *e) {
  EVP_CIPHER_CTX_free(e->cipher.ctx);
  if (e->cctx != NULL) zstd.free(e->cctx);
  free(e->scratch);
  *e = (Encoder){0};
}

/* A context set as `how` says (one frame with the content size and no checksum, as the format asks). */
static int ready(Encoder *e, const Compression *how) {
  if (e->cctx != NULL && e->level == how->level && e->min_match == how->min_match) return 1;
  if (e->cctx == NULL && (e->cctx = zstd.create()) == NULL) return 0;
  e->level = e->min_match = -1;
  if (zstd.is_error(zstd.set(e->cctx, C_LEVEL, how->level)) || zstd.is_error(zstd.set(e->cctx, C_MIN_MATCH, how->min_match)) ||
      zstd.is_error(zstd.set(e->cctx, C_CONTENT_SIZE, 1)) || zstd.is_error(zstd.set(e->cctx, C_CHECKSUM, 0))) return 0;
  e->level = how->level;
  e->min_match = how->min_match;
  return 1;
}

/* The compressed form of `plain` in e->scratch, or 0 when it does not pay (or fails). */
static size_t compress(Encoder *e, const Compression *how, const uint8_t *plain, size_t len) {
  size_t bound = zstd.bound(len);
  if (e->scratch_cap < bound) {
    free(e->scratch);
    e->scratch_cap = (bound + 0xffff) & ~(size_t)0xffff;
    if ((e->scratch = malloc(e->scratch_cap)) == NULL) e->scratch_cap = 0;
  }
  if (e->scratch == NULL || !ready(e, how)) return 0;
  size_t n = zstd.compress2(e->cctx, e->scratch, e->scratch_cap, plain, len);
  return zstd.is_error(n) || n + (len >> 5) > len ? 0 : n;
}

size_t encode_chunk(Encoder *e, const uint8_t enc_key[KEY_BYTES], const Compression *how, const uint8_t *plain, size_t len, uint8_t *dst, int *compressed) {
  size_t packed = how->on && len >= 64 ? compress(e, how, plain, len) : 0;
  *compressed = packed > 0;
  const uint8_t *body = packed > 0 ? e->scratch : plain;
  size_t body_len = packed > 0 ? packed : len;
  return holdfast_cipher_seal(&e->cipher, enc_key, dst, body, body_len) ? body_len + SEAL_OVERHEAD : 0;
}
