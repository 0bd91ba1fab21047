/*
 * verifyBlobs(encKey, dataIdKey, treeIdKey, pack, table) -> Promise<Uint8Array>
 * blake3(data[, key])                                      -> Buffer (32 bytes)
 *
 * `check --read-data` decodes every blob of every pack: it opens (AES-256-GCM),
 * decompresses (zstd) and hashes (keyed BLAKE3) each one and compares the hash with the
 * blob's id. verifyBlobs does that for a run of blobs of one pack on a thread of libuv's
 * pool, so check needs no worker isolates (~14 MB of memory each, ADR 0033): the main
 * thread reads the next pack while the pool decodes.
 *
 * `table` lists the blobs, 48 bytes each, little-endian: u32 offset in `pack`, u32
 * sealed length, u32 plaintext length, u32 flags (1: compressed, 2: a tree blob, hashed
 * with `treeIdKey`), then the 32-byte id. The promise resolves with one status byte per
 * blob: 0 when the blob is sound, else why not (VERIFY_* below). The caller names the
 * damage itself (it decodes a failed blob again on its own path, which has the words).
 * `pack` and `table` must not be touched until the promise settles.
 *
 * zstd comes from the node binary that loads the addon (Node links it in and exports its
 * symbols, like OpenSSL's); it is looked up when the addon loads, and without it
 * verifyBlobs is not exported, so the caller uses its worker threads.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "aead.h"
#include "blake3.h"

#define ENTRY_BYTES 48
#define FLAG_COMPRESSED 1
#define FLAG_TREE 2

enum { VERIFY_OK = 0, VERIFY_RANGE = 1, VERIFY_TAG = 2, VERIFY_DECOMPRESS = 3, VERIFY_ID = 4, VERIFY_INTERNAL = 5 };

typedef struct {
  void *(*create)(void);
  size_t (*free)(void *);
  size_t (*decompress)(void *, void *, size_t, const void *, size_t);
  unsigned (*is_error)(size_t);
} Zstd;

static Zstd zstd;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[2]; /* pack, table */
  uint8_t keys[3][KEY_BYTES];
  const uint8_t *pack;
  size_t pack_len;
  const uint8_t *table;
  size_t count;
  uint8_t *status;
} VerifyJob;

static inline uint32_t u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct {
  Cipher cipher;
  void *dctx;
  uint8_t *opened, *plain;
  size_t opened_cap, plain_cap;
} Scratch;

/* `*buf` of at least `n` bytes (grown, old contents dropped); 0 when out of memory. */
static int room(uint8_t **buf, size_t *cap, size_t n) {
  if (*cap >= n && *buf != NULL) return 1;
  free(*buf);
  *buf = malloc(n > 0 ? n : 1);
  *cap = *buf == NULL ? 0 : n;
  return *buf != NULL;
}

/* One blob: VERIFY_OK or why it is not sound. */
static int verify_one(const VerifyJob *job, Scratch *s, const uint8_t *entry) {
  size_t offset = u32le(entry), len = u32le(entry + 4), raw = u32le(entry + 8);
  uint32_t flags = u32le(entry + 12);
  if (offset > job->pack_len || job->pack_len - offset < len || len < NONCE_BYTES + TAG_BYTES) return VERIFY_RANGE;
  size_t body = len - NONCE_BYTES - TAG_BYTES;
  if (!room(&s->opened, &s->opened_cap, body)) return VERIFY_INTERNAL;
  int ok = holdfast_cipher_open(&s->cipher, job->keys[0], job->pack + offset, body, s->opened, NULL, 0);
  if (ok < 0) return VERIFY_INTERNAL;
  if (ok == 0) return VERIFY_TAG;
  const uint8_t *plain = s->opened;
  size_t plain_len = body;
  if (flags & FLAG_COMPRESSED) {
    if (!room(&s->plain, &s->plain_cap, raw)) return VERIFY_INTERNAL;
    size_t n = zstd.decompress(s->dctx, s->plain, raw, s->opened, body);
    if (zstd.is_error(n) || n != raw) return VERIFY_DECOMPRESS;
    plain = s->plain;
    plain_len = n;
  }
  if (plain_len != raw) return VERIFY_ID;
  uint8_t id[BLAKE3_OUT_LEN];
  if (blake3_hash(job->keys[flags & FLAG_TREE ? 2 : 1], plain, plain_len, id) != 0) return VERIFY_INTERNAL;
  return memcmp(id, entry + 16, BLAKE3_OUT_LEN) == 0 ? VERIFY_OK : VERIFY_ID;
}

static void execute(napi_env env, void *data) {
  (void)env;
  VerifyJob *job = data;
  Scratch s = {0};
  s.cipher.ctx = EVP_CIPHER_CTX_new();
  s.dctx = zstd.create();
  for (size_t i = 0; i < job->count; i++) {
    job->status[i] = s.cipher.ctx == NULL || s.dctx == NULL ? VERIFY_INTERNAL : (uint8_t)verify_one(job, &s, job->table + i * ENTRY_BYTES);
  }
  EVP_CIPHER_CTX_free(s.cipher.ctx);
  if (s.dctx != NULL) zstd.free(s.dctx);
  free(s.opened);
  free(s.plain);
}

