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
 * blob: 0 when the blob is sound, else why not (BLOB_* in blob.h). The caller names the
 * damage itself (it decodes a failed blob again on its own path, which has the words).
 * `pack` and `table` must not be touched until the promise settles.
 *
 * Without node's zstd (blob.c) verifyBlobs is not exported, and the caller uses its worker
 * threads.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "blake3.h"
#include "blob.h"

#define ENTRY_BYTES 48

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[2]; /* pack, table */
  BlobKeys keys;
  const uint8_t *pack;
  size_t pack_len;
  const uint8_t *table;
  size_t count;
  uint8_t *status;
} VerifyJob;

/* One blob: BLOB_OK or why it is not sound. */
static int verify_one(const VerifyJob *job, Decoder *d, const uint8_t *entry) {
  size_t offset = u32le(entry), len = u32le(entry + 4);
  if (offset > job->pack_len || job->pack_len - offset < len) return BLOB_RANGE;
  const uint8_t *plain;
  size_t plain_len;
  return decode_blob(d, &job->keys, job->pack + offset, len, u32le(entry + 8), u32le(entry + 12), entry + 16, &plain, &plain_len);
}

static void execute(napi_env env, void *data) {
  (void)env;
  VerifyJob *job = data;
  Decoder d;
  int ready = decoder_init(&d);
  for (size_t i = 0; i < job->count; i++) job->status[i] = ready ? (uint8_t)verify_one(job, &d, job->table + i * ENTRY_BYTES) : BLOB_INTERNAL;
  decoder_free(&d);
}

static void complete(napi_env env, napi_status status, void *data) {
  VerifyJob *job = data;
  if (status == napi_ok) resolve_copy(env, job->deferred, job->status, job->count, "verifyBlobs: out of memory");
  else reject_with(env, job->deferred, "verifyBlobs: the work was cancelled");
  for (int r = 0; r < 2; r++) napi_delete_reference(env, job->refs[r]);
  napi_delete_async_work(env, job->work);
  wipe(&job->keys, sizeof job->keys);
  free(job->status);
  free(job);
}

/* Fills `job` from (encKey, dataIdKey, treeIdKey, pack, table); 0 once an error is thrown. */
static int job_args(napi_env env, napi_callback_info info, VerifyJob *job) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *pack, *table;
  size_t pack_len, table_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 5 || !bytes_arg(env, argv[3], &pack, &pack_len) || !bytes_arg(env, argv[4], &table, &table_len)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "verifyBlobs(encKey, dataIdKey, treeIdKey, pack, table) takes five Uint8Arrays");
    return 0;
  }
  if (!keys_arg(env, argv, &job->keys) || table_len % ENTRY_BYTES != 0) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "verifyBlobs: keys are 32 bytes and the table 48 bytes per blob");
    return 0;
  }
  job->pack = pack;
  job->pack_len = pack_len;
  job->table = table;
  job->count = table_len / ENTRY_BYTES;
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
  napi_value promise = NULL;
  if (!job_args(env, info, job) || (job->status = calloc(job->count > 0 ? job->count : 1, 1)) == NULL) {
    for (int r = 0; r < 2; r++) {
      if (job->refs[r] != NULL) napi_delete_reference(env, job->refs[r]);
    }
    free(job);
    return NULL;
  }
  promise = queue_work(env, "holdfast.verifyBlobs", execute, complete, job, &job->deferred, &job->work);
  if (promise == NULL) {
    for (int r = 0; r < 2; r++) napi_delete_reference(env, job->refs[r]);
    free(job->status);
    free(job);
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

napi_status holdfast_register_restore(napi_env env, napi_value exports); /* restore.c */

napi_status holdfast_register_verify(napi_env env, napi_value exports) {
  napi_status s = export_function(env, exports, "blake3", blake3);
  if (s != napi_ok || !blob_find_zstd()) return s;
  s = export_function(env, exports, "verifyBlobs", verify_blobs);
  if (s == napi_ok) s = holdfast_register_restore(env, exports);
  return s;
}
