/*
 * sealFilesStart(encKey, dataIdKey, known, gear, minSize, avgSize, maxSize, level, paths) -> job
 * sealFilesNext(job, out)                                                    -> Promise<Buffer>
 * sealFilesClose(job)
 *
 * A tree backup's per-file work on a thread of libuv's pool, so the backup needs no worker
 * isolates (~14 MB of memory each, ADR 0033): each file of `paths` is read, cut into
 * chunks (FastCDC, fastcdc.c), each chunk hashed to its id (keyed BLAKE3), and each chunk
 * the repository does not hold (`known`, a KnownIdSet's table) compressed and sealed
 * (encoder.c) into `out`. The main thread packs the sealed bytes (FilePack) and keeps the
 * session's claims, so two copies of one new chunk are stored once.
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
#include "blake3.h"
#include "blob.h"
#include "encoder.h"
#include "fastcdc.h"
#include "napi_util.h"

#define RECORD 56
#define READ_SIZE (1u << 20)
#define BASE_BUFFER (4u * READ_SIZE)

enum { REC_DONE = 0, REC_CHUNK = 1, REC_HOLE = 2, REC_FILE = 3, REC_FULL = 4, REC_NEED = 5 };
enum { SYS_OPEN = 0, SYS_READ = 1 };
/* What processing the open file came to. */
enum { STEP_FILE_DONE, STEP_FULL, STEP_NEED, STEP_NOMEM };

typedef struct {
  uint8_t enc[KEY_BYTES], id_key[BLAKE3_KEY_LEN];
  Cdc cdc;
  int zstd_on, level;
  const uint8_t *known;
  size_t known_mask; /* slots - 1; known == NULL when the set is empty */
  napi_ref known_ref;
  char **paths;
  size_t count, file;
  int fd;
  uint8_t *buf;
  size_t cap, start, end, scanned;
  int eof;
  uint64_t bytes_read;
  /* The call under way. */
  int busy;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref out_ref;
  uint8_t *out;
  size_t out_cap, out_used, need;
  uint8_t *rec;
  size_t rec_len, rec_cap;
  int failed; /* out of memory: the call rejects */
} SealJob;

static __thread Encoder tl_encoder;
static __thread int tl_encoder_ready;

static int push(SealJob *job, uint32_t kind, uint32_t a, uint32_t b, uint32_t c, uint32_t d, const uint8_t *id) {
  if (job->rec_len + RECORD > job->rec_cap) {
    size_t cap = job->rec_cap == 0 ? 64 * RECORD : 2 * job->rec_cap;
    uint8_t *grown = realloc(job->rec, cap);
    if (grown == NULL) return 0;
    job->rec = grown;
    job->rec_cap = cap;
  }
  uint8_t *r = job->rec + job->rec_len;
  uint32_t f[6] = {kind, (uint32_t)job->file, a, b, c, d};
  for (int i = 0; i < 6; i++) {
    for (int k = 0; k < 4; k++) r[4 * i + k] = (uint8_t)(f[i] >> (8 * k));
  }
  if (id != NULL) memcpy(r + 24, id, 32);
  else memset(r + 24, 0, 32);
  job->rec_len += RECORD;
  return 1;
}

static int known_has(const SealJob *job, const uint8_t id[32]) {
  if (job->known == NULL) return 0;
  static const uint8_t empty[32];
  for (size_t slot = u32le(id) & job->known_mask;; slot = (slot + 1) & job->known_mask) {
    const uint8_t *at = job->known + slot * 32;
    if (memcmp(at, id, 32) == 0) return 1;
    if (memcmp(at, empty, 32) == 0) return 0;
  }
}

