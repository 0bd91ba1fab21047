/**
 * FastCDC content-defined chunking (Xia et al., USENIX ATC 2016), as Holdfast cuts
 * every byte stream before deduplication.
 *
 * A gear hash rolls over the input one byte at a time: `h = (h << 1) + gear[byte]`
 * (32-bit). Shifting left by one per byte means bit k of `h` depends on the last k + 1
 * bytes only, so the top bits are a function of the 32 bytes that end at the current
 * position and nothing before them. A chunk ends after byte j when the top bits of
 * the hash selected by a mask are all zero. Because the decision depends only on
 * local content, inserting or deleting bytes moves the boundaries near the edit and
 * leaves all later boundaries where they were (relative to the content).
 *
 * Normalized chunking: candidate cut points closer than `avgSize` to the chunk start
 * are tested against a harder mask (two more bits), those beyond it against an
 * easier mask (two fewer bits). This pulls chunk sizes towards the average.
 * No cut is taken before `minSize` (those bytes are not even hashed: the main speed
 * gain of FastCDC) and a chunk is cut unconditionally at `maxSize`.
 *
 * Format contract (chunk boundaries decide dedup across snapshots, so these rules
 * must never change for a repository). For a chunk starting at `s`, candidate ends `e`
 * with `minSize <= e - s < maxSize` are tested in increasing order on
 *   H(e) = sum over m = 1 … 32 of (gear[data[e - m]] << (m - 1)), modulo 2^32
 * (the gear hash after rolling over the 32 bytes before `e`, from 0), against `maskS`
 * while `e - s <= avgSize` and `maskL` after; the first `e` with `H(e) & mask == 0`
 * ends the chunk, else it ends at `s + maxSize` or at the end of the input, whichever
 * comes first. The masks select the top log2(avgSize) + 2 and log2(avgSize) - 2 bits.
 */
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { HoldfastError } from '../../core/errors.ts';

export interface ChunkerParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

/** For general data: files, images, tar streams. */
export const DEFAULT_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  minSize: 512 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 8 * 1024 * 1024,
});

/** For database dumps and similar, where small edits spread over a big stream must dedup. */
export const FINE_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  minSize: 16 * 1024,
  avgSize: 64 * 1024,
  maxSize: 256 * 1024,
});

export const GEAR_SEED_BYTES = 32;
const WINDOW = 32;
const NORMALIZATION = 2;
const MIN_AVG_SIZE = 256;
const MAX_MAX_SIZE = 256 * 1024 * 1024;

/**
 * The 256 gear values, derived from the repository's secret chunker seed so that
 * chunk boundaries (and so chunk sizes) do not reveal content across repositories.
 *
 * Derivation (part of the on-disk format): for block b = 0 … 31,
 *   out_b = BLAKE3-keyed(key = seed, message = ASCII "holdfast gear v1" || u32le(b))
 * which is 32 bytes = eight little-endian u32 values; gear[8b + k] = u32le(out_b[4k …]).
 */
export function gearTable(seed: Uint8Array): Uint32Array {
  if (seed.byteLength !== GEAR_SEED_BYTES) {
    throw new HoldfastError('INTERNAL', `chunker seed must be ${GEAR_SEED_BYTES} bytes, got ${seed.byteLength}`);
  }
  const hasher = Blake3Hasher.newKeyed(Buffer.from(seed));
  const label = Buffer.from('holdfast gear v1', 'ascii');
  const message = Buffer.alloc(label.length + 4);
  label.copy(message);
  const gear = new Uint32Array(256);
  for (let block = 0; block < 32; block++) {
    message.writeUInt32LE(block, label.length);
    hasher.reset();
    hasher.update(message);
    const out = hasher.digestBuffer();
    for (let k = 0; k < 8; k++) gear[block * 8 + k] = out.readUInt32LE(k * 4);
  }
  return gear;
}

/** Throws CONFIG_INVALID unless the sizes are usable; returns log2(avgSize). */
export function validateParams(params: ChunkerParams): number {
  const { minSize, avgSize, maxSize } = params;
  const fail = (why: string): never => {
    throw new HoldfastError(
      'CONFIG_INVALID',
      `chunker sizes min=${minSize} avg=${avgSize} max=${maxSize}: ${why}`,
    );
  };
  if (![minSize, avgSize, maxSize].every(Number.isSafeInteger)) fail('sizes must be integers');
  const bits = Math.log2(avgSize);
  if (!Number.isInteger(bits)) fail('avg must be a power of two');
  if (avgSize < MIN_AVG_SIZE) fail(`avg must be at least ${MIN_AVG_SIZE}`);
  if (minSize < 2 * WINDOW) fail(`min must be at least ${2 * WINDOW}`);
  if (!(minSize < avgSize && avgSize < maxSize)) fail('need min < avg < max');
  if (maxSize > MAX_MAX_SIZE) fail(`max must be at most ${MAX_MAX_SIZE}`);
  return bits;
}

/** A mask selecting the top `bits` bits of a 32-bit hash, as a signed int32. */
function topBitsMask(bits: number): number {
  return (~0 << (32 - bits)) | 0;
}

/** Tests `data[from, to)` with one mask; see `gearScanner`. */
type Scan = (data: Uint8Array, from: number, to: number, mask: number) => number;

