/*
 * sealFilesStart(encKey, dataIdKey, known, level, minMatch, gear, minSize, avgSize, maxSize, paths) -> job
 * sealFilesNext(job, out) -> Promise<Buffer>
 * sealFilesClose(job)
 *
 * A tree backup's per-file work on a thread of libuv's pool, so the backup needs no worker
 * isolates (~14 MB of memory each, ADR 0033): each file of `paths` is read, cut into
 * chunks (FastCDC, fastcdc.c), each chunk hashed to its id (keyed BLAKE3), and each chunk
 * the repository does not hold (`known`, a KnownIdSet's table) compressed and sealed
 * (chunk_sealer.c, encoder.c) into `out`. The main thread packs the sealed bytes
 * (PackSink) and keeps the session's claims, so two copies of one new chunk are stored once.
 * `level` is zstd's level (null: no compression), `minMatch` its minimum match (0: the
 * level's own); `gear` the repository's 256 gear values (little-endian u32).
 *
 * sealFilesNext goes on from where the last call stopped and resolves with records of 56
 * bytes (six little-endian u32, then a 32-byte id), in file order:
 *   kind 1, file, raw length, offset in out, sealed length (0: the repository has it), flags (1: compressed), id
 *   kind 2, file, length of a run of zero bytes (stored as a hole)
 *   kind 3, file, bytes read (low, high 32 bits), errno (0: the file was read whole), syscall (0 open, 1 read)
 * and one last record: kind 0 (every file done), 4 (`out` is full: call again) or 5 (the
 * next chunk needs an `out` of at least the third field's bytes: call again with one).
 * `out` must not be touched until the promise settles; the job takes one call at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "chunk_sealer.h"
#include "fastcdc.h"
#include "napi_util.h"

#define READ_SIZE (1u << 20)
#define BASE_BUFFER (4u * READ_SIZE)

enum { SYS_OPEN = 0, SYS_READ = 1 };
/* What processing the open file came to: TAKE_FULL, TAKE_NEED, TAKE_NOMEM, or this. */
enum { FILE_DONE = 0 };

typedef struct {
  ChunkSealer s;
  Cdc cdc;
  char **paths;
  size_t count, file;
  int fd;
  uint8_t *buf;
  size_t cap, start, end, scanned;
  int eof;
  uint64_t bytes_read;
  /* The call under way. */
  int busy, failed;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref out_ref, self_ref; /* the output buffer, and the job's own external (not collected mid-call) */
} SealJob;

/* Ends the file in progress (errno `err` from `sys` when it failed) and moves to the next. */
static int end_file(SealJob *job, int err, uint32_t sys) {
  int ok = sealer_push(&job->s, REC_FILE, (uint32_t)job->file, (uint32_t)job->bytes_read, (uint32_t)(job->bytes_read >> 32), (uint32_t)err, sys, NULL);
  if (job->fd >= 0) close(job->fd);
  job->fd = -1;
  job->start = job->end = job->scanned = 0;
  job->eof = 0;
  job->bytes_read = 0;
  job->file++;
  return ok;
}

/* Room for one more read after `end` (FileReader.#makeRoom): the chunk in progress moves to the front, the buffer grows only when that is not enough. */
static int make_room(SealJob *job) {
  if (job->cap - job->end >= READ_SIZE) return 1;
  size_t pending = job->end - job->start;
  if (job->cap - pending < READ_SIZE) {
    size_t want = 2 * job->cap > pending + READ_SIZE ? 2 * job->cap : pending + READ_SIZE;
    size_t cap = want < job->cdc.max + READ_SIZE ? want : job->cdc.max + READ_SIZE;
    uint8_t *grown = malloc(cap);
    if (grown == NULL) return 0;
    memcpy(grown, job->buf + job->start, pending);
    free(job->buf);
    job->buf = grown;
    job->cap = cap;
  } else {
    memmove(job->buf, job->buf + job->start, pending);
  }
  job->start = 0;
  job->end = pending;
  return 1;
}

