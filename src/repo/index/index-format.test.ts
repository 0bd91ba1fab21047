import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../core/errors.ts';
import type { BlobLocation } from '../blob.ts';
import { openObject, sealObject } from '../sealed-object.ts';
import { IndexBuilder, decodeIndex, encodeIndex } from './index-format.ts';
import { outcome } from '../error-outcome.testing.ts';

const key = randomBytes(32);
const hex = (): string => randomBytes(32).toString('hex');

function locations(packs: number, perPack: number): BlobLocation[] {
  const out: BlobLocation[] = [];
  for (let p = 0; p < packs; p++) {
    const pack = hex();
    let offset = 0;
    for (let i = 0; i < perPack; i++) {
      const length = 100 + i * 31;
      out.push({ id: hex(), type: i % 3 === 0 ? 'tree' : 'data', pack, offset, length, rawLength: length * 2, compressed: i % 2 === 0 });
      offset += length;
    }
  }
  return out;
}

/** The uncompressed bytes of an index file (decodeIndex takes them zstd-compressed). */
function plainOf(locs: BlobLocation[]): Buffer {
  return zlib.zstdDecompressSync(encodeIndex(locs));
}

const decodePlain = (plain: Buffer) => (): BlobLocation[] => decodeIndex(zlib.zstdCompressSync(plain), 'test');

describe('index format', () => {
  it('builds pack by pack the same file encodeIndex writes, growing past its first buffer', () => {
    const locs = locations(40, 60); // ~110 KB of entries: more than the builder's first 64 KiB
    const builder = new IndexBuilder();
    for (let p = 0; p < 40; p++) {
      const packLocs = locs.slice(p * 60, (p + 1) * 60);
      const last = packLocs.at(-1) as BlobLocation;
      builder.addPack(last.pack, packLocs, last.offset + last.length);
    }
    assert.equal(builder.count, locs.length);
    assert.deepEqual(builder.locations(), locs);
    assert.deepEqual(zlib.zstdDecompressSync(builder.encode()), plainOf(locs));
  });

  it('refuses a pack whose blobs do not end where its header starts, and keeps what it had', () => {
    const [a, b] = [locations(1, 3), locations(1, 2)] as [BlobLocation[], BlobLocation[]];
    const builder = new IndexBuilder();
    const end = (l: BlobLocation[]): number => (l.at(-1) as BlobLocation).offset + (l.at(-1) as BlobLocation).length;
    builder.addPack((a[0] as BlobLocation).pack, a, end(a));
    assert.throws(() => builder.addPack((b[0] as BlobLocation).pack, b, end(b) + 1), /blobs cover \d+ bytes but the header starts at/);
    assert.deepEqual(builder.locations(), a);
  });

  it('encodes and decodes locations of several packs', () => {
    const locs = locations(3, 5);
    assert.deepEqual(decodeIndex(encodeIndex(locs), 'test'), locs);
    assert.deepEqual(decodeIndex(encodeIndex([]), 'test'), []);
  });

  it('groups the locations of one pack, whatever their order', () => {
    const locs = locations(2, 3);
    const shuffled = [locs[0], locs[3], locs[1], locs[4], locs[2], locs[5]] as BlobLocation[];
    assert.deepEqual(decodeIndex(encodeIndex(shuffled), 'test'), locs);
  });

  it('rejects every truncation of the plaintext as REPO_CORRUPT', () => {
    const plain = plainOf(locations(2, 3));
    for (let n = 0; n < plain.byteLength; n++) assert.equal(outcome(decodePlain(plain.subarray(0, n))), 'REPO_CORRUPT', `truncated to ${n}`);
    assert.equal(outcome(decodePlain(Buffer.concat([plain, Buffer.alloc(3)]))), 'REPO_CORRUPT', 'trailing bytes');
  });

  // One pack of two entries: header 0..8, pack id 9..40, count 41..44, entries from 45 (46 bytes each).
  const regions: Array<{ name: string; bytes: number[]; expect: ErrorCode | 'ok' }> = [
    { name: 'magic', bytes: [0, 1, 2, 3], expect: 'REPO_CORRUPT' },
    { name: 'version', bytes: [4], expect: 'REPO_VERSION' },
    { name: 'pack count', bytes: [5, 6, 7, 8], expect: 'REPO_CORRUPT' },
    { name: 'blob count of a pack', bytes: [41, 42, 43, 44], expect: 'REPO_CORRUPT' },
    { name: 'blob type', bytes: [45, 91], expect: 'REPO_CORRUPT' },
    { name: 'pack id, offsets, lengths and blob ids', bytes: [9, 20, 40, 47, 50, 51, 56, 60, 59, 90, 93, 136], expect: 'ok' },
  ];
  for (const r of regions) {
    it(`a bit flipped in the ${r.name}: ${r.expect === 'ok' ? 'decodes' : r.expect}`, () => {
      const plain = plainOf(locations(1, 2));
      assert.equal(plain.byteLength, 137);
      for (const byte of r.bytes) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = Buffer.from(plain);
          bad[byte] = (bad[byte] ?? 0) ^ (1 << bit);
          assert.equal(outcome(decodePlain(bad)), r.expect, `byte ${byte} bit ${bit}`);
        }
      }
    });
  }

  it('a huge blob count is REPO_CORRUPT, not an allocation or range error', () => {
    const plain = plainOf(locations(1, 2));
    plain.writeUInt32LE(0xffffffff, 41);
    assert.equal(outcome(decodePlain(plain)), 'REPO_CORRUPT');
    plain.writeUInt32LE(0xffffffff, 5);
    assert.equal(outcome(decodePlain(plain)), 'REPO_CORRUPT');
  });

  it('every truncation of the compressed file is REPO_CORRUPT', () => {
    const compressed = encodeIndex(locations(2, 4));
    for (let n = 0; n < compressed.byteLength; n++) assert.equal(outcome(() => decodeIndex(compressed.subarray(0, n), 'test')), 'REPO_CORRUPT', `truncated to ${n}`);
  });

  it('a flipped byte in the compressed file never escapes as anything but a HoldfastError', () => {
    const compressed = encodeIndex(locations(2, 4));
    for (let at = 0; at < compressed.byteLength; at++) {
      const bad = Buffer.from(compressed);
      bad[at] = (bad[at] ?? 0) ^ 0xa5;
      assert.ok(['ok', 'REPO_CORRUPT', 'REPO_VERSION'].includes(outcome(() => decodeIndex(bad, 'test'))), `byte ${at}`);
    }
  });

  it('random bytes are never read as an index', () => {
    for (let i = 0; i < 300; i++) assert.equal(outcome(() => decodeIndex(randomBytes(i), 'test')), 'REPO_CORRUPT');
  });

  it('a sealed index file with any byte flipped or any truncation fails authentication', () => {
    const sealed = sealObject(key, 'index', encodeIndex(locations(1, 3)));
    const read = (bytes: Buffer) => (): BlobLocation[] => decodeIndex(openObject(key, 'index', bytes, 'index/test'), 'test');
    assert.equal(outcome(read(sealed)), 'ok');
    for (let at = 0; at < sealed.byteLength; at++) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] ?? 0) ^ 1;
      assert.equal(outcome(read(bad)), 'AUTH_FAILED', `byte ${at}`);
      assert.equal(outcome(read(sealed.subarray(0, at))), 'AUTH_FAILED', `truncated to ${at}`);
    }
  });
});
