import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../core/errors.ts';
import type { BlobLocation, BlobType } from '../blob.ts';
import { BlobOpener } from '../blob-opener.ts';
import { BlobSealer } from '../blob-sealer.ts';
import { open, seal } from '../crypto/aead.ts';
import { PACK_ENTRY_SIZE, PACK_HEADER_AAD, PACK_TRAILER_SIZE, decodePackHeader, encodePackHeader, locateEntries, readTrailer } from './pack-format.ts';
import type { PackEntry } from './pack-format.ts';
import { outcome } from '../error-outcome.testing.ts';

const keys = { encKey: randomBytes(32), idKey: randomBytes(32) };
const PACK = 'ab'.repeat(32);

/** A real pack (sealed blobs, sealed header, trailer), as PackSink writes one. */
function buildPack(blobs: Array<{ plain: Buffer; type: BlobType }>): { pack: Buffer; entries: PackEntry[] } {
  const sealer = new BlobSealer(keys, { algorithm: 'zstd', level: 3 });
  const entries: PackEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const b of blobs) {
    const r = sealer.seal(b.plain, b.type);
    assert.ok(r.sealed);
    entries.push({ id: r.id, type: b.type, length: r.sealed.byteLength, rawLength: r.rawLength, compressed: r.compressed });
    parts.push(r.sealed);
  }
  const header = seal(keys.encKey, encodePackHeader(entries), PACK_HEADER_AAD);
  const trailer = Buffer.alloc(PACK_TRAILER_SIZE);
  trailer.writeUInt32LE(header.byteLength);
  return { pack: Buffer.concat([...parts, header, trailer]), entries };
}

/** What check --read-data does with a pack: trailer, sealed header, entries, locations. */
function readHeader(pack: Buffer): BlobLocation[] {
  const headerLength = readTrailer(pack, PACK);
  const start = pack.byteLength - PACK_TRAILER_SIZE - headerLength;
  const plain = open(keys.encKey, pack.subarray(start, pack.byteLength - PACK_TRAILER_SIZE), PACK_HEADER_AAD, `header of pack ${PACK}`);
  return locateEntries(PACK, decodePackHeader(plain, PACK), start, PACK);
}

const sample: PackEntry[] = [
  { id: '01'.repeat(32), type: 'data', length: 1000, rawLength: 2000, compressed: true },
  { id: '02'.repeat(32), type: 'tree', length: 77, rawLength: 49, compressed: false },
  { id: 'ff'.repeat(32), type: 'data', length: 0xffffffff, rawLength: 0, compressed: false },
];

