import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blake3 } from '@napi-rs/blake-hash';
import { isHoldfastError } from '../../core/errors.ts';
import {
  Chunker,
  DEFAULT_PARAMS,
  FINE_PARAMS,
  chunkAll,
  gearTable,
  validateParams,
  type ChunkerParams,
} from './fastcdc.ts';
import { applyEdits, randomBytesSeeded, textCorpus, type EditKind } from './test-corpus.ts';

const MiB = 1024 * 1024;
const seedA = Uint8Array.from({ length: 32 }, (_, i) => i);
const seedB = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const gearA = gearTable(seedA);
const gearB = gearTable(seedB);
const random32 = randomBytesSeeded(32 * MiB, 42);
const text32 = textCorpus(32 * MiB, 43);

function ends(data: Uint8Array, chunker: Chunker): number[] {
  return [...chunkAll(data, chunker)].map(([, end]) => end);
}

function chunkHashes(data: Uint8Array, chunker: Chunker): Set<string> {
  const known = new Set<string>();
  for (const [s, e] of chunkAll(data, chunker)) known.add(blake3(data.subarray(s, e)).toString('hex'));
  return known;
}

/** Fraction of `edited`'s bytes that lie in chunks whose hash is in `known`. */
function sharedFraction(known: Set<string>, edited: Uint8Array, chunker: Chunker): number {
  let shared = 0;
  for (const [s, e] of chunkAll(edited, chunker)) {
    if (known.has(blake3(edited.subarray(s, e)).toString('hex'))) shared += e - s;
  }
  return shared / edited.length;
}

/**
 * The format contract of fastcdc.ts, written as plainly as possible (H recomputed
 * from scratch at every candidate): the fast Chunker must agree with it exactly.
 */
function referenceEnds(data: Uint8Array, gear: Uint32Array, params: ChunkerParams): number[] {
  const bits = Math.log2(params.avgSize);
  const hardMask = 2 ** 32 - 2 ** (32 - bits - 2);
  const easyMask = 2 ** 32 - 2 ** (32 - bits + 2);
  const H = (e: number): number => {
    let sum = 0;
    for (let m = 1; m <= 32; m++) sum = (sum + gear[data[e - m]!]! * 2 ** (m - 1)) % 2 ** 32;
    return sum;
  };
  const result: number[] = [];
  for (let s = 0; s < data.length; ) {
    let end = Math.min(data.length, s + params.maxSize);
    for (let e = s + params.minSize; e < end; e++) {
      const mask = e - s <= params.avgSize ? hardMask : easyMask;
      if ((H(e) & mask) === 0) {
        end = e;
        break;
      }
    }
    result.push(end);
    s = end;
  }
  return result;
}

/** Feeds `data` in pieces, cutting only when the precondition allows, as a stream reader does. */
/** Cut ends with `cutAvailable`, the input arriving in pieces; `resume` passes what was already scanned. */
function availableEnds(data: Uint8Array, pieceSizes: number[], chunker: Chunker, resume: boolean): number[] {
  const result: number[] = [];
  let start = 0;
  let end = 0;
  let scanned = 0;
  for (let p = 0; start < data.length; p++) {
    end = Math.min(data.length, end + pieceSizes[p % pieceSizes.length]!);
    const final = end === data.length;
    for (;;) {
      const cut = chunker.cutAvailable(data, start, end, final, resume ? scanned : 0);
      if (cut < 0 || cut === start) {
        scanned = end - start;
        break;
      }
      result.push(cut);
      start = cut;
      scanned = 0;
    }
  }
  return result;
}

function streamEnds(data: Uint8Array, pieceSizes: number[], chunker: Chunker): number[] {
  const { maxSize } = chunker.params;
  const result: number[] = [];
  let buffer = new Uint8Array(0);
  let base = 0;
  let offset = 0;
  for (let p = 0; offset < data.length; p++) {
    const piece = data.subarray(offset, offset + pieceSizes[p % pieceSizes.length]!);
    offset += piece.length;
    const grown = new Uint8Array(buffer.length + piece.length);
    grown.set(buffer);
    grown.set(piece, buffer.length);
    let start = 0;
    while (grown.length - start >= maxSize) {
      start = chunker.cut(grown, start, grown.length, false);
      result.push(base + start);
    }
    buffer = grown.slice(start);
    base += start;
  }
  for (let start = 0; start < buffer.length; ) {
    start = chunker.cut(buffer, start, buffer.length, true);
    result.push(base + start);
  }
  return result;
}

