/*
 * restorePieces(encKey, dataIdKey, treeIdKey, ranges, table, paths, program, ownership, umask)
 *   -> Promise<{ bytes, errors: Int32Array }>
 *
 * A restore task on a thread of libuv's pool: open the blobs of the pack ranges read for
 * it and write file pieces at their offsets, as the worker threads' restore-writer.ts
 * does (same system calls, same order), so a restore needs no worker isolates (ADR 0036).
 *
 * - ranges: Uint8Arrays of pack bytes. They are only read: each blob is opened into the
 *   decoder's scratch, so a blob that fails can be opened again by the caller for its message.
 * - table: 56 bytes a blob, little-endian u32s: range index (0xffffffff: not read), offset
 *   in the range, sealed length, plaintext length, flags (blob.h), unused; then the id.
 * - paths: one string per piece.
 * - program: Float64Array, per piece: file offset, create (0/1), size, has metadata (0/1),
 *   mode, uid, gid, mtime (ms), ref count, then the refs: >= 0 a blob of the table, < 0 a
 *   hole of that many bytes.
 * - ownership: chown each file to its uid/gid; umask: >= 0 when every file is new (a file
 *   whose mode the umask leaves as it is is created with it and needs no chmod), else -1.
 *
 * Resolves with the bytes written by pieces that succeeded and four int32s per failed
 * piece: its index, what failed (1: a system call, 2: a blob), then the errno and the
 * call (SYSCALL_*), or the blob's index and why (BLOB_*). The caller words the messages.
 * Every argument must be left alone until the promise settles.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "args.h"
#include "blob.h"

#define ENTRY_BYTES 56
#define NO_RANGE 0xffffffffu
#define ZERO_BLOCK (64 << 10)
#define FAIL_SYSCALL 1
#define FAIL_BLOB 2

enum { SYSCALL_OPEN = 0, SYSCALL_WRITE = 1, SYSCALL_FTRUNCATE = 2, SYSCALL_FCHOWN = 3, SYSCALL_FCHMOD = 4, SYSCALL_FUTIME = 5, SYSCALL_CLOSE = 6 };

static const uint8_t ZEROS[ZERO_BLOCK];

typedef struct {
  const uint8_t *data;
  size_t len;
} Range;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3]; /* ranges, table, program */
  BlobKeys keys;
  Range *ranges;
  size_t range_count;
  const uint8_t *table;
  size_t blob_count;
  char **paths;
  size_t piece_count;
  const double *program;
  size_t program_len;
  int ownership;
  int umask;
  /* Results. */
  double bytes;
  int32_t *errors;
  size_t error_count, error_cap;
  /* Per blob: uses left in the task, and a copy kept for later uses. */
  uint32_t *uses;
  uint8_t **kept;
} RestoreJob;

typedef struct {
  double offset, size, mode, uid, gid, mtime;
  int create, meta;
  size_t ref_count;
  const double *refs;
} Piece;

/* The piece at `*at` of the program (advancing `*at`); 0 when the program is too short. */
static int next_piece(const RestoreJob *job, size_t *at, Piece *p) {
  const double *v = job->program + *at;
  if (job->program_len - *at < 9) return 0;
  p->offset = v[0];
  p->create = v[1] != 0;
  p->size = v[2];
  p->meta = v[3] != 0;
  p->mode = v[4];
  p->uid = v[5];
  p->gid = v[6];
  p->mtime = v[7];
  p->ref_count = (size_t)v[8];
  if (job->program_len - *at - 9 < p->ref_count) return 0;
  p->refs = v + 9;
  *at += 9 + p->ref_count;
  return 1;
}

static void record(RestoreJob *job, size_t piece, int32_t kind, int32_t a, int32_t b) {
  if (job->error_count == job->error_cap) {
    size_t cap = job->error_cap ? job->error_cap * 2 : 16;
    int32_t *grown = realloc(job->errors, cap * 4 * sizeof *grown);
    if (grown == NULL) return;
    job->errors = grown;
    job->error_cap = cap;
  }
  int32_t *e = job->errors + job->error_count++ * 4;
  e[0] = (int32_t)piece;
  e[1] = kind;
  e[2] = a;
  e[3] = b;
}

/*
 * Blob `b`'s plaintext for one use; BLOB_OK or why not. A blob later pieces use again is
 * kept (copied) until its last use, which frees it: *owned is then set for the caller.
 */
