/*
 * sealInto(key, plaintext, out, offset[, aad]) -> bytes written
 * openInto(key, sealed, out, offset[, aad])    -> plaintext bytes, or -1 when the tag fails
 *
 * AES-256-GCM with a random 96-bit nonce, written straight into `out` at `offset` in the
 * repository's sealed layout: nonce (12) || ciphertext || tag (16) (docs/repository-format.md).
 * The TypeScript path (src/repo/crypto/aead.ts) makes the same bytes with node:crypto, but
 * allocates a cipher object and four buffers per call; a backup seals one blob per file of
 * a source tree, so that overhead was ~1 CPU-second per 80,000 blobs.
 *
 * openInto is the reverse for restores and checks: it authenticates and decrypts into the
 * caller's buffer, and on a failed tag zeroes what it wrote (no unauthenticated plaintext
 * is left behind) and returns -1, so the caller raises its own error naming the object.
 *
 * One cipher context per direction per Node environment (main thread or worker), kept as
 * instance data: the key schedule is set up again only when the key changes.
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aead.h"
#include "napi_util.h"

typedef struct {
  Cipher seal;
  Cipher open;
} State;

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  State *s = data;
  Cipher *both[2] = {&s->seal, &s->open};
  for (int c = 0; c < 2; c++) {
    EVP_CIPHER_CTX_free(both[c]->ctx);
    volatile unsigned char *k = both[c]->key;
    for (size_t i = 0; i < KEY_BYTES; i++) k[i] = 0;
  }
  free(s);
}

static State *state_of(napi_env env) {
  State *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) == napi_ok && s != NULL) return s;
  s = calloc(1, sizeof(State));
  if (s == NULL) return NULL;
  s->seal.ctx = EVP_CIPHER_CTX_new();
  s->open.ctx = EVP_CIPHER_CTX_new();
  if (s->seal.ctx == NULL || s->open.ctx == NULL || napi_set_instance_data(env, s, free_state, NULL) != napi_ok) {
    EVP_CIPHER_CTX_free(s->seal.ctx);
    EVP_CIPHER_CTX_free(s->open.ctx);
    free(s);
    return NULL;
  }
  return s;
}

static napi_value fail(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

static int overlaps(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen) {
  return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}

/* Starts a message: the cipher and key when they are new to this context, else only the nonce. */
int holdfast_cipher_start(Cipher *c, int enc, const unsigned char *key, const unsigned char *nonce) {
  if (!c->keyed || memcmp(c->key, key, KEY_BYTES) != 0) {
    c->keyed = 0;
    if (EVP_CipherInit_ex(c->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1) return 0;
    if (EVP_CipherInit_ex(c->ctx, NULL, NULL, key, nonce, enc) != 1) return 0;
    memcpy(c->key, key, KEY_BYTES);
    c->keyed = 1;
    return 1;
  }
  return EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, nonce, enc) == 1;
}

static int encrypt(Cipher *s, const unsigned char *key, unsigned char *dst, const unsigned char *plain, size_t len, const unsigned char *aad, size_t aad_len) {
  int n = 0;
  if (!holdfast_cipher_start(s, 1, key, dst)) return 0;
  if (aad_len > 0 && EVP_EncryptUpdate(s->ctx, NULL, &n, aad, (int)aad_len) != 1) return 0;
  unsigned char *body = dst + NONCE_BYTES;
  if (len > 0 && (EVP_EncryptUpdate(s->ctx, body, &n, plain, (int)len) != 1 || (size_t)n != len)) return 0;
  if (EVP_EncryptFinal_ex(s->ctx, body + len, &n) != 1 || n != 0) return 0;
  return EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, body + len) == 1;
}

int holdfast_cipher_seal(Cipher *c, const unsigned char *key, unsigned char *dst, const unsigned char *plain, size_t len) {
  return RAND_bytes(dst, NONCE_BYTES) == 1 && encrypt(c, key, dst, plain, len, NULL, 0);
}

/* The arguments both functions take: (key, input, out, offset[, aad]). */
typedef struct {
  unsigned char *key, *in, *out, *aad;
  size_t key_len, in_len, out_len, aad_len;
  int64_t offset;
} Args;

/* 1 with `a` filled in; 0 once an error is thrown. */
static int parse_args(napi_env env, napi_callback_info info, const char *name, Args *a) {
  size_t argc = 5;
  napi_value argv[5];
  memset(a, 0, sizeof(*a));
  a->offset = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 4 || !bytes_arg(env, argv[0], &a->key, &a->key_len) || !bytes_arg(env, argv[1], &a->in, &a->in_len) ||
      !bytes_arg(env, argv[2], &a->out, &a->out_len) || napi_get_value_int64(env, argv[3], &a->offset) != napi_ok) {
    napi_throw_error(env, "ERR_INVALID_ARG_TYPE", name);
    return 0;
  }
  napi_valuetype t = napi_undefined;
  if (argc >= 5 && napi_typeof(env, argv[4], &t) != napi_ok) return 0;
  if (t != napi_undefined && t != napi_null && !bytes_arg(env, argv[4], &a->aad, &a->aad_len)) {
    napi_throw_error(env, "ERR_INVALID_ARG_TYPE", "aad must be a Uint8Array");
    return 0;
  }
  if (a->key_len != KEY_BYTES) {
    napi_throw_error(env, "ERR_INVALID_ARG_VALUE", "the key must be 32 bytes");
    return 0;
  }
  if (a->in_len > (size_t)INT_MAX - NONCE_BYTES - TAG_BYTES || a->aad_len > (size_t)INT_MAX) {
    napi_throw_error(env, "ERR_OUT_OF_RANGE", "input too large");
    return 0;
  }
  return 1;
}