describe('validateParams', () => {
  const invalid: [string, ChunkerParams][] = [
    ['min >= avg', { minSize: 1024, avgSize: 1024, maxSize: 4096 }],
    ['avg >= max', { minSize: 512, avgSize: 4096, maxSize: 4096 }],
    ['avg not a power of two', { minSize: 512, avgSize: 3000, maxSize: 8192 }],
    ['min below the hash window', { minSize: 32, avgSize: 1024, maxSize: 4096 }],
    ['avg too small', { minSize: 64, avgSize: 128, maxSize: 4096 }],
    ['max too large', { minSize: MiB, avgSize: 2 * MiB, maxSize: 512 * MiB }],
    ['non-integer', { minSize: 100.5, avgSize: 1024, maxSize: 4096 }],
  ];
  for (const [name, params] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => validateParams(params), (err) => isHoldfastError(err, 'CONFIG_INVALID'));
      assert.throws(() => new Chunker(params, gearA), (err) => isHoldfastError(err, 'CONFIG_INVALID'));
    });
  }
  it('accepts the built-in parameter sets', () => {
    assert.equal(validateParams(DEFAULT_PARAMS), 20);
    assert.equal(validateParams(FINE_PARAMS), 16);
  });
});

describe('gearTable', () => {
  it('is a fixed function of the seed (on-disk format)', () => {
    assert.equal(gearA.length, 256);
    assert.deepEqual(gearTable(Uint8Array.from(seedA)), gearA);
    assert.deepEqual([...gearA.subarray(0, 4)], [3035020367, 3140492087, 815261215, 2141303658]);
    assert.deepEqual([gearA[128], gearA[255]], [4078042507, 2908427533]);
  });
  it('differs between seeds', () => {
    assert.notDeepEqual(gearA, gearB);
  });
  it('rejects a seed that is not 32 bytes', () => {
    assert.throws(() => gearTable(new Uint8Array(16)), (err) => isHoldfastError(err, 'INTERNAL'));
  });
});

