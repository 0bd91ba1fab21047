/* Reading N-API arguments (shared by the addon's files). */
#ifndef HOLDFAST_ARGS_H
#define HOLDFAST_ARGS_H
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "blob.h"

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

/* The three 32-byte keys (encKey, dataIdKey, treeIdKey) at argv[0 … 2]; 0 when they are not. */
static inline int keys_arg(napi_env env, const napi_value argv[3], BlobKeys *keys) {
  uint8_t *k[3];
  size_t len[3];
  for (int i = 0; i < 3; i++) {
    if (!bytes_arg(env, argv[i], &k[i], &len[i]) || len[i] != KEY_BYTES) return 0;
  }
  memcpy(keys->enc, k[0], KEY_BYTES);
  memcpy(keys->data_id, k[1], KEY_BYTES);
  memcpy(keys->tree_id, k[2], KEY_BYTES);
  return 1;
}

/* Zeroes key material before its memory is freed. */
static inline void wipe(void *p, size_t n) {
  volatile uint8_t *b = p;
  for (size_t i = 0; i < n; i++) b[i] = 0;
}

#endif
