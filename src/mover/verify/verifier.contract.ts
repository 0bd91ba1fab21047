/**
 * The contract every `BlobVerifier` of the mover keeps (worker threads, native addon):
 * it finds exactly the blobs `inlineVerifier` finds, names them in the same words, in
 * the same order, whatever the pack's bytes (a view, a truncated pack, damaged blobs of
 * every kind) and however the work is cut or interleaved.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MemoryStorage } from '../../backend/memory-storage.ts';
import type { BlobLocation } from '../../repo/blob.ts';
import { BlobSealer } from '../../repo/blob-sealer.ts';
import { inlineVerifier } from '../../repo/maintenance/blob-verifier.ts';
import type { BlobVerifier } from '../../repo/maintenance/blob-verifier.ts';
import { PackSink } from '../../repo/pack/pack-sink.ts';
import { Repository } from '../../repo/repository.ts';

export type ClosableVerifier = BlobVerifier & { close(): Promise<void> };

/** A repository holding one data pack of six blobs, half of them compressible. */
export interface VerifierFixture {
  readonly repo: Repository;
  readonly pack: Buffer;
  readonly blobs: BlobLocation[];
  /** A copy of the pack with blobs 1 and 4 damaged. */
  damaged(): Buffer;
}

export async function verifierFixture(): Promise<VerifierFixture> {
  const storage = new MemoryStorage();
  const repo = await Repository.init(storage, { password: 'pw', now: new Date(), kdfCost: 'test' });
  const sealer = new BlobSealer(repo.key, repo.config.compression);
  const sink = new PackSink(repo);
  for (let i = 0; i < 6; i++) {
    const plain = i % 2 === 0 ? randomBytes(20_000) : Buffer.alloc(30_000, i);
    const r = sealer.seal(plain, 'data');
    if (r.sealed) await sink.add({ id: r.id, type: 'data', rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
  }
  await sink.flush();
  const blobs = [...repo.index.blobs()];
  const pack = await storage.get({ type: 'data', name: blobs[0]?.pack ?? '' });
  const damaged = (): Buffer => {
    const copy = Buffer.from(pack);
    for (const b of [blobs[1], blobs[4]]) if (b) copy[b.offset + 15] = (copy[b.offset + 15] ?? 0) ^ 1;
    return copy;
  };
  return { repo, pack, blobs, damaged };
}

export function verifierContract(name: string, make: (repo: Repository, opts: { sliceBytes?: number }) => ClosableVerifier): void {
  describe(`BlobVerifier contract: ${name}`, () => {
    let f: VerifierFixture;
    let verifier: ClosableVerifier;
    before(async () => {
      f = await verifierFixture();
      verifier = make(f.repo, {});
    });
    after(() => verifier.close());

    it('finds the same damaged blobs, with the same messages, as decoding inline', async () => {
      const expected = await inlineVerifier(f.repo).verify(f.blobs[0]?.pack ?? '', f.damaged(), f.blobs);
      assert.equal(expected.length, 2);
      assert.deepEqual(await verifier.verify(f.blobs[0]?.pack ?? '', f.damaged(), f.blobs), expected);
    });

    it('fails every kind of bad blob with the same message as decoding inline', async () => {
      const compressed = f.blobs.find((b) => b.compressed);
      const stored = f.blobs.find((b) => !b.compressed);
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
        { ...stored, offset: 2 ** 33 },
      ];
      const expected = await inlineVerifier(f.repo).verify('', Buffer.from(f.pack), bad);
      assert.equal(expected.length, bad.length);
      assert.deepEqual(await verifier.verify('', Buffer.from(f.pack), bad), expected);
    });

    it('accepts bytes that are a view into a larger buffer, and a short (truncated) pack', async () => {
      const big = Buffer.concat([Buffer.alloc(7), f.damaged(), Buffer.alloc(9)]);
      const view = big.subarray(7, 7 + f.pack.byteLength);
      assert.equal((await verifier.verify('', view, f.blobs)).length, 2);
      assert.equal(big.byteLength, f.pack.byteLength + 16, 'the caller keeps its bytes');
      const last = f.blobs.at(-1);
      assert.ok(last);
      const cut = Buffer.from(f.pack.subarray(0, last.offset + 10));
      const result = await verifier.verify('', cut, f.blobs);
      assert.deepEqual(result.map((d) => d.blob), [last.id]);
      assert.match(result[0]?.message ?? '', /read 10 bytes, expected/);
    });

    it('cuts a pack into slices and keeps the order of damaged blobs', async () => {
      const sliced = make(f.repo, { sliceBytes: 1 });
      try {
        const reversed = [...f.blobs].reverse();
        assert.deepEqual(await sliced.verify('', f.damaged(), reversed), await inlineVerifier(f.repo).verify('', f.damaged(), reversed));
      } finally {
        await sliced.close();
      }
    });

    it('verifies many packs at once', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => verifier.verify('', i % 2 ? f.damaged() : Buffer.from(f.pack), f.blobs)));
      assert.deepEqual(results.map((r) => r.length), [0, 2, 0, 2, 0, 2, 0, 2]);
      assert.equal(verifier.parallelism, 2);
    });
  });
}
