/*
 * BLAKE3 (plain and keyed, 32-byte output) of a whole buffer, for work that runs on
 * libuv's thread pool where the JavaScript binding cannot be called (blob ids in
 * verify.c). Written from the BLAKE3 specification (O'Connor, Aumasson, Neves,
 * Wilcox-O'Hearn, 2020):
 *
 * - the input is cut into chunks of 1024 bytes, each compressed block by block (64 bytes)
 *   from the key words (or the IV) with the chunk's index as the counter;
 * - chunk chaining values are merged pairwise in a left-complete binary tree: a subtree of
 *   n chunks has 2^k on its left, the largest power of two below n;
 * - the last compression (the root chunk's last block, or the root parent) carries ROOT.
 *
 * Full chunks are hashed several at a time with GCC vector types: each lane is one chunk,
 * so the compression runs on 8 states at once (AVX2, or SSE2 on the x86-64 baseline:
 * `target_clones` builds both and picks one when the addon loads), or on 16 with AVX-512.
 * Partial chunks and parent nodes go one at a time. The speed is ~3.6 GB/s a core on
 * blobs of 64 KiB and up here (@napi-rs/blake-hash's hand-written assembly: ~5.3).
 * src/mover/verify/native-verifier.test.ts compares the output with @napi-rs/blake-hash
 * at every tree shape.
 */
#include "blake3.h"
#include <stdlib.h>
#include <string.h>

#define CHUNK_LEN 1024
#define BLOCK_LEN 64
#define LANES 8

enum { CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8, KEYED_HASH = 16 };

static const uint32_t IV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