describe('Chunker', () => {
  const chunker = new Chunker(DEFAULT_PARAMS, gearA);
  const fine = new Chunker(FINE_PARAMS, gearA);

  it('pins the cut points of a fixed input (on-disk format)', () => {
    assert.deepEqual(ends(random32, fine).slice(0, 6), [68967, 149894, 179458, 260915, 329664, 407259]);
  });

  it('agrees with a plain reference implementation of the format', () => {
    const small = { minSize: 64, avgSize: 256, maxSize: 1024 };
    for (const [data, params] of [
      [random32.subarray(0, 256 * 1024), small],
      [text32.subarray(0, 256 * 1024), small],
      [new Uint8Array(5000).fill(9), small],
      [random32.subarray(0, 2 * MiB), FINE_PARAMS],
    ] as const) {
      assert.deepEqual(ends(data, new Chunker(params, gearB)), referenceEnds(data, gearB, params));
    }
  });

  it('is deterministic for the same data and seed', () => {
    const again = new Chunker(DEFAULT_PARAMS, gearTable(Uint8Array.from(seedA)));
    assert.deepEqual(ends(random32, again), ends(random32, chunker));
  });

  it('cuts differently under a different seed', () => {
    const other = new Chunker(DEFAULT_PARAMS, gearB);
    const a = new Set(ends(random32, chunker));
    const shared = ends(random32, other).filter((e) => a.has(e));
    assert.deepEqual(shared, [random32.length]);
  });

  for (const [name, params] of [['default', DEFAULT_PARAMS], ['fine', FINE_PARAMS]] as const) {
    for (const [corpus, data] of [['random', random32], ['text', text32]] as const) {
      it(`keeps ${name} chunk sizes within bounds on ${corpus} data`, () => {
        const sizes = [...chunkAll(data, new Chunker(params, gearA))].map(([s, e]) => e - s);
        assert.equal(sizes.reduce((a, b) => a + b, 0), data.length);
        sizes.slice(0, -1).forEach((size) => assert.ok(size >= params.minSize && size <= params.maxSize, `${size}`));
        assert.ok(sizes.at(-1)! > 0 && sizes.at(-1)! <= params.maxSize);
      });
    }
    it(`averages within 30% of avgSize (${name}, random data)`, () => {
      const count = [...chunkAll(random32, new Chunker(params, gearA))].length;
      const mean = random32.length / count;
      assert.ok(Math.abs(mean / params.avgSize - 1) <= 0.3, `mean ${mean}`);
    });
  }

  // A run of one byte value has a constant hash, so it is cut all at maxSize, or (for
  // about 1 seed in 2^18 per byte value) all at minSize or avgSize + 1; seed A is typical.
  it('cuts zero-filled input at maxSize', () => {
    const zeros = new Uint8Array(3 * DEFAULT_PARAMS.maxSize + 12345);
    const sizes = [...chunkAll(zeros, chunker)].map(([s, e]) => e - s);
    assert.deepEqual(sizes, [DEFAULT_PARAMS.maxSize, DEFAULT_PARAMS.maxSize, DEFAULT_PARAMS.maxSize, 12345]);
  });

  it('gives the same boundaries when fed in pieces', () => {
    const all = ends(random32, chunker);
    assert.deepEqual(streamEnds(random32, [3 * MiB + 7, 5 * MiB, 65536, 11 * MiB], chunker), all);
    assert.deepEqual(streamEnds(text32, [MiB - 1, 2 * MiB + 3], fine), ends(text32, fine));
  });

  it('cutAvailable gives the same boundaries fed in small pieces, resuming where it stopped', () => {
    for (const [data, c, pieces] of [[random32, chunker, [MiB - 1, 65536, 3 * MiB]], [text32, fine, [4096, 100_000]], [new Uint8Array(3 * DEFAULT_PARAMS.maxSize + 5), chunker, [MiB]]] as const) {
      assert.deepEqual(availableEnds(data, [...pieces], c, true), ends(data, c));
      assert.deepEqual(availableEnds(data, [...pieces], c, false), ends(data, c));
    }
  });

  it('handles short and empty input', () => {
    assert.deepEqual([...chunkAll(new Uint8Array(0), chunker)], []);
    assert.deepEqual([...chunkAll(random32.subarray(0, 1000), chunker)], [[0, 1000]]);
    assert.equal(chunker.cut(random32, 5, 5, true), 5);
  });

  it('throws when called with less than maxSize bytes before the end of input', () => {
    assert.throws(
      () => chunker.cut(random32, 0, DEFAULT_PARAMS.maxSize - 1, false),
      (err) => isHoldfastError(err, 'INTERNAL'),
    );
    assert.throws(() => chunker.cut(random32, 10, 5, true), (err) => isHoldfastError(err, 'INTERNAL'));
  });
});

describe('boundary-shift resistance', () => {
  const kinds: EditKind[] = ['insert', 'delete', 'modify'];
  const cases = [
    // ~27 chunks of ~1.2 MiB in 32 MiB: each edit costs one or two of them (~4-7%).
    { name: 'default', params: DEFAULT_PARAMS, edits: 1 },
    // ~450 chunks of ~75 KiB in 32 MiB: many scattered edits.
    { name: 'fine', params: FINE_PARAMS, edits: 8 },
  ];
  for (const { name, params, edits } of cases) {
    const chunker = new Chunker(params, gearA);
    for (const [corpus, data] of [['random', random32], ['text', text32]] as const) {
      let known: Set<string> | undefined;
      kinds.forEach((kind, k) => {
        it(`shares >= 90% of bytes after ${edits} ${kind} edit(s) (${name}, ${corpus})`, () => {
          known ??= chunkHashes(data, chunker);
          for (let trial = 0; trial < 2; trial++) {
            const edited = applyEdits(data, kind, edits, 100 * k + trial);
            const shared = sharedFraction(known, edited, chunker);
            assert.ok(shared >= 0.9, `trial ${trial}: ${(shared * 100).toFixed(1)}% shared`);
          }
        });
      });
    }
  }
});