/**
 * The hot loop, as a closure over a copy of one gear table: while a process uses only
 * one table (the usual case: one repository), V8 can specialise the loop on it as a
 * constant, measured ~10-15% faster than reading it from a field. Scanners are cached
 * per table object, so build the table once per repository, not per Chunker. The returned
 * function gives the end offset just after the first byte in `[from, to)` where
 * `H & mask` is zero, or -1. It first rolls the hash over the 31 bytes before
 * `from`, so each tested value is exactly H(e) of the format contract.
 * Unrolled four times: the per-byte work is tiny, so loop overhead matters.
 */
const scanners = new WeakMap<Uint32Array, Scan>();

function gearScanner(table: Uint32Array): Scan {
  let scan = scanners.get(table);
  if (scan === undefined) {
    scan = makeScanner(new Int32Array(table));
    scanners.set(table, scan);
  }
  return scan;
}

function makeScanner(gear: Int32Array): Scan {
  return (data, from, to, mask) => {
    let h = 0;
    for (let i = from - (WINDOW - 1); i < from; i++) h = ((h << 1) + gear[data[i]!]!) | 0;
    let i = from;
    const unrolledEnd = to - 3;
    for (; i < unrolledEnd; i += 4) {
      h = ((h << 1) + gear[data[i]!]!) | 0;
      if ((h & mask) === 0) return i + 1;
      h = ((h << 1) + gear[data[i + 1]!]!) | 0;
      if ((h & mask) === 0) return i + 2;
      h = ((h << 1) + gear[data[i + 2]!]!) | 0;
      if ((h & mask) === 0) return i + 3;
      h = ((h << 1) + gear[data[i + 3]!]!) | 0;
      if ((h & mask) === 0) return i + 4;
    }
    for (; i < to; i++) {
      h = ((h << 1) + gear[data[i]!]!) | 0;
      if ((h & mask) === 0) return i + 1;
    }
    return -1;
  };
}

export class Chunker {
  readonly params: Readonly<ChunkerParams>;
  readonly #scan: Scan;
  readonly #maskS: number;
  readonly #maskL: number;

  constructor(params: ChunkerParams, gear: Uint32Array) {
    const bits = validateParams(params);
    if (gear.length !== 256) throw new HoldfastError('INTERNAL', `gear table has ${gear.length} entries, not 256`);
    this.params = Object.freeze({ ...params });
    this.#scan = gearScanner(gear);
    this.#maskS = topBitsMask(bits + NORMALIZATION);
    this.#maskL = topBitsMask(bits - NORMALIZATION);
  }

  /**
   * The absolute end offset of the chunk that begins at `start`, looking at
   * `data[start, end)`. Stateless: the result depends only on those bytes.
   *
   * Precondition: `end - start >= maxSize`, or `final` (the input ends at `end`).
   * A streaming caller therefore buffers at least `maxSize` bytes beyond `start`
   * until the input ends; the last chunk may then be shorter than `minSize`.
   * Returns `start` only when `start === end` (nothing left).
   */
  cut(data: Uint8Array, start: number, end: number, final: boolean): number {
    const { minSize, avgSize, maxSize } = this.params;
    if (!(0 <= start && start <= end && end <= data.length)) {
      throw new HoldfastError('INTERNAL', `chunker range [${start}, ${end}) outside buffer of ${data.length} bytes`);
    }
    if (!final && end - start < maxSize) {
      throw new HoldfastError(
        'INTERNAL',
        `chunker needs ${maxSize} bytes after offset ${start} or the final piece, got ${end - start}`,
      );
    }
    const limit = Math.min(end, start + maxSize);
    if (limit - start <= minSize) return limit;
    const normal = Math.min(limit, start + avgSize);
    const hit = this.#scan(data, start + minSize - 1, normal, this.#maskS);
    if (hit >= 0) return hit;
    const tail = this.#scan(data, normal, limit, this.#maskL);
    return tail >= 0 ? tail : limit;
  }

  /**
   * `cut` without its look-ahead precondition: the same end offset when `data[start, end)`
   * already decides it, else -1 (more input is needed). A reader then needs to hold only
   * the chunk being cut, not `maxSize` bytes past its start. `scanned` says how many bytes
   * after `start` an earlier call for this chunk already tested (that call's `end - start`),
   * so they are not hashed again.
   */
  cutAvailable(data: Uint8Array, start: number, end: number, final: boolean, scanned = 0): number {
    const { minSize, avgSize, maxSize } = this.params;
    checkRange(data, start, end);
    const decided = final || end - start >= maxSize;
    const limit = Math.min(end, start + maxSize);
    if (limit - start <= minSize) return decided ? limit : -1;
    const normalEnd = start + avgSize;
    const normal = Math.min(limit, normalEnd);
    let from = Math.max(start + minSize - 1, start + scanned);
    if (from < normal) {
      const hit = this.#scan(data, from, normal, this.#maskS);
      if (hit >= 0) return hit;
      from = normal;
    }
    if (normal < normalEnd) return decided ? limit : -1;
    if (from < limit) {
      const tail = this.#scan(data, from, limit, this.#maskL);
      if (tail >= 0) return tail;
    }
    return decided ? limit : -1;
  }
}

function checkRange(data: Uint8Array, start: number, end: number): void {
  if (!(0 <= start && start <= end && end <= data.length)) {
    throw new HoldfastError('INTERNAL', `chunker range [${start}, ${end}) outside buffer of ${data.length} bytes`);
  }
}

/** Every chunk of an in-memory buffer as `[start, end)` pairs; for tests and small inputs. */
export function* chunkAll(data: Uint8Array, chunker: Chunker): Generator<[number, number]> {
  let start = 0;
  while (start < data.length) {
    const end = chunker.cut(data, start, data.length, true);
    yield [start, end];
    start = end;
  }
}
