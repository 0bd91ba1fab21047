/*
 * blockingPipe()                     -> [readFd, writeFd]
 * adoptPipe(fd)                      -> true when fd is a pipe, now blocking and of 1 MiB
 * readAtLeast(fd, buffer, min[, waitMs]) -> Promise<bytes read, or -1>
 *
 * A stream backup reads a command's standard output (a database dump). pg_dump writes it
 * 4 KiB at a time; read through Node's event loop, every write wakes the loop for a read
 * of a few KiB (~42,000 of them for a 327 MB dump), and the dump took a second longer
 * than with nobody reading it slowly. Here the command writes into a pipe of 1 MiB, and a
 * thread of libuv's pool reads it with plain blocking reads until `min` bytes (or the
 * end) are in the caller's buffer: one callback per MiB.
 *
 * blockingPipe: pipe2 with O_CLOEXEC (the child gets the write end as its stdout through
 * dup2, which clears the flag), blocking, 1 MiB when the system allows (F_SETPIPE_SZ).
 * adoptPipe: for a pipe holdfast was given (its standard input): clears O_NONBLOCK and asks
 * for 1 MiB; false, untouched, when fd is not a pipe (a file, a terminal).
 * readAtLeast: resolves with the bytes read: 0 means the end; fewer than `min` at the end,
 * or when `waitMs` passed (then -1 if nothing came), so a caller can stop reading a writer
 * that goes quiet; rejects with an Error whose `code` is the errno name. The buffer must not be
 * touched until it settles.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "napi_util.h"

#define PIPE_BYTES (1 << 20)
#define SHORT_READ (64 << 10)

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref buffer;
  int fd;
  uint8_t *data;
  size_t min;
  size_t max;
  size_t got;
  int wait_ms; /* < 0: no limit */
  int timed_out;
  int err;
} ReadJob;

static napi_value throw_errno(napi_env env, int err) {
  napi_throw_error(env, strerrorname_np(err), strerror(err));
  return NULL;
}

/* Asks for a 1 MiB pipe; a smaller one still works (pipe-max-size may forbid it). */
static void widen_pipe(int fd) {
  if (fcntl(fd, F_GETPIPE_SZ) < PIPE_BYTES) (void)fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES);
}

static napi_value blocking_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, errno);
  widen_pipe(fds[1]);
  napi_value out, r, w;
  if (napi_create_array_with_length(env, 2, &out) != napi_ok || napi_create_int32(env, fds[0], &r) != napi_ok ||
      napi_create_int32(env, fds[1], &w) != napi_ok || napi_set_element(env, out, 0, r) != napi_ok ||
      napi_set_element(env, out, 1, w) != napi_ok) {
    close(fds[0]);
    close(fds[1]);
    return NULL;
  }
  return out;
}

static napi_value adopt_pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  struct stat st;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "adoptPipe(fd: number)");
    return NULL;
  }
  if (fstat(fd, &st) != 0) return throw_errno(env, errno);
  int pipe = S_ISFIFO(st.st_mode);
  if (pipe) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) return throw_errno(env, errno);
    widen_pipe(fd);
  }
  napi_value out;
  return napi_get_boolean(env, pipe, &out) == napi_ok ? out : NULL;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until fd is readable or `deadline` passes (then 0); 1 when readable, -1 on error. */
static int readable_by(int fd, long long deadline) {
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return -1;
  }
}

static void read_execute(napi_env env, void *data) {
  (void)env;
  ReadJob *job = data;
  /* A blocking read returns each small write on its own, waking this thread for every 4 KiB
   * the writer sends. After a short read, let a pipe that holds 1 MiB fill for half a
   * millisecond first (a writer at 1 GB/s fills half of it); a smaller pipe would stall
   * its writer, so it is read at once. */
  int pause_ok = fcntl(job->fd, F_GETPIPE_SZ) >= PIPE_BYTES;
  const struct timespec pause = {0, 500000};
  long long deadline = job->wait_ms >= 0 ? now_ms() + job->wait_ms : 0;
  while (job->got < job->min) {
    if (job->wait_ms >= 0) {
      int r = readable_by(job->fd, deadline);
      if (r == 0) {
        job->timed_out = 1;
        break;
      }
      if (r < 0) {
        job->err = errno;
        break;
      }
    }
    ssize_t n = read(job->fd, job->data + job->got, job->max - job->got);
    if (n > 0) {
      job->got += (size_t)n;
      if (pause_ok && n < SHORT_READ && job->got < job->min) nanosleep(&pause, NULL);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      job->err = errno;
      break;
    }
  }
}

static void read_complete(napi_env env, napi_status status, void *data) {
  ReadJob *job = data;
  napi_value result = NULL;
  if (status != napi_ok) job->err = job->err ? job->err : ECANCELED;
  if (job->err != 0) {
    napi_value code, message;
    napi_create_string_utf8(env, strerrorname_np(job->err), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(job->err), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &result);
    napi_reject_deferred(env, job->deferred, result);
  } else {
    napi_create_double(env, job->timed_out && job->got == 0 ? -1.0 : (double)job->got, &result);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_reference(env, job->buffer);
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value read_at_least(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd;
  int32_t wait_ms = -1;
  int64_t min;
  size_t length;
  uint8_t *bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return NULL;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[2], &min) != napi_ok ||
      !bytes_arg(env, argv[1], &bytes, &length)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "readAtLeast(fd: number, buffer: Uint8Array, min: number, waitMs?: number)");
    return NULL;
  }
  napi_valuetype wait_type = napi_undefined;
  if (argc >= 4 && napi_typeof(env, argv[3], &wait_type) == napi_ok && wait_type != napi_undefined &&
      (napi_get_value_int32(env, argv[3], &wait_ms) != napi_ok || wait_ms < 0)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "waitMs must be a number of milliseconds, 0 or more");
    return NULL;
  }
  if (min < 1 || (uint64_t)min > length) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "min must be between 1 and the buffer's length");
    return NULL;
  }
  ReadJob *job = calloc(1, sizeof(ReadJob));
  if (job == NULL) return throw_errno(env, ENOMEM);
  job->fd = fd;
  job->data = bytes;
  job->min = (size_t)min;
  job->max = length;
  job->wait_ms = wait_ms;
  napi_value promise = NULL;
  if (napi_create_reference(env, argv[1], 1, &job->buffer) != napi_ok ||
      (promise = queue_work(env, "holdfast.readAtLeast", read_execute, read_complete, job, &job->deferred, &job->work)) == NULL) {
    if (job->buffer != NULL) napi_delete_reference(env, job->buffer);
    free(job); /* only reached before the work was queued */
    return NULL;
  }
  return promise;
}

napi_status holdfast_register_pipe(napi_env env, napi_value exports) {
  napi_status s = export_function(env, exports, "blockingPipe", blocking_pipe);
  if (s == napi_ok) s = export_function(env, exports, "adoptPipe", adopt_pipe);
  if (s == napi_ok) s = export_function(env, exports, "readAtLeast", read_at_least);
  return s;
}