static int all_zero(const uint8_t *p, size_t n) {
  return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Ends the file in progress (errno `err` from `sys` when it failed) and moves to the next. */
static int end_file(SealJob *job, int err, uint32_t sys) {
  int ok = push(job, REC_FILE, (uint32_t)job->bytes_read, (uint32_t)(job->bytes_read >> 32), (uint32_t)err, sys, NULL);
  if (job->fd >= 0) close(job->fd);
  job->fd = -1;
  job->start = job->end = job->scanned = 0;
  job->eof = 0;
  job->bytes_read = 0;
  job->file++;
  return ok;
}

/* One chunk: a hole, a chunk the repository has, or one sealed into `out`; a STEP_* when it cannot be taken now. */
static int take_chunk(SealJob *job, Encoder *e, const uint8_t *chunk, size_t len) {
  if (all_zero(chunk, len)) return push(job, REC_HOLE, (uint32_t)len, 0, 0, 0, NULL) ? -1 : STEP_NOMEM;
  if (job->out_cap - job->out_used < len + SEAL_OVERHEAD) {
    job->need = len + SEAL_OVERHEAD;
    return job->out_used == 0 ? STEP_NEED : STEP_FULL;
  }
  uint8_t id[BLAKE3_OUT_LEN];
  if (blake3_hash(job->id_key, chunk, len, id) != 0) return STEP_NOMEM;
  if (known_has(job, id)) return push(job, REC_CHUNK, (uint32_t)len, 0, 0, 0, id) ? -1 : STEP_NOMEM;
  int compressed = 0;
  size_t sealed = encode_chunk(e, job->enc, job->zstd_on, job->level, chunk, len, job->out + job->out_used, &compressed);
  if (sealed == 0) return STEP_NOMEM;
  if (!push(job, REC_CHUNK, (uint32_t)len, (uint32_t)job->out_used, (uint32_t)sealed, (uint32_t)compressed, id)) return STEP_NOMEM;
  job->out_used += sealed;
  return -1;
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
      int r = take_chunk(job, e, job->buf + job->start, (size_t)cut - job->start);
      if (r >= 0) return r;
      job->start = (size_t)cut;
      job->scanned = 0;
      continue;
    }
    if (job->eof) return end_file(job, 0, 0) ? STEP_FILE_DONE : STEP_NOMEM;
    job->scanned = job->end - job->start;
    if (!make_room(job)) return STEP_NOMEM;
    size_t want = job->cap - job->end < READ_SIZE ? job->cap - job->end : READ_SIZE;
    ssize_t n = read_some(job, want);
    if (n < 0) return end_file(job, errno, SYS_READ) ? STEP_FILE_DONE : STEP_NOMEM;
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
  job->out_used = job->rec_len = job->need = 0;
  job->failed = 0;
  if (!tl_encoder_ready) tl_encoder_ready = encoder_init(&tl_encoder);
  int r = tl_encoder_ready ? STEP_FILE_DONE : STEP_NOMEM;
  while (r == STEP_FILE_DONE && job->file < job->count) {
    if (job->fd < 0 && !open_next(job)) r = STEP_NOMEM;
    else if (job->fd >= 0) r = step(job, &tl_encoder);
  }
  if (r == STEP_FILE_DONE) {
    /* Every file is done: the read buffer goes here, on the pool, not on the main thread at close. */
    free(job->buf);
    job->buf = NULL;
    job->cap = 0;
  }
  if (r == STEP_NOMEM || !push(job, r == STEP_FULL ? REC_FULL : r == STEP_NEED ? REC_NEED : REC_DONE, (uint32_t)job->need, 0, 0, 0, NULL)) job->failed = 1;
}

static void reject(napi_env env, napi_deferred deferred, const char *message) {
  napi_value text, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &err);
  napi_reject_deferred(env, deferred, err);
}

static void complete(napi_env env, napi_status status, void *data) {
  SealJob *job = data;
  napi_value records;
  void *copy = NULL;
  if (status != napi_ok) reject(env, job->deferred, "sealFilesNext: the work was cancelled");
  else if (job->failed) reject(env, job->deferred, "sealFilesNext: out of memory");
  else if (napi_create_buffer(env, job->rec_len, &copy, &records) != napi_ok) reject(env, job->deferred, "sealFilesNext: out of memory");
  else {
    memcpy(copy, job->rec, job->rec_len);
    napi_resolve_deferred(env, job->deferred, records);
  }
  napi_delete_reference(env, job->out_ref);
  napi_delete_async_work(env, job->work);
  job->out_ref = NULL;
  job->out = NULL;
  job->busy = 0;
  if (job->rec_cap > 1024 * RECORD) {
    free(job->rec);
    job->rec = NULL;
    job->rec_cap = 0;
  }
}