describe('pack format', () => {
  it('encodes and decodes a header', () => {
    assert.deepEqual(decodePackHeader(encodePackHeader(sample), PACK), sample);
    assert.deepEqual(decodePackHeader(encodePackHeader([]), PACK), []);
  });

  it('locates the blobs of a pack and opens each', () => {
    const blobs = [{ plain: randomBytes(5000), type: 'data' as const }, { plain: Buffer.from('{"nodes":[]}'), type: 'tree' as const }, { plain: Buffer.alloc(3000, 7), type: 'data' as const }];
    const { pack, entries } = buildPack(blobs);
    const locs = readHeader(pack);
    assert.deepEqual(locs.map((l) => [l.id, l.offset]), [[entries[0]?.id, 0], [entries[1]?.id, entries[0]?.length], [entries[2]?.id, (entries[0]?.length ?? 0) + (entries[1]?.length ?? 0)]]);
    const opener = new BlobOpener(keys);
    for (const [i, loc] of locs.entries()) assert.deepEqual(opener.open(loc, pack.subarray(loc.offset, loc.offset + loc.length)), blobs[i]?.plain);
  });

  it('rejects every truncation of a header as REPO_CORRUPT', () => {
    const plain = encodePackHeader(sample);
    for (let n = 0; n < plain.byteLength; n++) assert.equal(outcome(() => decodePackHeader(plain.subarray(0, n), PACK)), 'REPO_CORRUPT', `truncated to ${n}`);
    assert.equal(outcome(() => decodePackHeader(Buffer.concat([plain, Buffer.alloc(1)]), PACK)), 'REPO_CORRUPT', 'one byte too many');
  });

  // Where a flipped bit lands decides what decoding must say: the fields the decoder can
  // check fail with a stable code; lengths, flags and ids decode (the AEAD seal and the
  // blob ids catch those).
  const regions: Array<{ name: string; at: (len: number) => number[]; expect: ErrorCode | 'ok' }> = [
    { name: 'magic', at: () => [0, 1, 2, 3], expect: 'REPO_CORRUPT' },
    { name: 'version', at: () => [4], expect: 'REPO_VERSION' },
    { name: 'blob count', at: () => [5, 6, 7, 8], expect: 'REPO_CORRUPT' },
    { name: 'blob type', at: () => [9, 9 + PACK_ENTRY_SIZE, 9 + 2 * PACK_ENTRY_SIZE], expect: 'REPO_CORRUPT' },
    { name: 'lengths and ids', at: (len) => Array.from({ length: len - 9 }, (_, i) => 9 + i).filter((i) => (i - 9) % PACK_ENTRY_SIZE > 1), expect: 'ok' },
  ];
  for (const r of regions) {
    it(`a bit flipped in the header's ${r.name}: ${r.expect === 'ok' ? 'decodes' : r.expect}`, () => {
      const plain = encodePackHeader(sample);
      for (const byte of r.at(plain.byteLength)) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = Buffer.from(plain);
          bad[byte] = (bad[byte] ?? 0) ^ (1 << bit);
          assert.equal(outcome(() => decodePackHeader(bad, PACK)), r.expect, `byte ${byte} bit ${bit}`);
        }
      }
    });
  }

  it('a bit flipped in the flags byte decodes (only the compressed bit is read)', () => {
    const plain = encodePackHeader(sample);
    const bad = Buffer.from(plain);
    bad[10] = (bad[10] ?? 0) ^ 0x80;
    assert.equal(decodePackHeader(bad, PACK)[0]?.compressed, true);
  });

  it('every truncation of a whole pack gives REPO_CORRUPT or AUTH_FAILED', () => {
    const { pack } = buildPack([{ plain: randomBytes(300), type: 'data' }, { plain: randomBytes(200), type: 'data' }]);
    for (let n = 0; n < pack.byteLength; n++) {
      assert.ok(['REPO_CORRUPT', 'AUTH_FAILED'].includes(outcome(() => readHeader(pack.subarray(0, n)))), `truncated to ${n}`);
    }
  });

  it('a flipped byte anywhere in a pack is caught: by the header seal, or when its blob is opened', () => {
    const { pack } = buildPack([{ plain: randomBytes(300), type: 'data' }, { plain: Buffer.from('{"nodes":[]}'), type: 'tree' }]);
    const good = readHeader(pack);
    const opener = new BlobOpener(keys);
    for (let at = 0; at < pack.byteLength; at++) {
      const bad = Buffer.from(pack);
      bad[at] = (bad[at] ?? 0) ^ 0x55;
      const openAll = (): void => {
        for (const loc of readHeader(bad)) opener.open(loc, bad.subarray(loc.offset, loc.offset + loc.length));
      };
      const code = outcome(openAll);
      const inBlobs = at < (good.at(-1)?.offset ?? 0) + (good.at(-1)?.length ?? 0);
      if (inBlobs) assert.equal(code, 'AUTH_FAILED', `byte ${at} (a blob)`);
      else assert.ok(['REPO_CORRUPT', 'AUTH_FAILED'].includes(code), `byte ${at} (header or trailer): ${code}`);
    }
  });

  it('random bytes of any length are never read as a pack', () => {
    for (let i = 0; i < 300; i++) {
      const junk = randomBytes(i % 100);
      if (junk.byteLength >= 4) junk.writeUInt32LE(i % 7 === 0 ? 0xffffffff : i % (junk.byteLength - 3), junk.byteLength - 4);
      assert.ok(['REPO_CORRUPT', 'AUTH_FAILED'].includes(outcome(() => readHeader(junk))));
      assert.ok(['REPO_CORRUPT', 'REPO_VERSION', 'ok'].includes(outcome(() => decodePackHeader(junk, PACK))));
    }
  });

  it('locateEntries rejects entries that do not end where the header starts', () => {
    assert.equal(outcome(() => locateEntries(PACK, sample.slice(0, 2), 1077, PACK)), 'ok');
    assert.equal(outcome(() => locateEntries(PACK, sample.slice(0, 2), 1076, PACK)), 'REPO_CORRUPT');
    assert.equal(outcome(() => locateEntries(PACK, sample, 10, PACK)), 'REPO_CORRUPT');
  });
});