static int blob_for_use(RestoreJob *job, Decoder *d, size_t b, const uint8_t **plain, size_t *len, uint8_t **owned) {
  const uint8_t *e = job->table + b * ENTRY_BYTES;
  size_t raw = u32le(e + 12);
  uint32_t left = job->uses[b] > 0 ? --job->uses[b] : 0;
  *owned = NULL;
  if (job->kept[b] != NULL) {
    *plain = job->kept[b];
    *len = raw;
    if (left == 0) *owned = job->kept[b], job->kept[b] = NULL;
    return BLOB_OK;
  }
  uint32_t r = u32le(e), offset = u32le(e + 4), sealed = u32le(e + 8);
  if (r == NO_RANGE || r >= job->range_count || offset > job->ranges[r].len || job->ranges[r].len - offset < sealed) return BLOB_RANGE;
  int status = decode_blob(d, &job->keys, job->ranges[r].data + offset, sealed, raw, u32le(e + 16), e + 24, plain, len);
  if (status != BLOB_OK || left == 0) return status;
  job->kept[b] = malloc(*len > 0 ? *len : 1);
  if (job->kept[b] == NULL) return BLOB_INTERNAL;
  memcpy(job->kept[b], *plain, *len);
  return BLOB_OK;
}

/* errno, or 0 once all of `data` is written at `position`. */
static int write_all(int fd, const uint8_t *data, size_t len, off_t position) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pwrite(fd, data + done, len - done, position + (off_t)done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += (size_t)n;
  }
  return 0;
}

/*
 * Writes `data` at `position` of a file whose unwritten parts are holes, skipping aligned
 * all-zero blocks of 64 KiB (restore-writer.ts's writeSkippingZeros); *end becomes the
 * file offset past the last byte written, if that is further. errno or 0.
 */
static int write_skipping_zeros(int fd, const uint8_t *data, size_t len, off_t position, off_t *end) {
  if (len < 2 * ZERO_BLOCK) {
    int err = write_all(fd, data, len, position);
    if (err == 0 && position + (off_t)len > *end) *end = position + (off_t)len;
    return err;
  }
  size_t run = 0;
  for (size_t at = 0; at < len; at += ZERO_BLOCK) {
    size_t stop = at + ZERO_BLOCK < len ? at + ZERO_BLOCK : len;
    if (stop - at != ZERO_BLOCK || memcmp(data + at, ZEROS, ZERO_BLOCK) != 0) continue;
    if (at > run) {
      int err = write_all(fd, data + run, at - run, position + (off_t)run);
      if (err != 0) return err;
      if (position + (off_t)at > *end) *end = position + (off_t)at;
    }
    run = stop;
  }
  if (run == len) return 0;
  int err = write_all(fd, data + run, len - run, position + (off_t)run);
  if (err == 0 && position + (off_t)len > *end) *end = position + (off_t)len;
  return err;
}

/* The mode to create a file with so that it needs no chmod, or -1 (restore-writer.ts's exactCreateMode). */
static int exact_create_mode(const RestoreJob *job, const Piece *p) {
  if (!p->create || !p->meta || job->umask < 0) return -1;
  int bits = (int)p->mode & 07777;
  return (bits & ~job->umask) == bits && bits <= 0777 ? bits : -1;
}

/* mtime in ms as libuv's futime sets it from seconds: whole microseconds, truncated. */
static struct timespec to_timespec(double ms) {
  double seconds = ms / 1000;
  struct timespec ts;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  ts.tv_nsec -= ts.tv_nsec % 1000;
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000L;
    ts.tv_sec -= 1;
  }
  return ts;
}

/* fchown, fchmod, futimens as applyMeta does; the failed call's SYSCALL_* and errno, or 0. */
static int apply_meta(const RestoreJob *job, int fd, const Piece *p, int chmod, int *call) {
  if (job->ownership && fchown(fd, (uid_t)p->uid, (gid_t)p->gid) != 0) return *call = SYSCALL_FCHOWN, errno;
  if (chmod && fchmod(fd, (mode_t)((int)p->mode & 07777)) != 0) return *call = SYSCALL_FCHMOD, errno;
  struct timespec times[2] = {to_timespec(p->mtime), to_timespec(p->mtime)};
  if (futimens(fd, times) != 0) return *call = SYSCALL_FUTIME, errno;
  return 0;
}

