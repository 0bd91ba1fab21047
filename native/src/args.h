/* Reading the repository's keys from N-API arguments (verify.c, restore.c). */
#ifndef HOLDFAST_ARGS_H
#define HOLDFAST_ARGS_H
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "blob.h"
#include "napi_util.h"

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

#endif
