/*
 * listDir(path) -> Promise<{ error, names, stats, errnos }>
 *
 * One directory of a backup's source tree, read on a thread of libuv's pool: its entries'
 * names (in the order readdir gives them, without . and ..) and each entry's lstat, as
 * ten float64s in dir-listing.ts's STAT_FIELDS order (mode, uid, gid, mtimeMs, ctimeMs,
 * ino, dev, nlink, size, rdev), computed as Node computes its Stats numbers, so a file
 * compares equal with what an earlier backup recorded through Node's lstat. The backup's
 * scan then needs no worker isolate of its own (ADR 0037).
 *
 * `error` is readdir's errno (0 when the directory was read; there are then no names);
 * `errnos` holds lstat's errno per entry (0 when it succeeded). The caller words them.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "napi_util.h"

#define FIELDS 10

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  char **names;
  size_t count, cap;
  double *stats;
  int32_t *errnos;
  int error;
} ListJob;

static int add_name(ListJob *job, const char *name) {
  if (job->count == job->cap) {
    size_t cap = job->cap ? job->cap * 2 : 64;
    char **grown = realloc(job->names, cap * sizeof *grown);
    if (grown == NULL) return 0;
    job->names = grown;
    job->cap = cap;
  }
  return (job->names[job->count++] = strdup(name)) != NULL;
}

/* Node's milliseconds from a timespec: seconds * 1e3 + nanoseconds / 1e6. */
static double ms(struct timespec t) {
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void fill(double *out, const struct stat *st) {
  out[0] = (double)st->st_mode;
  out[1] = (double)st->st_uid;
  out[2] = (double)st->st_gid;
  out[3] = ms(st->st_mtim);
  out[4] = ms(st->st_ctim);
  out[5] = (double)st->st_ino;
  out[6] = (double)st->st_dev;
  out[7] = (double)st->st_nlink;
  out[8] = (double)st->st_size;
  out[9] = (double)st->st_rdev;
}

static void execute(napi_env env, void *data) {
  (void)env;
  ListJob *job = data;
  DIR *dir = opendir(job->path);
  if (dir == NULL) {
    job->error = errno;
    return;
  }
  for (;;) {
    errno = 0; /* readdir's end and its failure both return NULL; errno tells them apart */
    struct dirent *e = readdir(dir);
    if (e == NULL) {
      job->error = errno;
      break;
    }
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (!add_name(job, e->d_name)) {
      job->error = ENOMEM;
      break;
    }
  }
  job->stats = calloc(job->count * FIELDS + 1, sizeof *job->stats);
  job->errnos = calloc(job->count + 1, sizeof *job->errnos);
  if (job->error == 0 && (job->stats == NULL || job->errnos == NULL)) job->error = ENOMEM;
  for (size_t i = 0; job->error == 0 && i < job->count; i++) {
    struct stat st;
    if (fstatat(dirfd(dir), job->names[i], &st, AT_SYMLINK_NOFOLLOW) == 0) fill(job->stats + i * FIELDS, &st);
    else job->errnos[i] = errno;
  }
  closedir(dir);
}

static void free_job(napi_env env, ListJob *job) {
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  for (size_t i = 0; i < job->count; i++) free(job->names[i]);
  free(job->names);
  free(job->stats);
  free(job->errnos);
  free(job->path);
  free(job);
}

/* { error, names, stats, errnos } of the job; NULL when N-API fails. */
static napi_value result_of(napi_env env, ListJob *job) {
  size_t n = job->error == 0 ? job->count : 0;
  napi_value result, error, names, stats_buf, stats, errnos_buf, errnos, name;
  void *stats_data, *errnos_data;
  if (napi_create_object(env, &result) != napi_ok || napi_create_int32(env, job->error, &error) != napi_ok ||
      napi_create_array_with_length(env, n, &names) != napi_ok ||
      napi_create_arraybuffer(env, n * FIELDS * sizeof(double), &stats_data, &stats_buf) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, n * FIELDS, stats_buf, 0, &stats) != napi_ok ||
      napi_create_arraybuffer(env, n * sizeof(int32_t), &errnos_data, &errnos_buf) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, n, errnos_buf, 0, &errnos) != napi_ok) {
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    if (napi_create_string_utf8(env, job->names[i], NAPI_AUTO_LENGTH, &name) != napi_ok || napi_set_element(env, names, (uint32_t)i, name) != napi_ok) return NULL;
  }
  if (n > 0) {
    memcpy(stats_data, job->stats, n * FIELDS * sizeof(double));
    memcpy(errnos_data, job->errnos, n * sizeof(int32_t));
  }
  if (napi_set_named_property(env, result, "error", error) != napi_ok || napi_set_named_property(env, result, "names", names) != napi_ok ||
      napi_set_named_property(env, result, "stats", stats) != napi_ok || napi_set_named_property(env, result, "errnos", errnos) != napi_ok) {
    return NULL;
  }
  return result;
}

static void complete(napi_env env, napi_status status, void *data) {
  ListJob *job = data;
  napi_value result = status == napi_ok ? result_of(env, job) : NULL;
  if (result != NULL) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    reject_with(env, job->deferred, "listDir: the work failed or was cancelled");
  }
  free_job(env, job);
}

static napi_value list_dir(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1], promise;
  ListJob *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ERR_MEMORY", "listDir: out of memory");
    return NULL;
  }
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok || (job->path = malloc(len + 1)) == NULL ||
      napi_get_value_string_utf8(env, argv[0], job->path, len + 1, &len) != napi_ok) {
    free_job(env, job);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "listDir(path) takes a string");
    return NULL;
  }
  promise = queue_work(env, "holdfast.listDir", execute, complete, job, &job->deferred, &job->work);
  if (promise == NULL) free_job(env, job);
  return promise;
}

napi_status holdfast_register_listdir(napi_env env, napi_value exports) {
  return export_function(env, exports, "listDir", list_dir);
}