/* Word k of round r's message is m[SCHEDULE[r][k]]: the permutation applied r times. */
static const uint8_t SCHEDULE[7][16] = {
  {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
  {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
  {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
  {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
  {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
  {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
  {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t load32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t rotr(uint32_t x, int n) { return x >> n | x << (32 - n); }

#define G(s, a, b, c, d, x, y)                 \
  do {                                         \
    s[a] = s[a] + s[b] + (x);                  \
    s[d] = ROTR(s[d] ^ s[a], 16);              \
    s[c] = s[c] + s[d];                        \
    s[b] = ROTR(s[b] ^ s[c], 12);              \
    s[a] = s[a] + s[b] + (y);                  \
    s[d] = ROTR(s[d] ^ s[a], 8);               \
    s[c] = s[c] + s[d];                        \
    s[b] = ROTR(s[b] ^ s[c], 7);               \
  } while (0)

#define ROUNDS(s, m)                                                    \
  _Pragma("GCC unroll 7")                                               \
  for (int r = 0; r < 7; r++) {                                         \
    const uint8_t *w = SCHEDULE[r];                                     \
    G(s, 0, 4, 8, 12, m[w[0]], m[w[1]]);                                \
    G(s, 1, 5, 9, 13, m[w[2]], m[w[3]]);                                \
    G(s, 2, 6, 10, 14, m[w[4]], m[w[5]]);                               \
    G(s, 3, 7, 11, 15, m[w[6]], m[w[7]]);                               \
    G(s, 0, 5, 10, 15, m[w[8]], m[w[9]]);                               \
    G(s, 1, 6, 11, 12, m[w[10]], m[w[11]]);                             \
    G(s, 2, 7, 8, 13, m[w[12]], m[w[13]]);                              \
    G(s, 3, 4, 9, 14, m[w[14]], m[w[15]]);                              \
  }

#define ROTR(x, n) rotr((x), (n))

/* One compression; `cv` becomes the first half of the output (all a 32-byte hash needs). */
static void compress(uint32_t cv[8], const uint8_t block[BLOCK_LEN], uint64_t counter, uint32_t len, uint32_t flags) {
  uint32_t m[16];
  for (int i = 0; i < 16; i++) m[i] = load32(block + 4 * i);
  uint32_t s[16] = {cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7], IV[0], IV[1], IV[2], IV[3],
                    (uint32_t)counter, (uint32_t)(counter >> 32), len, flags};
  ROUNDS(s, m);
  for (int i = 0; i < 8; i++) cv[i] = s[i] ^ s[i + 8];
}

#undef ROTR

typedef uint32_t v8u __attribute__((vector_size(32)));
typedef uint8_t v32b __attribute__((vector_size(32)));

/* Rotations by 16 and 8 bits move whole bytes: one byte shuffle instead of two shifts and an or. */
#define BY16 ((v32b){2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 18, 19, 16, 17, 22, 23, 20, 21, 26, 27, 24, 25, 30, 31, 28, 29})
#define BY8 ((v32b){1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 17, 18, 19, 16, 21, 22, 23, 20, 25, 26, 27, 24, 29, 30, 31, 28})
#define ROTR_BYTES(x, n) ((v8u)__builtin_shuffle((v32b)(x), (n) == 16 ? BY16 : BY8))

#define ROTR(x, n) ((n) == 16 || (n) == 8 ? ROTR_BYTES((x), (n)) : (x) >> (n) | (x) << (32 - (n)))

/*
 * Eight words at offset `at` of each of the eight chunks, as vectors with one chunk per lane:
 * out[i][j] is word i of chunk j. Loads a row per chunk and transposes the 8 x 8 words
 * in three rounds of shuffles (pairs of words, pairs of pairs, then halves).
 */
static inline void load_transposed(const uint8_t *const chunks[LANES], size_t at, v8u out[8]) {
  v8u r[8], t[8], u[8];
  for (int j = 0; j < LANES; j++) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&r[j], chunks[j] + at, sizeof r[j]);
#else
    for (int i = 0; i < 8; i++) r[j][i] = load32(chunks[j] + at + 4 * (size_t)i);
#endif
  }
  for (int k = 0; k < 8; k += 2) {
    t[k] = __builtin_shuffle(r[k], r[k + 1], (v8u){0, 8, 1, 9, 4, 12, 5, 13});
    t[k + 1] = __builtin_shuffle(r[k], r[k + 1], (v8u){2, 10, 3, 11, 6, 14, 7, 15});
  }
  for (int k = 0; k < 8; k += 4) {
    u[k] = __builtin_shuffle(t[k], t[k + 2], (v8u){0, 1, 8, 9, 4, 5, 12, 13});
    u[k + 1] = __builtin_shuffle(t[k], t[k + 2], (v8u){2, 3, 10, 11, 6, 7, 14, 15});
    u[k + 2] = __builtin_shuffle(t[k + 1], t[k + 3], (v8u){0, 1, 8, 9, 4, 5, 12, 13});
    u[k + 3] = __builtin_shuffle(t[k + 1], t[k + 3], (v8u){2, 3, 10, 11, 6, 7, 14, 15});
  }
  for (int i = 0; i < 4; i++) {
    out[i] = __builtin_shuffle(u[i], u[i + 4], (v8u){0, 1, 2, 3, 8, 9, 10, 11});
    out[i + 4] = __builtin_shuffle(u[i], u[i + 4], (v8u){4, 5, 6, 7, 12, 13, 14, 15});
  }
}

/*
 * GCC 12 warns that s[15] may be used uninitialized when it lowers the vectors below for
 * the baseline clone (every element is assigned; the BLAKE3 test compares outputs).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

/*
 * The body of hash8 and hash16: the chaining values of N full chunks, chunk j at
 * `chunks[j]` with counter `counter + j` (a lane with nothing to hash repeats a chunk, and
 * its result is unused). V is the vector type of N lanes; LOAD(m, b) fills the message
 * words of block b, one chunk per lane.
 */
#define HASH_CHUNKS(V, N, LOAD)                                                                        \
  V h[8], lo = {0}, hi = {0};                                                                          \
  for (int i = 0; i < 8; i++) h[i] = (V){0} + key[i];                                                  \
  for (int j = 0; j < (N); j++) {                                                                      \
    lo[j] = (uint32_t)(counter + (uint64_t)j);                                                         \
    hi[j] = (uint32_t)((counter + (uint64_t)j) >> 32);                                                 \
  }                                                                                                    \
  for (int b = 0; b < CHUNK_LEN / BLOCK_LEN; b++) {                                                    \
    V m[16], s[16];                                                                                    \
    LOAD(m, b);                                                                                        \
    uint32_t f = flags | (b == 0 ? CHUNK_START : 0) | (b == CHUNK_LEN / BLOCK_LEN - 1 ? CHUNK_END : 0); \
    for (int i = 0; i < 8; i++) s[i] = h[i];                                                           \
    for (int i = 0; i < 4; i++) s[8 + i] = (V){0} + IV[i];                                             \
    s[12] = lo;                                                                                        \
    s[13] = hi;                                                                                        \
    s[14] = (V){0} + BLOCK_LEN;                                                                        \
    s[15] = (V){0} + f;                                                                                \
    ROUNDS(s, m);                                                                                      \
    for (int i = 0; i < 8; i++) h[i] = s[i] ^ s[i + 8];                                                \
  }                                                                                                    \
  for (int j = 0; j < (N); j++) {                                                                      \
    for (int i = 0; i < 8; i++) out[j][i] = h[i][j];                                                   \
  }

#define LOAD8(m, b)                                           \
  do {                                                        \
    load_transposed(chunks, (size_t)(b) * BLOCK_LEN, m);      \
    load_transposed(chunks, (size_t)(b) * BLOCK_LEN + 32, m + 8); \
  } while (0)

/* Eight chunks at once. */
__attribute__((target_clones("avx2", "default")))
static void hash8(const uint32_t key[8], const uint8_t *const chunks[LANES], uint64_t counter, uint32_t flags, uint32_t out[LANES][8]) {
  HASH_CHUNKS(v8u, LANES, LOAD8)
}

#undef ROTR

/*
 * Sixteen chunks at once on CPUs with AVX-512 (where the rotations by 16 and 8 are single
 * instructions too): each sixteen-lane message word joins two eight-lane halves.
 */
#define WIDE 16
typedef uint32_t v16u __attribute__((vector_size(64)));
typedef union {
  v16u v;
  v8u half[2];
} Join;
#define ROTR(x, n) ((x) >> (n) | (x) << (32 - (n)))

__attribute__((target("avx512f")))
static inline void load16(const uint8_t *const chunks[WIDE], int b, v16u m[16]) {
  v8u left[16], right[16];
  load_transposed(chunks, (size_t)b * BLOCK_LEN, left);
  load_transposed(chunks, (size_t)b * BLOCK_LEN + 32, left + 8);
  load_transposed(chunks + LANES, (size_t)b * BLOCK_LEN, right);
  load_transposed(chunks + LANES, (size_t)b * BLOCK_LEN + 32, right + 8);
  for (int i = 0; i < 16; i++) {
    Join w = {.half = {left[i], right[i]}};
    m[i] = w.v;
  }
}

#define LOAD16(m, b) load16(chunks, b, m)

__attribute__((target("avx512f")))
static void hash16(const uint32_t key[8], const uint8_t *const chunks[WIDE], uint64_t counter, uint32_t flags, uint32_t out[WIDE][8]) {
  HASH_CHUNKS(v16u, WIDE, LOAD16)
}

#pragma GCC diagnostic pop
#undef ROTR

/* How many chunks one vector call hashes on this CPU. */
static size_t vector_width(void) {
  static size_t width = 0;
  if (width == 0) width = __builtin_cpu_supports("avx512f") ? WIDE : LANES;
  return width;
}

/* Full chunks [c, c + n) (2 <= n <= vector_width()) hashed in vector lanes into cvs[c …]. */
static void hash_group(const uint32_t key[8], const uint8_t *in, size_t c, size_t n, uint32_t flags, uint32_t (*cvs)[8]) {
  const uint8_t *lanes[WIDE];
  uint32_t group[WIDE][8];
  size_t width = n > LANES ? WIDE : LANES;
  for (size_t j = 0; j < width; j++) lanes[j] = in + (c + (j < n ? j : 0)) * CHUNK_LEN;
  if (width == WIDE) hash16(key, lanes, c, flags, group);
  else hash8(key, lanes, c, flags, group);
  memcpy(cvs + c, group, n * sizeof group[0]);
}

/* A chunk of `len` bytes (0 … CHUNK_LEN) compressed block by block into `cv`. */
static void hash_chunk(const uint32_t key[8], const uint8_t *in, size_t len, uint64_t counter, uint32_t flags, uint32_t cv[8]) {
  memcpy(cv, key, 32);
  size_t blocks = len == 0 ? 1 : (len + BLOCK_LEN - 1) / BLOCK_LEN;
  for (size_t b = 0; b < blocks; b++) {
    uint8_t block[BLOCK_LEN] = {0};
    size_t n = len - b * BLOCK_LEN < BLOCK_LEN ? len - b * BLOCK_LEN : BLOCK_LEN;
    if (n > 0) memcpy(block, in + b * BLOCK_LEN, n);
    uint32_t f = (flags & ~(uint32_t)ROOT) | (b == 0 ? CHUNK_START : 0) | (b == blocks - 1 ? CHUNK_END | (flags & ROOT) : 0);
    compress(cv, block, counter, (uint32_t)n, f);
  }
}

static void parent(const uint32_t key[8], const uint32_t left[8], const uint32_t right[8], uint32_t flags, uint32_t out[8]) {
  uint8_t block[BLOCK_LEN];
  for (int i = 0; i < 8; i++) {
    for (int k = 0; k < 4; k++) {
      block[4 * i + k] = (uint8_t)(left[i] >> (8 * k));
      block[32 + 4 * i + k] = (uint8_t)(right[i] >> (8 * k));
    }
  }
  memcpy(out, key, 32);
  compress(out, block, 0, BLOCK_LEN, flags | PARENT);
}

/* The chaining value of chunks [a, b) of `cvs`; ROOT in `root` only for the whole tree. */
static void merge(const uint32_t key[8], uint32_t (*cvs)[8], size_t a, size_t b, uint32_t flags, uint32_t root, uint32_t out[8]) {
  if (b - a == 1) {
    memcpy(out, cvs[a], 32);
    return;
  }
  size_t left = 1;
  while (left * 2 < b - a) left *= 2;
  uint32_t l[8], r[8];
  merge(key, cvs, a, a + left, flags, 0, l);
  merge(key, cvs, a + left, b, flags, 0, r);
  parent(key, l, r, flags | root, out);
}

static void write_out(const uint32_t cv[8], uint8_t out[BLAKE3_OUT_LEN]) {
  for (int i = 0; i < 8; i++) {
    for (int k = 0; k < 4; k++) out[4 * i + k] = (uint8_t)(cv[i] >> (8 * k));
  }
}

int blake3_hash(const uint8_t *key, const uint8_t *in, size_t len, uint8_t out[BLAKE3_OUT_LEN]) {
  uint32_t k[8];
  uint32_t flags = key == NULL ? 0 : KEYED_HASH;
  for (int i = 0; i < 8; i++) k[i] = key == NULL ? IV[i] : load32(key + 4 * i);
  uint32_t root[8];
  if (len <= CHUNK_LEN) {
    hash_chunk(k, in, len, 0, flags | ROOT, root);
    write_out(root, out);
    return 0;
  }
  size_t chunks = (len + CHUNK_LEN - 1) / CHUNK_LEN;
  uint32_t (*cvs)[8] = malloc(chunks * sizeof *cvs);
  if (cvs == NULL) return -1;
  size_t full = len / CHUNK_LEN;
  size_t c = 0;
  /* Full chunks sixteen (or eight) at a time; the last group too when it has two or more
   * (a vector compression of all lanes costs about what two scalar ones do). */
  while (full - c >= 2) {
    size_t n = full - c < vector_width() ? full - c : vector_width();
    hash_group(k, in, c, n, flags, cvs);
    c += n;
  }
  for (; c < chunks; c++) {
    size_t n = len - c * CHUNK_LEN < CHUNK_LEN ? len - c * CHUNK_LEN : CHUNK_LEN;
    hash_chunk(k, in + c * CHUNK_LEN, n, c, flags, cvs[c]);
  }
  merge(k, cvs, 0, chunks, flags, ROOT, root);
  free(cvs);
  write_out(root, out);
  return 0;
}