/*
 * The destination of `len` bytes at the offset, or NULL once an error is thrown (no room,
 * or overlapping the input other than exactly at `in_place`: OpenSSL's GCM decrypts in
 * place, so openInto may write the plaintext over the ciphertext it reads).
 */
static unsigned char *destination(napi_env env, const Args *a, size_t len, const unsigned char *in_place) {
  if (a->offset < 0 || (uint64_t)a->offset > a->out_len || a->out_len - (size_t)a->offset < len) {
    napi_throw_error(env, "ERR_OUT_OF_RANGE", "out has no room at offset");
    return NULL;
  }
  unsigned char *dst = a->out + a->offset;
  if ((dst != in_place && overlaps(dst, len, a->in, a->in_len)) || overlaps(dst, len, a->aad, a->aad_len)) {
    napi_throw_error(env, "ERR_INVALID_ARG_VALUE", "out overlaps the input");
    return NULL;
  }
  return dst;
}

static napi_value seal_into(napi_env env, napi_callback_info info) {
  Args a;
  if (!parse_args(env, info, "sealInto(key, plaintext, out, offset[, aad]) takes three Uint8Arrays and an offset", &a)) return NULL;
  size_t total = a.in_len + NONCE_BYTES + TAG_BYTES;
  unsigned char *dst = destination(env, &a, total, NULL);
  if (dst == NULL) return NULL;
  State *s = state_of(env);
  if (s == NULL) return fail(env, "ERR_CRYPTO", "sealInto: cannot set up a cipher context");
  if (RAND_bytes(dst, NONCE_BYTES) != 1) return fail(env, "ERR_CRYPTO", "sealInto: no random bytes for the nonce");
  if (!encrypt(&s->seal, a.key, dst, a.in, a.in_len, a.aad, a.aad_len)) {
    s->seal.keyed = 0;
    return fail(env, "ERR_CRYPTO", "sealInto: AES-256-GCM failed");
  }
  napi_value written;
  if (napi_create_int64(env, (int64_t)total, &written) != napi_ok) return NULL;
  return written;
}

/* 1 when the tag verifies; 0 when it does not; -1 when OpenSSL fails otherwise. */
int holdfast_cipher_open(Cipher *c, const unsigned char *key, const unsigned char *sealed, size_t len, unsigned char *dst, const unsigned char *aad, size_t aad_len) {
  int n = 0;
  if (!holdfast_cipher_start(c, 0, key, sealed)) return -1;
  if (aad_len > 0 && EVP_DecryptUpdate(c->ctx, NULL, &n, aad, (int)aad_len) != 1) return -1;
  const unsigned char *body = sealed + NONCE_BYTES;
  if (len > 0 && (EVP_DecryptUpdate(c->ctx, dst, &n, body, (int)len) != 1 || (size_t)n != len)) return -1;
  if (EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)(body + len)) != 1) return -1;
  return EVP_DecryptFinal_ex(c->ctx, dst + len, &n) == 1 ? 1 : 0;
}

static napi_value open_into(napi_env env, napi_callback_info info) {
  Args a;
  if (!parse_args(env, info, "openInto(key, sealed, out, offset[, aad]) takes three Uint8Arrays and an offset", &a)) return NULL;
  if (a.in_len < NONCE_BYTES + TAG_BYTES) return fail(env, "ERR_OUT_OF_RANGE", "openInto: shorter than a nonce and a tag");
  size_t len = a.in_len - NONCE_BYTES - TAG_BYTES;
  unsigned char *dst = destination(env, &a, len, a.in + NONCE_BYTES);
  if (dst == NULL) return NULL;
  State *s = state_of(env);
  if (s == NULL) return fail(env, "ERR_CRYPTO", "openInto: cannot set up a cipher context");
  int ok = holdfast_cipher_open(&s->open, a.key, a.in, len, dst, a.aad, a.aad_len);
  if (ok != 1) {
    memset(dst, 0, len);
    s->open.keyed = 0;
    if (ok < 0) return fail(env, "ERR_CRYPTO", "openInto: AES-256-GCM failed");
  }
  napi_value result;
  if (napi_create_int64(env, ok == 1 ? (int64_t)len : -1, &result) != napi_ok) return NULL;
  return result;
}

napi_status holdfast_register_pipe(napi_env env, napi_value exports);   /* pipe.c */
napi_status holdfast_register_verify(napi_env env, napi_value exports); /* verify.c */
napi_status holdfast_register_listdir(napi_env env, napi_value exports); /* listdir.c */
napi_status holdfast_register_seal_files(napi_env env, napi_value exports); /* seal_files.c */

NAPI_MODULE_INIT() {
  if (holdfast_register_pipe(env, exports) != napi_ok) return NULL;
  if (holdfast_register_verify(env, exports) != napi_ok) return NULL;
  if (holdfast_register_listdir(env, exports) != napi_ok) return NULL;
  if (holdfast_register_seal_files(env, exports) != napi_ok) return NULL;
  if (export_function(env, exports, "sealInto", seal_into) != napi_ok) return NULL;
  if (export_function(env, exports, "openInto", open_into) != napi_ok) return NULL;
  return exports;
}