/* Writes the piece's blobs and holes into an open file; 0, or records the failure and returns 1. */
static int write_refs(RestoreJob *job, Decoder *d, size_t index, const Piece *p, int fd, off_t *end, double *written) {
  off_t pos = (off_t)p->offset;
  for (size_t i = 0; i < p->ref_count; i++) {
    double ref = p->refs[i];
    if (ref < 0) {
      pos += (off_t)-ref;
      continue;
    }
    const uint8_t *data;
    size_t len;
    uint8_t *owned;
    if (ref >= (double)job->blob_count) return record(job, index, FAIL_BLOB, (int32_t)ref, BLOB_RANGE), 1;
    int status = blob_for_use(job, d, (size_t)ref, &data, &len, &owned);
    if (status != BLOB_OK) return record(job, index, FAIL_BLOB, (int32_t)ref, status), 1;
    int err = write_skipping_zeros(fd, data, len, pos, end);
    free(owned);
    if (err != 0) return record(job, index, FAIL_SYSCALL, err, SYSCALL_WRITE), 1;
    pos += (off_t)len;
    *written += (double)len;
  }
  return 0;
}

static void restore_piece(RestoreJob *job, Decoder *d, size_t index, const Piece *p) {
  int create_mode = exact_create_mode(job, p);
  int flags = (p->create ? O_WRONLY | O_CREAT | O_TRUNC : O_RDWR) | O_CLOEXEC;
  int fd = open(job->paths[index], flags, create_mode >= 0 ? (mode_t)create_mode : 0666);
  if (fd < 0) return record(job, index, FAIL_SYSCALL, errno, SYSCALL_OPEN);
  off_t end = 0;
  double written = 0;
  int failed = write_refs(job, d, index, p, fd, &end, &written);
  if (!failed && p->meta) {
    int call = SYSCALL_FTRUNCATE, err = 0;
    if (end < (off_t)p->size && ftruncate(fd, (off_t)p->size) != 0) err = errno;
    if (err == 0) err = apply_meta(job, fd, p, create_mode < 0, &call);
    if (err != 0) record(job, index, FAIL_SYSCALL, err, call), failed = 1;
  }
  if (close(fd) != 0 && !failed) record(job, index, FAIL_SYSCALL, errno, SYSCALL_CLOSE), failed = 1;
  if (!failed) job->bytes += written;
}

/* Counts each blob's uses, so a blob used again is kept, and only until its last use. */
static int count_uses(RestoreJob *job) {
  size_t at = 0;
  Piece p;
  for (size_t i = 0; i < job->piece_count; i++) {
    if (!next_piece(job, &at, &p)) return 0;
    for (size_t r = 0; r < p.ref_count; r++) {
      if (p.refs[r] >= 0 && (size_t)p.refs[r] < job->blob_count) job->uses[(size_t)p.refs[r]]++;
    }
  }
  return 1;
}

static void execute(napi_env env, void *data) {
  (void)env;
  RestoreJob *job = data;
  Decoder d;
  size_t at = 0;
  Piece p;
  int ready = decoder_init(&d) && count_uses(job);
  for (size_t i = 0; i < job->piece_count; i++) {
    if (!ready || !next_piece(job, &at, &p)) {
      record(job, i, FAIL_BLOB, -1, BLOB_INTERNAL);
      continue;
    }
    restore_piece(job, &d, i, &p);
  }
  decoder_free(&d);
}

static void free_job(napi_env env, RestoreJob *job) {
  for (int r = 0; r < 3; r++) {
    if (job->refs[r] != NULL) napi_delete_reference(env, job->refs[r]);
  }
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  for (size_t i = 0; job->paths != NULL && i < job->piece_count; i++) free(job->paths[i]);
  for (size_t b = 0; job->kept != NULL && b < job->blob_count; b++) free(job->kept[b]);
  free(job->paths);
  free(job->kept);
  free(job->uses);
  free(job->ranges);
  free(job->errors);
  wipe(&job->keys, sizeof job->keys);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  RestoreJob *job = data;
  napi_value result, bytes, errors, buffer;
  void *copy = NULL;
  size_t n = job->error_count * 4;
  if (status == napi_ok && napi_create_object(env, &result) == napi_ok && napi_create_double(env, job->bytes, &bytes) == napi_ok &&
      napi_create_arraybuffer(env, n * sizeof(int32_t), &copy, &buffer) == napi_ok &&
      napi_create_typedarray(env, napi_int32_array, n, buffer, 0, &errors) == napi_ok) {
    if (n > 0) memcpy(copy, job->errors, n * sizeof(int32_t));
    napi_set_named_property(env, result, "bytes", bytes);
    napi_set_named_property(env, result, "errors", errors);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    reject_with(env, job->deferred, "restorePieces: the work was cancelled");
  }
  free_job(env, job);
}

