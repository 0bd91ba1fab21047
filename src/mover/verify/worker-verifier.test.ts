import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MemoryStorage } from '../../backend/memory-storage.ts';
import type { BlobLocation } from '../../repo/blob.ts';
import { BlobSealer } from '../../repo/blob-sealer.ts';
import { inlineVerifier } from '../../repo/maintenance/blob-verifier.ts';
import { PackSink } from '../../repo/pack/pack-sink.ts';
import { Repository } from '../../repo/repository.ts';
import { prewarmWorkers } from '../worker/worker-pool.ts';
import { WorkerBlobVerifier } from './worker-verifier.ts';

describe('WorkerBlobVerifier', () => {
  let repo: Repository;
  let pack: Buffer;
  let blobs: BlobLocation[];
  let verifier: WorkerBlobVerifier;

  before(async () => {
    const storage = new MemoryStorage();
    repo = await Repository.init(storage, { password: 'pw', now: new Date(), kdfCost: 'test' });
    const sealer = new BlobSealer(repo.key, repo.config.compression);
    const sink = new PackSink(repo);
    for (let i = 0; i < 6; i++) {
      const plain = i % 2 === 0 ? randomBytes(20_000) : Buffer.alloc(30_000, i);
      const r = sealer.seal(plain, 'data');
      if (r.sealed) await sink.add({ id: r.id, type: 'data', rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
    }
    await sink.flush();
    blobs = [...repo.index.blobs()];
    pack = await storage.get({ type: 'data', name: blobs[0]?.pack ?? '' });
    verifier = new WorkerBlobVerifier(repo, { workers: 2 });
  });
  after(() => verifier.close());

  const damaged = (): Buffer => {
    const copy = Buffer.from(pack);
    for (const b of [blobs[1], blobs[4]]) if (b) copy[b.offset + 15] = (copy[b.offset + 15] ?? 0) ^ 1;
    return copy;
  };

  it('finds the same damaged blobs, with the same messages, as decoding inline', async () => {
    const expected = await inlineVerifier(repo).verify(blobs[0]?.pack ?? '', damaged(), blobs);
    assert.equal(expected.length, 2);
    assert.deepEqual(await verifier.verify(blobs[0]?.pack ?? '', damaged(), blobs), expected);
  });

  it('fails every kind of bad blob with the same message as decoding inline', async () => {
    const compressed = blobs.find((b) => b.compressed);
    const stored = blobs.find((b) => !b.compressed);
    assert.ok(compressed && stored);
    const bad: BlobLocation[] = [
      { ...compressed, rawLength: compressed.rawLength + 1 },
      { ...compressed, rawLength: compressed.rawLength - 1 },
      { ...stored, compressed: true },
      { ...compressed, compressed: false },
      { ...stored, id: 'ab'.repeat(32) },
      { ...stored, type: 'tree' },
      { ...stored, length: stored.length - 1 },
      { ...compressed, offset: compressed.offset + 1 },
    ];
    const expected = await inlineVerifier(repo).verify('', Buffer.from(pack), bad);
    assert.equal(expected.length, bad.length);
    assert.deepEqual(await verifier.verify('', Buffer.from(pack), bad), expected);
  });

  it('accepts bytes that are a view into a larger buffer, and a short (truncated) pack', async () => {
    const big = Buffer.concat([Buffer.alloc(7), damaged(), Buffer.alloc(9)]);
    const view = big.subarray(7, 7 + pack.byteLength);
    assert.equal((await verifier.verify('', view, blobs)).length, 2);
    assert.equal(big.byteLength, pack.byteLength + 16, 'the caller keeps its bytes');
    const last = blobs.at(-1);
    assert.ok(last);
    const cut = Buffer.from(pack.subarray(0, last.offset + 10));
    const result = await verifier.verify('', cut, blobs);
    assert.deepEqual(result.map((d) => d.blob), [last.id]);
    assert.match(result[0]?.message ?? '', /read 10 bytes, expected/);
  });

  it('splits a pack across workers and keeps the order of damaged blobs', async () => {
    const sliced = new WorkerBlobVerifier(repo, { workers: 2, sliceBytes: 1 });
    try {
      const reversed = [...blobs].reverse();
      assert.deepEqual(await sliced.verify('', damaged(), reversed), await inlineVerifier(repo).verify('', damaged(), reversed));
    } finally {
      await sliced.close();
    }
  });

  it('works the same on workers started ahead of it (prewarmWorkers)', async () => {
    prewarmWorkers(3);
    const warmed = new WorkerBlobVerifier(repo, { workers: 2 });
    try {
      assert.deepEqual(await warmed.verify('', damaged(), blobs), await inlineVerifier(repo).verify('', damaged(), blobs));
    } finally {
      await warmed.close();
    }
  });

  it('a warm worker no pool took does not keep the process alive', async () => {
    const script = `import { prewarmWorkers } from ${JSON.stringify(new URL('../worker/worker-pool.ts', import.meta.url).href)}; prewarmWorkers(2);`;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.status, 0, child.stderr);
    assert.ok(Date.now() - started < 20_000);
  });

  it('decodes a pack read into a buffer it lent (no copy), and takes back one not used', async () => {
    const expected = await inlineVerifier(repo).verify('', damaged(), blobs);
    for (let round = 0; round < 3; round++) {
      const room = verifier.bufferFor(pack.byteLength);
      assert.ok(room.buffer instanceof SharedArrayBuffer);
      const read = Buffer.from(room.buffer, room.byteOffset, pack.byteLength);
      damaged().copy(read);
      assert.deepEqual(await verifier.verify('', read, blobs), expected, `round ${round}`);
    }
    const lentBefore = new Set([verifier.bufferFor(pack.byteLength).buffer]);
    for (const b of lentBefore) verifier.giveBack(new Uint8Array(b));
    const again = verifier.bufferFor(pack.byteLength);
    assert.ok(lentBefore.has(again.buffer), 'a buffer given back is lent again, not a new one');
    verifier.giveBack(again);
  });

  it('verifies many packs at once across its workers', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => verifier.verify('', i % 2 ? damaged() : Buffer.from(pack), blobs)));
    assert.deepEqual(results.map((r) => r.length), [0, 2, 0, 2, 0, 2, 0, 2]);
    assert.equal(verifier.parallelism, 2);
  });
});
