import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { BlobLocation } from '../blob.ts';
import zlib from 'node:zlib';
import { encodeIndex, scanIndex } from './index-format.ts';
import { MasterIndex } from './master-index.ts';

function loc(i: number, pack: string, type: BlobLocation['type'] = 'data'): BlobLocation {
  return { id: randomBytes(32).toString('hex'), type, pack, offset: i * 10, length: 100 + i, rawLength: 2 ** 31 + i, compressed: i % 2 === 0 };
}

describe('MasterIndex', () => {
  it('finds every blob among many, keeps the first location of an id, and counts by type', () => {
    const index = new MasterIndex();
    const packs = ['a', 'b', 'c'].map((c) => c.repeat(64));
    const all = Array.from({ length: 5000 }, (_, i) => loc(i, packs[i % 3] as string, i % 7 === 0 ? 'tree' : 'data'));
    index.addAll(all);
    index.add({ ...(all[0] as BlobLocation), pack: 'd'.repeat(64), offset: 999 });
    assert.equal(index.size, 5000);
    for (const l of all) assert.deepEqual(index.get(l.id), l);
    assert.equal(index.count('tree'), all.filter((l) => l.type === 'tree').length);
    assert.equal([...index.idBytes('data')].length, index.count('data'));
    assert.deepEqual([...index.blobs()].sort((x, y) => (x.id < y.id ? -1 : 1)), [...all].sort((x, y) => (x.id < y.id ? -1 : 1)));
    assert.ok(index.has((all[7] as BlobLocation).id, 'tree') && !index.has((all[7] as BlobLocation).id, 'data'));
  });

  it('answers the same after reserving, growing past the reserve and growing step by step', () => {
    const index = new MasterIndex();
    const first = Array.from({ length: 3000 }, (_, i) => loc(i, 'h'.repeat(64)));
    index.reserve(1000);
    index.addAll(first);
    index.reserve(50_000);
    const second = Array.from({ length: 2000 }, (_, i) => loc(i, 'j'.repeat(64), 'tree'));
    index.addAll(second);
    assert.equal(index.size, 5000);
    for (const l of [...first, ...second]) assert.deepEqual(index.get(l.id), l);
    assert.equal(index.get('0'.repeat(64)), undefined);
  });

  it('loads an index file straight from its bytes to the same answers as from locations', () => {
    const packs = ['e', 'f'].map((c) => c.repeat(64));
    const all: BlobLocation[] = [];
    for (const pack of packs) {
      let offset = 0;
      for (let i = 0; i < 3000; i++) {
        all.push({ ...loc(i, pack, i % 5 === 0 ? 'tree' : 'data'), offset });
        offset += 100 + i;
      }
    }
    const scanned = new MasterIndex();
    const reserved: number[] = [];
    scanned.add(loc(0, 'g'.repeat(64)));
    scanned.addScanned((visit, reserve) => scanIndex(encodeIndex(all), 'test', visit, (n) => { reserved.push(n); reserve(n); }));
    // Told the file's count before its first entry; the blob added before the reserve keeps its place.
    assert.deepEqual(reserved, [all.length]);
    assert.equal(scanned.size, all.length + 1);
    for (const l of all) assert.deepEqual(scanned.get(l.id), l);
    assert.equal(scanned.count('tree'), all.filter((l) => l.type === 'tree').length);
    assert.ok(scanned.isTreePack(packs[0] as string) === false && scanned.hasPack(packs[1] as string));
  });

  it('adds nothing from an index file that turns out damaged at its last entry', () => {
    const all = Array.from({ length: 50 }, (_, i) => ({ ...loc(i, 'a'.repeat(64)), offset: i * 100, length: 100 }));
    const plain = zlib.zstdDecompressSync(encodeIndex(all));
    plain[plain.byteLength - 46] = 9; // the last entry's type code
    const index = new MasterIndex();
    assert.throws(() => index.addScanned((visit) => scanIndex(zlib.zstdCompressSync(plain), 'idx1', visit)), { code: 'REPO_CORRUPT', message: /index idx1: unknown blob type 9/ });
    assert.equal(index.size, 0);
  });

  it('answers no for unknown and malformed ids', () => {
    const index = new MasterIndex();
    index.add(loc(1, 'a'.repeat(64)));
    assert.equal(index.get('0'.repeat(64)), undefined);
    assert.equal(index.has('not-an-id'), false);
    assert.equal(index.get('zz'.repeat(32)), undefined);
  });

  it('tells tree packs from data and mixed packs', () => {
    const index = new MasterIndex();
    const [trees, data, mixed] = ['1', '2', '3'].map((c) => c.repeat(64)) as [string, string, string];
    index.addAll([loc(0, trees, 'tree'), loc(1, trees, 'tree'), loc(2, data), loc(3, mixed, 'tree'), loc(4, mixed)]);
    assert.deepEqual([trees, data, mixed, '4'.repeat(64)].map((p) => index.isTreePack(p)), [true, false, false, false]);
    assert.deepEqual([...index.packs()], [trees, data, mixed]);
    assert.ok(index.hasPack(mixed) && !index.hasPack('4'.repeat(64)));
  });
});
