/* Opening one blob of a pack (blob.h). */
#define _GNU_SOURCE
#include "blob.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "blake3.h"

/*
 * zstd comes from the node binary that loads the addon: Node links it in and exports its
 * symbols, as it does OpenSSL's. They are looked up rather than linked, so an addon built
 * against a node without them still loads (and the callers fall back to worker threads).
 */
static struct {
  void *(*create)(void);
  size_t (*free)(void *);
  size_t (*decompress)(void *, void *, size_t, const void *, size_t);
  unsigned (*is_error)(size_t);
} zstd;

int blob_find_zstd(void) {
  zstd.create = (void *(*)(void))dlsym(RTLD_DEFAULT, "ZSTD_createDCtx");
  zstd.free = (size_t(*)(void *))dlsym(RTLD_DEFAULT, "ZSTD_freeDCtx");
  zstd.decompress = (size_t(*)(void *, void *, size_t, const void *, size_t))dlsym(RTLD_DEFAULT, "ZSTD_decompressDCtx");
  zstd.is_error = (unsigned (*)(size_t))dlsym(RTLD_DEFAULT, "ZSTD_isError");
  return zstd.create != NULL && zstd.free != NULL && zstd.decompress != NULL && zstd.is_error != NULL;
}

int decoder_init(Decoder *d) {
  memset(d, 0, sizeof *d);
  d->cipher.ctx = EVP_CIPHER_CTX_new();
  d->dctx = zstd.create();
  return d->cipher.ctx != NULL && d->dctx != NULL;
}

void decoder_free(Decoder *d) {
  EVP_CIPHER_CTX_free(d->cipher.ctx);
  if (d->dctx != NULL) zstd.free(d->dctx);
  free(d->opened);
  free(d->plain);
  memset(d, 0, sizeof *d);
}

/* `*buf` of at least `n` bytes (grown, old contents dropped); 0 when out of memory. */
static int room(uint8_t **buf, size_t *cap, size_t n) {
  if (*cap >= n && *buf != NULL) return 1;
  free(*buf);
  *buf = malloc(n > 0 ? n : 1);
  *cap = *buf == NULL ? 0 : n;
  return *buf != NULL;
}

int decode_blob(Decoder *d, const BlobKeys *keys, const uint8_t *sealed, size_t len, size_t raw, uint32_t flags,
                const uint8_t id[32], const uint8_t **plain, size_t *plain_len) {
  if (len < NONCE_BYTES + TAG_BYTES) return BLOB_RANGE;
  size_t body = len - NONCE_BYTES - TAG_BYTES;
  if (!room(&d->opened, &d->opened_cap, body)) return BLOB_INTERNAL;
  int ok = holdfast_cipher_open(&d->cipher, keys->enc, sealed, body, d->opened, NULL, 0);
  if (ok < 0) return BLOB_INTERNAL;
  if (ok == 0) return BLOB_TAG;
  const uint8_t *out = d->opened;
  size_t out_len = body;
  if (flags & BLOB_COMPRESSED) {
    if (!room(&d->plain, &d->plain_cap, raw)) return BLOB_INTERNAL;
    size_t n = zstd.decompress(d->dctx, d->plain, raw, d->opened, body);
    if (zstd.is_error(n) || n != raw) return BLOB_DECOMPRESS;
    out = d->plain;
    out_len = n;
  }
  if (out_len != raw) return BLOB_ID;
  uint8_t hash[BLAKE3_OUT_LEN];
  if (blake3_hash(flags & BLOB_TREE ? keys->tree_id : keys->data_id, out, out_len, hash) != 0) return BLOB_INTERNAL;
  if (memcmp(hash, id, BLAKE3_OUT_LEN) != 0) return BLOB_ID;
  *plain = out;
  *plain_len = out_len;
  return BLOB_OK;
}
