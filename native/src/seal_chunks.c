/*
 * sealChunks(encKey, dataIdKey, known, level, minMatch, data, table, out) -> Promise<Buffer>
 *
 * A stream backup's chunks (`--stdin`, a command's output), already cut on the main thread
 * (stream-archiver.ts), sealed on a thread of libuv's pool: each chunk is hashed to its id
 * and, unless the repository holds it (`known`), compressed and sealed into `out`
 * (chunk_sealer.c). `table` lists the chunks, 8 bytes each, little-endian: u32 offset in
 * `data`, u32 length. `out` must have room for every chunk sealed (its length + 28).
 * Resolves with seal_files.c's records, the chunk's place in `table` as their item (kinds
 * 1 and 2), and a last record of kind 0. `data`, `table` and `out` must not be touched
 * until the promise settles.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include "blob.h"
#include "chunk_sealer.h"
#include "napi_util.h"

typedef struct {
  ChunkSealer s;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3]; /* data, table, out */
  const uint8_t *data, *table;
  size_t data_len, count;
  int failed;
} ChunksJob;

static void execute(napi_env env, void *data) {
  (void)env;
  ChunksJob *job = data;
  Encoder *e = sealer_encoder();
  job->failed = e == NULL;
  for (size_t i = 0; !job->failed && i < job->count; i++) {
    size_t offset = u32le(job->table + 8 * i), len = u32le(job->table + 8 * i + 4);
    job->failed = offset > job->data_len || job->data_len - offset < len || sealer_take(&job->s, e, (uint32_t)i, job->data + offset, len) != -1;
  }
  job->failed = job->failed || !sealer_push(&job->s, REC_DONE, (uint32_t)job->count, 0, 0, 0, 0, NULL);
}

static void free_job(napi_env env, ChunksJob *job) {
  for (int r = 0; r < 3; r++) {
    if (job->refs[r] != NULL) napi_delete_reference(env, job->refs[r]);
  }
  sealer_release(env, &job->s);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  ChunksJob *job = data;
  if (status != napi_ok) reject_with(env, job->deferred, "sealChunks: the work was cancelled");
  else if (job->failed) reject_with(env, job->deferred, "sealChunks: a chunk is outside the data, `out` is too small, or memory ran out");
  else resolve_copy(env, job->deferred, job->s.rec, job->s.rec_len, "sealChunks: out of memory");
  napi_delete_async_work(env, job->work);
  free_job(env, job);
}

/* (data, table, out) at argv[0 … 2]; 0 when they are not Uint8Arrays and a table of 8-byte entries. */
static int buffers_arg(napi_env env, const napi_value argv[3], ChunksJob *job) {
  uint8_t *data, *table;
  size_t table_len;
  if (!bytes_arg(env, argv[0], &data, &job->data_len) || !bytes_arg(env, argv[1], &table, &table_len) || table_len % 8 != 0 ||
      !bytes_arg(env, argv[2], &job->s.out, &job->s.out_cap)) return 0;
  job->data = data;
  job->table = table;
  job->count = table_len / 8;
  for (int r = 0; r < 3; r++) {
    if (napi_create_reference(env, argv[r], 1, &job->refs[r]) != napi_ok) return 0;
  }
  return 1;
}

static napi_value seal_chunks(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  ChunksJob *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ERR_MEMORY", "sealChunks: out of memory");
    return NULL;
  }
  if (argc < 8 || !sealer_args(env, argv, &job->s) || !buffers_arg(env, argv + 5, job)) {
    free_job(env, job);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "sealChunks(encKey, dataIdKey, known, level, minMatch, data, table, out): keys of 32 bytes, a table of 32-byte slots, a level or null, a minimum match, and three Uint8Arrays (the chunk table 8 bytes a chunk)");
    return NULL;
  }
  napi_value promise = queue_work(env, "holdfast.sealChunks", execute, complete, job, &job->deferred, &job->work);
  if (promise == NULL) free_job(env, job);
  return promise;
}

napi_status holdfast_register_seal_chunks(napi_env env, napi_value exports) {
  return export_function(env, exports, "sealChunks", seal_chunks);
}
