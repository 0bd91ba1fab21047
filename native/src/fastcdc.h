/* FastCDC cut points (fastcdc.c), the same as src/repo/chunker/fastcdc.ts's Chunker. */
#ifndef HOLDFAST_FASTCDC_H
#define HOLDFAST_FASTCDC_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t gear[256];
  size_t min, avg, max;
  uint32_t mask_s, mask_l;
} Cdc;

/*
 * Sets up `c` from the repository's gear table (256 little-endian u32, 1,024 bytes) and
 * chunk sizes; 0 when they are not usable (the TypeScript side validated them already).
 */
int cdc_init(Cdc *c, const uint8_t *gear_le, size_t gear_len, uint32_t min, uint32_t avg, uint32_t max);

/*
 * Chunker.cutAvailable: the end offset of the chunk that begins at `start`, looking at
 * data[start, end) (`final`: the input ends at `end`), or -1 when more input is needed.
 * `scanned` bytes after `start` were tested by an earlier call for this chunk.
 */
int64_t cdc_cut(const Cdc *c, const uint8_t *data, size_t start, size_t end, int final, size_t scanned);

#endif