/* Lets go of the file and buffers (the keys are wiped); the job can take no more calls. */
static void release(SealJob *job) {
  if (job->fd >= 0) close(job->fd);
  job->fd = -1;
  job->file = job->count;
  free(job->buf);
  free(job->rec);
  job->buf = job->rec = NULL;
  job->cap = job->rec_cap = 0;
  wipe(job->enc, sizeof job->enc);
  wipe(job->id_key, sizeof job->id_key);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  SealJob *job = data;
  release(job);
  if (job->known_ref != NULL) napi_delete_reference(env, job->known_ref);
  for (size_t i = 0; i < job->count; i++) free(job->paths[i]);
  free(job->paths);
  free(job);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* The paths of argv (an array of strings), copied; 0 once an error is thrown. */
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

static int settings_arg(napi_env env, const napi_value argv[9], SealJob *job) {
  uint8_t *enc, *id_key, *known, *gear;
  size_t enc_len, id_len, known_len, gear_len;
  uint32_t min, avg, max;
  napi_valuetype level_type;
  if (!bytes_arg(env, argv[0], &enc, &enc_len) || enc_len != KEY_BYTES || !bytes_arg(env, argv[1], &id_key, &id_len) || id_len != BLAKE3_KEY_LEN) return 0;
  if (!bytes_arg(env, argv[2], &known, &known_len) || known_len % 32 != 0 || (known_len & (known_len - 1)) != 0) return 0;
  if (!bytes_arg(env, argv[3], &gear, &gear_len) || napi_get_value_uint32(env, argv[4], &min) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &avg) != napi_ok || napi_get_value_uint32(env, argv[6], &max) != napi_ok ||
      !cdc_init(&job->cdc, gear, gear_len, min, avg, max) || napi_typeof(env, argv[7], &level_type) != napi_ok) return 0;
  job->zstd_on = level_type == napi_number;
  if (job->zstd_on && napi_get_value_int32(env, argv[7], &job->level) != napi_ok) return 0;
  memcpy(job->enc, enc, KEY_BYTES);
  memcpy(job->id_key, id_key, BLAKE3_KEY_LEN);
  job->known = known_len >= 32 ? known : NULL;
  job->known_mask = known_len / 32 - 1;
  return napi_create_reference(env, argv[2], 1, &job->known_ref) == napi_ok;
}

static napi_value seal_files_start(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9], external;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  SealJob *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, "sealFilesStart: out of memory");
  job->fd = -1;
  if (argc < 9 || !settings_arg(env, argv, job) || !paths_arg(env, argv[8], job)) {
    finalize(env, job, NULL);
    return fail(env, "sealFilesStart(encKey, dataIdKey, known, gear, minSize, avgSize, maxSize, level, paths): keys of 32 bytes, a table of 32-byte slots, 1,024 gear bytes, usable sizes, a level or null, an array of paths");
  }
  if (napi_create_external(env, job, finalize, NULL, &external) != napi_ok) {
    finalize(env, job, NULL);
    return NULL;
  }
  return external;
}

static SealJob *job_arg(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return data;
}

static napi_value seal_files_next(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  SealJob *job = argc >= 2 ? job_arg(env, argv[0]) : NULL;
  if (job == NULL || !bytes_arg(env, argv[1], &job->out, &job->out_cap)) return fail(env, "sealFilesNext(job, out) takes a job of sealFilesStart and a Uint8Array");
  if (job->busy) return fail(env, "sealFilesNext: the job is still busy with its last call");
  if (napi_create_reference(env, argv[1], 1, &job->out_ref) != napi_ok) return NULL;
  job->busy = 1;
  napi_value promise = queue_work(env, "holdfast.sealFiles", execute, complete, job, &job->deferred, &job->work);
  if (promise == NULL) {
    napi_delete_reference(env, job->out_ref);
    job->busy = 0;
  }
  return promise;
}

static napi_value seal_files_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  SealJob *job = argc >= 1 ? job_arg(env, argv[0]) : NULL;
  if (job == NULL) return fail(env, "sealFilesClose(job) takes a job of sealFilesStart");
  if (job->busy) return fail(env, "sealFilesClose: the job is still busy with its last call");
  release(job);
  return NULL;
}

napi_status holdfast_register_seal_files(napi_env env, napi_value exports) {
  if (!encoder_find_zstd()) return napi_ok;
  napi_status s = export_function(env, exports, "sealFilesStart", seal_files_start);
  if (s == napi_ok) s = export_function(env, exports, "sealFilesNext", seal_files_next);
  if (s == napi_ok) s = export_function(env, exports, "sealFilesClose", seal_files_close);
  return s;
}