/* ranges[]: each element's bytes into job->ranges; 0 when one is not a Uint8Array. */
static int ranges_arg(napi_env env, napi_value array, RestoreJob *job) {
  uint32_t n = 0;
  bool is = false;
  if (napi_is_array(env, array, &is) != napi_ok || !is || napi_get_array_length(env, array, &n) != napi_ok) return 0;
  job->ranges = calloc(n > 0 ? n : 1, sizeof *job->ranges);
  if (job->ranges == NULL) return 0;
  job->range_count = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    uint8_t *data;
    if (napi_get_element(env, array, i, &v) != napi_ok || !bytes_arg(env, v, &data, &job->ranges[i].len)) return 0;
    job->ranges[i].data = data;
  }
  return 1;
}

/* paths[]: copied, one per piece; 0 when one is not a string. */
static int paths_arg(napi_env env, napi_value array, RestoreJob *job) {
  uint32_t n = 0;
  bool is = false;
  if (napi_is_array(env, array, &is) != napi_ok || !is || napi_get_array_length(env, array, &n) != napi_ok) return 0;
  job->paths = calloc(n > 0 ? n : 1, sizeof *job->paths);
  if (job->paths == NULL) return 0;
  job->piece_count = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    if (napi_get_element(env, array, i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return 0;
    if ((job->paths[i] = malloc(len + 1)) == NULL || napi_get_value_string_utf8(env, v, job->paths[i], len + 1, &len) != napi_ok) return 0;
  }
  return 1;
}

static int program_arg(napi_env env, napi_value v, RestoreJob *job) {
  bool is = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, &job->program_len, &data, NULL, NULL) != napi_ok || type != napi_float64_array) return 0;
  job->program = data;
  return 1;
}

/* Fills `job` from the nine arguments; 0 when they are not what restorePieces takes. */
static int job_args(napi_env env, napi_callback_info info, RestoreJob *job) {
  size_t argc = 9;
  napi_value argv[9];
  uint8_t *table;
  size_t table_len;
  bool ownership = false;
  int32_t umask = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 9) return 0;
  if (!keys_arg(env, argv, &job->keys) || !ranges_arg(env, argv[3], job) || !bytes_arg(env, argv[4], &table, &table_len) ||
      table_len % ENTRY_BYTES != 0 || !paths_arg(env, argv[5], job) || !program_arg(env, argv[6], job) ||
      napi_get_value_bool(env, argv[7], &ownership) != napi_ok || napi_get_value_int32(env, argv[8], &umask) != napi_ok) {
    return 0;
  }
  job->table = table;
  job->blob_count = table_len / ENTRY_BYTES;
  job->ownership = ownership;
  job->umask = umask;
  job->uses = calloc(job->blob_count > 0 ? job->blob_count : 1, sizeof *job->uses);
  job->kept = calloc(job->blob_count > 0 ? job->blob_count : 1, sizeof *job->kept);
  if (job->uses == NULL || job->kept == NULL) return 0;
  const int held[3] = {3, 4, 6};
  for (int r = 0; r < 3; r++) {
    if (napi_create_reference(env, argv[held[r]], 1, &job->refs[r]) != napi_ok) return 0;
  }
  return 1;
}

static napi_value restore_pieces(napi_env env, napi_callback_info info) {
  RestoreJob *job = calloc(1, sizeof *job);
  napi_value promise = NULL;
  if (job == NULL || !job_args(env, info, job)) {
    if (job != NULL) free_job(env, job);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "restorePieces(encKey, dataIdKey, treeIdKey, ranges, table, paths, program, ownership, umask): "
                          "three 32-byte keys, Uint8Arrays, a table of 56 bytes a blob, strings, a Float64Array, a boolean, an int");
    return NULL;
  }
  promise = queue_work(env, "holdfast.restorePieces", execute, complete, job, &job->deferred, &job->work);
  if (promise == NULL) free_job(env, job);
  return promise;
}

/* Registered only where node's zstd was found (verify.c looked it up). */
napi_status holdfast_register_restore(napi_env env, napi_value exports) {
  return export_function(env, exports, "restorePieces", restore_pieces);
}