/* Reads up to `want` bytes at buf + end, short only at the end of the file; -1 with errno on failure. */
static ssize_t read_some(SealJob *job, size_t want) {
  size_t total = 0;
  while (total < want) {
    ssize_t n = read(job->fd, job->buf + job->end + total, want - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    total += (size_t)n;
  }
  return (ssize_t)total;
}

/* Cuts and takes the open file's chunks until it ends, fails or `out` is full (FileReader.#readFd). */
static int step(SealJob *job, Encoder *e) {
  for (;;) {
    int64_t cut = job->start < job->end ? cdc_cut(&job->cdc, job->buf, job->start, job->end, job->eof, job->scanned) : -1;
    if (cut > (int64_t)job->start) {
      int r = sealer_take(&job->s, e, (uint32_t)job->file, job->buf + job->start, (size_t)cut - job->start);
      if (r >= 0) return r;
      job->start = (size_t)cut;
      job->scanned = 0;
      continue;
    }
    if (job->eof) return end_file(job, 0, 0) ? FILE_DONE : TAKE_NOMEM;
    job->scanned = job->end - job->start;
    if (!make_room(job)) return TAKE_NOMEM;
    size_t want = job->cap - job->end < READ_SIZE ? job->cap - job->end : READ_SIZE;
    ssize_t n = read_some(job, want);
    if (n < 0) return end_file(job, errno, SYS_READ) ? FILE_DONE : TAKE_NOMEM;
    job->eof = (size_t)n < want;
    job->end += (size_t)n;
    job->bytes_read += (uint64_t)n;
  }
}

static int open_next(SealJob *job) {
  if (job->cap != BASE_BUFFER) {
    free(job->buf);
    job->cap = (job->buf = malloc(BASE_BUFFER)) == NULL ? 0 : BASE_BUFFER;
    if (job->buf == NULL) return 0;
  }
  job->fd = open(job->paths[job->file], O_RDONLY | O_CLOEXEC | O_NOCTTY);
  return job->fd >= 0 || end_file(job, errno, SYS_OPEN);
}

static void execute(napi_env env, void *data) {
  (void)env;
  SealJob *job = data;
  job->s.out_used = job->s.rec_len = job->s.need = 0;
  Encoder *e = sealer_encoder();
  int r = e != NULL ? FILE_DONE : TAKE_NOMEM;
  while (r == FILE_DONE && job->file < job->count) {
    if (job->fd < 0 && !open_next(job)) r = TAKE_NOMEM;
    else if (job->fd >= 0) r = step(job, e);
  }
  if (r == FILE_DONE) {
    /* Every file is done: the read buffer goes here, on the pool, not on the main thread at close. */
    free(job->buf);
    job->buf = NULL;
    job->cap = 0;
  }
  uint32_t kind = r == TAKE_FULL ? REC_FULL : r == TAKE_NEED ? REC_NEED : REC_DONE;
  job->failed = r == TAKE_NOMEM || !sealer_push(&job->s, kind, (uint32_t)job->file, (uint32_t)job->s.need, 0, 0, 0, NULL);
}

static void complete(napi_env env, napi_status status, void *data) {
  SealJob *job = data;
  if (status != napi_ok) reject_with(env, job->deferred, "sealFilesNext: the work was cancelled");
  else if (job->failed) reject_with(env, job->deferred, "sealFilesNext: out of memory");
  else resolve_copy(env, job->deferred, job->s.rec, job->s.rec_len, "sealFilesNext: out of memory");
  napi_delete_reference(env, job->out_ref);
  napi_delete_reference(env, job->self_ref);
  napi_delete_async_work(env, job->work);
  job->out_ref = job->self_ref = NULL;
  job->s.out = NULL;
  job->busy = 0;
}

/* Lets go of the file and the read buffer; the job can take no more calls. */
static void release(SealJob *job) {
  if (job->fd >= 0) close(job->fd);
  job->fd = -1;
  job->file = job->count;
  free(job->buf);
  job->buf = NULL;
  job->cap = 0;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  SealJob *job = data;
  release(job);
  sealer_release(env, &job->s);
  for (size_t i = 0; i < job->count; i++) free(job->paths[i]);
  free(job->paths);
  free(job);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* The paths of `array` (strings), copied; 0 when it is something else. */
static int paths_arg(napi_env env, napi_value array, SealJob *job) {
  bool is = false;
  uint32_t n = 0;
  if (napi_is_array(env, array, &is) != napi_ok || !is || napi_get_array_length(env, array, &n) != napi_ok) return 0;
  if ((job->paths = calloc(n > 0 ? n : 1, sizeof *job->paths)) == NULL) return 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    if (napi_get_element(env, array, i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return 0;
    if ((job->paths[i] = malloc(len + 1)) == NULL || napi_get_value_string_utf8(env, v, job->paths[i], len + 1, &len) != napi_ok) return 0;
    job->count = i + 1;
  }
  return 1;
}

/* (gear, minSize, avgSize, maxSize) at argv[0 … 3]. */
static int chunker_args(napi_env env, const napi_value argv[4], Cdc *cdc) {
  uint8_t *gear;
  size_t gear_len;
  uint32_t min, avg, max;
  return bytes_arg(env, argv[0], &gear, &gear_len) && napi_get_value_uint32(env, argv[1], &min) == napi_ok &&
         napi_get_value_uint32(env, argv[2], &avg) == napi_ok && napi_get_value_uint32(env, argv[3], &max) == napi_ok &&
         cdc_init(cdc, gear, gear_len, min, avg, max);
}

static napi_value seal_files_start(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10], external;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  SealJob *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, "sealFilesStart: out of memory");
  job->fd = -1;
  if (argc < 10 || !sealer_args(env, argv, &job->s) || !chunker_args(env, argv + 5, &job->cdc) || !paths_arg(env, argv[9], job)) {
    finalize(env, job, NULL);
    return fail(env, "sealFilesStart(encKey, dataIdKey, known, level, minMatch, gear, minSize, avgSize, maxSize, paths): keys of 32 bytes, a table of 32-byte slots, a level or null, a minimum match, 1,024 gear bytes, usable sizes, an array of paths");
  }
  if (napi_create_external(env, job, finalize, NULL, &external) != napi_ok) {
    finalize(env, job, NULL);
    return NULL;
  }
  return external;
}

/* The job of argv[0] when it takes a call now; NULL once an error is thrown. */
static SealJob *idle_job(napi_env env, napi_callback_info info, napi_value argv[2], const char *usage) {
  size_t argc = 2;
  void *data = NULL;
  napi_valuetype t = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external || napi_get_value_external(env, argv[0], &data) != napi_ok) {
    fail(env, usage);
    return NULL;
  }
  SealJob *job = data;
  if (job->busy) {
    fail(env, "sealFiles: the job is still busy with its last call");
    return NULL;
  }
  return job;
}