static void complete(napi_env env, napi_status status, void *data) {
  VerifyJob *job = data;
  napi_value result = NULL, buffer = NULL;
  void *copy = NULL;
  if (status == napi_ok && napi_create_buffer(env, job->count, &copy, &buffer) == napi_ok) {
    memcpy(copy, job->status, job->count);
    napi_resolve_deferred(env, job->deferred, buffer);
  } else {
    napi_create_string_utf8(env, "verifyBlobs: the work was cancelled", NAPI_AUTO_LENGTH, &result);
    napi_value err;
    napi_create_error(env, NULL, result, &err);
    napi_reject_deferred(env, job->deferred, err);
  }
  for (int r = 0; r < 2; r++) napi_delete_reference(env, job->refs[r]);
  napi_delete_async_work(env, job->work);
  volatile uint8_t *k = &job->keys[0][0];
  for (size_t i = 0; i < sizeof job->keys; i++) k[i] = 0;
  free(job->status);
  free(job);
}

static int bytes_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  napi_typedarray_type type;
  void *d = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, &d, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = d;
  return 1;
}

/* Fills `job` from (encKey, dataIdKey, treeIdKey, pack, table); 0 once an error is thrown. */
static int job_args(napi_env env, napi_callback_info info, VerifyJob *job) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *bytes[5];
  size_t lens[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  for (size_t i = 0; i < 5; i++) {
    if (i >= argc || !bytes_arg(env, argv[i], &bytes[i], &lens[i])) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "verifyBlobs(encKey, dataIdKey, treeIdKey, pack, table) takes five Uint8Arrays");
      return 0;
    }
  }
  if (lens[0] != KEY_BYTES || lens[1] != KEY_BYTES || lens[2] != KEY_BYTES || lens[4] % ENTRY_BYTES != 0) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "verifyBlobs: keys are 32 bytes and the table 48 bytes per blob");
    return 0;
  }
  for (int k = 0; k < 3; k++) memcpy(job->keys[k], bytes[k], KEY_BYTES);
  job->pack = bytes[3];
  job->pack_len = lens[3];
  job->table = bytes[4];
  job->count = lens[4] / ENTRY_BYTES;
  for (int r = 0; r < 2; r++) {
    if (napi_create_reference(env, argv[3 + r], 1, &job->refs[r]) != napi_ok) return 0;
  }
  return 1;
}

static napi_value verify_blobs(napi_env env, napi_callback_info info) {
  VerifyJob *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ERR_MEMORY", "verifyBlobs: out of memory");
    return NULL;
  }
  napi_value promise = NULL, name;
  if (!job_args(env, info, job) || (job->status = calloc(job->count > 0 ? job->count : 1, 1)) == NULL) {
    for (int r = 0; r < 2; r++) {
      if (job->refs[r] != NULL) napi_delete_reference(env, job->refs[r]);
    }
    free(job);
    return NULL;
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "holdfast.verifyBlobs", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    napi_throw_error(env, "ERR_INTERNAL", "verifyBlobs: cannot queue the work");
    return NULL;
  }
  return promise;
}

static napi_value blake3(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  uint8_t *data, *key = NULL;
  size_t len, key_len = 0;
  void *dst;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  napi_valuetype t = napi_undefined;
  if (argc >= 2 && napi_typeof(env, argv[1], &t) != napi_ok) return NULL;
  if (argc < 1 || !bytes_arg(env, argv[0], &data, &len) || (t != napi_undefined && (!bytes_arg(env, argv[1], &key, &key_len) || key_len != BLAKE3_KEY_LEN))) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "blake3(data[, key]) takes a Uint8Array and an optional 32-byte key");
    return NULL;
  }
  if (napi_create_buffer(env, BLAKE3_OUT_LEN, &dst, &out) != napi_ok) return NULL;
  if (blake3_hash(key, data, len, dst) != 0) {
    napi_throw_error(env, "ERR_MEMORY", "blake3: out of memory");
    return NULL;
  }
  return out;
}

/* The zstd functions verifyBlobs needs, from the process (the node binary); 0 when absent. */
static int find_zstd(void) {
  zstd.create = (void *(*)(void))dlsym(RTLD_DEFAULT, "ZSTD_createDCtx");
  zstd.free = (size_t(*)(void *))dlsym(RTLD_DEFAULT, "ZSTD_freeDCtx");
  zstd.decompress = (size_t(*)(void *, void *, size_t, const void *, size_t))dlsym(RTLD_DEFAULT, "ZSTD_decompressDCtx");
  zstd.is_error = (unsigned (*)(size_t))dlsym(RTLD_DEFAULT, "ZSTD_isError");
  return zstd.create != NULL && zstd.free != NULL && zstd.decompress != NULL && zstd.is_error != NULL;
}

napi_status holdfast_register_verify(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status s = napi_create_function(env, "blake3", NAPI_AUTO_LENGTH, blake3, NULL, &fn);
  if (s == napi_ok) s = napi_set_named_property(env, exports, "blake3", fn);
  if (s != napi_ok || !find_zstd()) return s;
  s = napi_create_function(env, "verifyBlobs", NAPI_AUTO_LENGTH, verify_blobs, NULL, &fn);
  if (s == napi_ok) s = napi_set_named_property(env, exports, "verifyBlobs", fn);
  return s;
}
