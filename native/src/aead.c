/*
 * sealInto(key, plaintext, out, offset[, aad]) -> bytes written
 *
 * AES-256-GCM with a random 96-bit nonce, written straight into `out` at `offset` in the
 * repository's sealed layout: nonce (12) || ciphertext || tag (16) (docs/repository-format.md).
 * The TypeScript path (src/repo/crypto/aead.ts) makes the same bytes with node:crypto, but
 * allocates a cipher object and four buffers per call; a backup seals one blob per file of
 * a source tree, so that overhead was ~1 CPU-second per 80,000 blobs.
 *
 * One cipher context per Node environment (main thread or worker), kept as instance data:
 * the key schedule is set up again only when the key changes.
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16

typedef struct {
  EVP_CIPHER_CTX *ctx;
  unsigned char key[KEY_BYTES];
  int keyed;
} State;

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  State *s = data;
  EVP_CIPHER_CTX_free(s->ctx);
  volatile unsigned char *k = s->key;
  for (size_t i = 0; i < KEY_BYTES; i++) k[i] = 0;
  free(s);
}

static State *state_of(napi_env env) {
  State *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) == napi_ok && s != NULL) return s;
  s = calloc(1, sizeof(State));
  if (s == NULL) return NULL;
  s->ctx = EVP_CIPHER_CTX_new();
  if (s->ctx == NULL || napi_set_instance_data(env, s, free_state, NULL) != napi_ok) {
    EVP_CIPHER_CTX_free(s->ctx);
    free(s);
    return NULL;
  }
  return s;
}

/* The bytes of a Uint8Array (a Buffer is one); 0 when `v` is something else. */
static int bytes_of(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  void *d = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &d, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = d;
  return 1;
}

static napi_value fail(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

static int overlaps(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen) {
  return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}

static int encrypt(State *s, const unsigned char *key, unsigned char *dst, const unsigned char *plain, size_t len, const unsigned char *aad, size_t aad_len) {
  int n = 0;
  if (!s->keyed || memcmp(s->key, key, KEY_BYTES) != 0) {
    if (EVP_EncryptInit_ex(s->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) return 0;
    if (EVP_EncryptInit_ex(s->ctx, NULL, NULL, key, dst) != 1) return 0;
    memcpy(s->key, key, KEY_BYTES);
    s->keyed = 1;
  } else if (EVP_EncryptInit_ex(s->ctx, NULL, NULL, NULL, dst) != 1) {
    return 0;
  }
  if (aad_len > 0 && EVP_EncryptUpdate(s->ctx, NULL, &n, aad, (int)aad_len) != 1) return 0;
  unsigned char *body = dst + NONCE_BYTES;
  if (len > 0 && (EVP_EncryptUpdate(s->ctx, body, &n, plain, (int)len) != 1 || (size_t)n != len)) return 0;
  if (EVP_EncryptFinal_ex(s->ctx, body + len, &n) != 1 || n != 0) return 0;
  return EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, body + len) == 1;
}

static napi_value seal_into(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  unsigned char *key = NULL, *plain = NULL, *out = NULL, *aad = NULL;
  size_t key_len = 0, plain_len = 0, out_len = 0, aad_len = 0;
  int64_t offset = -1;
  if (argc < 4 || !bytes_of(env, argv[0], &key, &key_len) || !bytes_of(env, argv[1], &plain, &plain_len) ||
      !bytes_of(env, argv[2], &out, &out_len) || napi_get_value_int64(env, argv[3], &offset) != napi_ok) {
    return fail(env, "ERR_INVALID_ARG_TYPE", "sealInto(key, plaintext, out, offset[, aad]) takes three Uint8Arrays and an offset");
  }
  if (argc >= 5) {
    napi_valuetype t;
    if (napi_typeof(env, argv[4], &t) != napi_ok) return NULL;
    if (t != napi_undefined && t != napi_null && !bytes_of(env, argv[4], &aad, &aad_len)) return fail(env, "ERR_INVALID_ARG_TYPE", "sealInto: aad must be a Uint8Array");
  }
  if (key_len != KEY_BYTES) return fail(env, "ERR_INVALID_ARG_VALUE", "sealInto: the key must be 32 bytes");
  if (plain_len > (size_t)INT_MAX - TAG_BYTES || aad_len > (size_t)INT_MAX) return fail(env, "ERR_OUT_OF_RANGE", "sealInto: plaintext too large");
  size_t total = plain_len + NONCE_BYTES + TAG_BYTES;
  if (offset < 0 || (uint64_t)offset > out_len || out_len - (size_t)offset < total) return fail(env, "ERR_OUT_OF_RANGE", "sealInto: out has no room for the sealed bytes at offset");
  unsigned char *dst = out + offset;
  if (overlaps(dst, total, plain, plain_len) || overlaps(dst, total, aad, aad_len)) return fail(env, "ERR_INVALID_ARG_VALUE", "sealInto: out overlaps the plaintext");
  State *s = state_of(env);
  if (s == NULL) return fail(env, "ERR_CRYPTO", "sealInto: cannot set up a cipher context");
  if (RAND_bytes(dst, NONCE_BYTES) != 1) return fail(env, "ERR_CRYPTO", "sealInto: no random bytes for the nonce");
  if (!encrypt(s, key, dst, plain, plain_len, aad, aad_len)) {
    s->keyed = 0;
    return fail(env, "ERR_CRYPTO", "sealInto: AES-256-GCM failed");
  }
  napi_value written;
  if (napi_create_int64(env, (int64_t)total, &written) != napi_ok) return NULL;
  return written;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "sealInto", NAPI_AUTO_LENGTH, seal_into, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sealInto", fn) != napi_ok) return NULL;
  return exports;
}
