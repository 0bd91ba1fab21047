/*
 * FastCDC cut points for the native backup (seal_files.c). The format contract is written
 * in src/repo/chunker/fastcdc.ts: a gear hash rolled over the 32 bytes before each
 * candidate end, a harder mask up to the average size and an easier one after it. This is
 * the same computation; test/engine/native-seal.test.ts checks that both cut every test
 * input at the same offsets.
 */
#include "fastcdc.h"

#define WINDOW 32
#define NORMALIZATION 2

static uint32_t top_bits(unsigned bits) {
  return ~0u << (32 - bits);
}

int cdc_init(Cdc *c, const uint8_t *gear_le, size_t gear_len, uint32_t min, uint32_t avg, uint32_t max) {
  unsigned bits = 0;
  while (bits < 32 && (1u << bits) < avg) bits++;
  if (gear_len != 1024 || avg < 256 || (1u << bits) != avg || min < 2 * WINDOW || !(min < avg && avg < max)) return 0;
  for (int i = 0; i < 256; i++) {
    const uint8_t *g = gear_le + 4 * i;
    c->gear[i] = (uint32_t)g[0] | (uint32_t)g[1] << 8 | (uint32_t)g[2] << 16 | (uint32_t)g[3] << 24;
  }
  c->min = min;
  c->avg = avg;
  c->max = max;
  c->mask_s = top_bits(bits + NORMALIZATION);
  c->mask_l = top_bits(bits - NORMALIZATION);
  return 1;
}

/* The end just after the first byte in [from, to) where the hash meets `mask`, or -1. */
static int64_t scan(const Cdc *c, const uint8_t *data, size_t from, size_t to, uint32_t mask) {
  uint32_t h = 0;
  for (size_t i = from - (WINDOW - 1); i < from; i++) h = (h << 1) + c->gear[data[i]];
  for (size_t i = from; i < to; i++) {
    h = (h << 1) + c->gear[data[i]];
    if ((h & mask) == 0) return (int64_t)(i + 1);
  }
  return -1;
}

int64_t cdc_cut(const Cdc *c, const uint8_t *data, size_t start, size_t end, int final, size_t scanned) {
  int decided = final || end - start >= c->max;
  size_t limit = end < start + c->max ? end : start + c->max;
  if (limit - start <= c->min) return decided ? (int64_t)limit : -1;
  size_t normal_end = start + c->avg;
  size_t normal = limit < normal_end ? limit : normal_end;
  size_t from = start + (c->min - 1 > scanned ? c->min - 1 : scanned);
  if (from < normal) {
    int64_t hit = scan(c, data, from, normal, c->mask_s);
    if (hit >= 0) return hit;
    from = normal;
  }
  if (normal < normal_end) return decided ? (int64_t)limit : -1;
  if (from < limit) {
    int64_t tail = scan(c, data, from, limit, c->mask_l);
    if (tail >= 0) return tail;
  }
  return decided ? (int64_t)limit : -1;
}