static napi_value seal_files_next(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  const char *usage = "sealFilesNext(job, out) takes a job of sealFilesStart and a Uint8Array";
  SealJob *job = idle_job(env, info, argv, usage);
  uint8_t *out;
  size_t out_len;
  if (job == NULL) return NULL;
  if (!bytes_arg(env, argv[1], &out, &out_len)) return fail(env, usage);
  if (napi_create_reference(env, argv[1], 1, &job->out_ref) != napi_ok) return NULL;
  if (napi_create_reference(env, argv[0], 1, &job->self_ref) != napi_ok) {
    napi_delete_reference(env, job->out_ref);
    return NULL;
  }
  job->s.out = out;
  job->s.out_cap = out_len;
  job->busy = 1;
  napi_value promise = queue_work(env, "holdfast.sealFiles", execute, complete, job, &job->deferred, &job->work);
  if (promise == NULL) {
    napi_delete_reference(env, job->out_ref);
    napi_delete_reference(env, job->self_ref);
    job->busy = 0;
  }
  return promise;
}

static napi_value seal_files_close(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  SealJob *job = idle_job(env, info, argv, "sealFilesClose(job) takes a job of sealFilesStart");
  if (job == NULL) return NULL;
  release(job);
  sealer_release(env, &job->s);
  return NULL;
}

napi_status holdfast_register_seal_chunks(napi_env env, napi_value exports); /* seal_chunks.c */

napi_status holdfast_register_seal_files(napi_env env, napi_value exports) {
  if (!encoder_find_zstd()) return napi_ok;
  napi_status s = export_function(env, exports, "sealFilesStart", seal_files_start);
  if (s == napi_ok) s = export_function(env, exports, "sealFilesNext", seal_files_next);
  if (s == napi_ok) s = export_function(env, exports, "sealFilesClose", seal_files_close);
  if (s == napi_ok) s = holdfast_register_seal_chunks(env, exports);
  return s;
}
