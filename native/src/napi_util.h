/* Small N-API helpers shared by the addon's files. */
#ifndef HOLDFAST_NAPI_UTIL_H
#define HOLDFAST_NAPI_UTIL_H
#include <node_api.h>
#include <stdint.h>
#include <string.h>

/* The bytes of a Uint8Array (a Buffer is one); 0 when `v` is something else. */
static inline int bytes_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  napi_typedarray_type type;
  void *d = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, &d, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = d;
  return 1;
}

/*
 * Queues `execute` (on a thread of libuv's pool) and then `complete` (on the JavaScript
 * thread) under `name`; returns the promise they settle through *deferred, or NULL once
 * an error is thrown (nothing was queued: the caller frees `data`).
 */
static inline napi_value queue_work(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete,
                                    void *data, napi_deferred *deferred, napi_async_work *work) {
  napi_value promise, resource;
  if (napi_create_promise(env, deferred, &promise) != napi_ok || napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource) != napi_ok ||
      napi_create_async_work(env, NULL, resource, execute, complete, data, work) != napi_ok) {
    napi_throw_error(env, "ERR_INTERNAL", "cannot queue the work on libuv's pool");
    return NULL;
  }
  if (napi_queue_async_work(env, *work) != napi_ok) {
    napi_delete_async_work(env, *work);
    *work = NULL;
    napi_throw_error(env, "ERR_INTERNAL", "cannot queue the work on libuv's pool");
    return NULL;
  }
  return promise;
}

/* Rejects `deferred` with an Error of `message`. */
static inline void reject_with(napi_env env, napi_deferred deferred, const char *message) {
  napi_value text, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &err);
  napi_reject_deferred(env, deferred, err);
}

/* Resolves `deferred` with a new Buffer holding a copy of `len` bytes at `data`; rejects with `no_memory` when it cannot be made. */
static inline void resolve_copy(napi_env env, napi_deferred deferred, const void *data, size_t len, const char *no_memory) {
  napi_value buffer;
  void *copy = NULL;
  if (napi_create_buffer(env, len, &copy, &buffer) != napi_ok) {
    reject_with(env, deferred, no_memory);
    return;
  }
  if (len > 0) memcpy(copy, data, len);
  napi_resolve_deferred(env, deferred, buffer);
}

/* exports[name] = a function calling `cb`. */
static inline napi_status export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_status s = napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  return s == napi_ok ? napi_set_named_property(env, exports, name, fn) : s;
}

/* Zeroes key material before its memory is freed. */
static inline void wipe(void *p, size_t n) {
  volatile uint8_t *b = p;
  for (size_t i = 0; i < n; i++) b[i] = 0;
}

#endif
