import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { MemoryStorage } from '../../backend/memory-storage.ts';
import type { ByteRange, ObjectHandle } from '../../backend/storage.ts';
import { generateMasterKey } from '../crypto/master-key.ts';
import { contentHash } from '../crypto/keyed-hash.ts';
import { BlobSealer } from '../blob-sealer.ts';
import { DEFAULT_COMPRESSION } from '../compression.ts';
import { PackBuilder } from './pack-builder.ts';
import { packHeaderOf, readPackHeader } from './pack-header.ts';

class RangeCountingStorage extends MemoryStorage {
  reads = 0;
  override async get(handle: ObjectHandle, range?: ByteRange): Promise<Buffer> {
    this.reads++;
    return super.get(handle, range);
  }
}

const key = generateMasterKey();

/** A stored pack of `blobs` blobs of `bytes` random bytes each. */
async function storedPack(storage: MemoryStorage, blobs: number, bytes: number): Promise<{ name: string; pack: Buffer }> {
  const sealer = new BlobSealer(key, DEFAULT_COMPRESSION);
  const builder = new PackBuilder(Buffer.allocUnsafe(1 << 20));
  for (let i = 0; i < blobs; i++) {
    const r = sealer.seal(randomBytes(bytes), 'tree');
    builder.add({ ...r, type: 'tree', sealed: r.sealed ?? new Uint8Array(0) });
  }
  const pack = Buffer.from(builder.finish(key.encKey));
  const name = contentHash(pack).toString('hex');
  await storage.put({ type: 'data', name }, pack);
  return { name, pack };
}

describe('readPackHeader', () => {
  const cases = [
    { name: 'a small header: one ranged read', blobs: 20, bytes: 2000, reads: 1 },
    { name: 'a header larger than the first read: two', blobs: 3000, bytes: 16, reads: 2 },
    { name: 'a pack smaller than the first read: one', blobs: 1, bytes: 10, reads: 1 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const storage = new RangeCountingStorage();
      const { name, pack } = await storedPack(storage, c.blobs, c.bytes);
      storage.reads = 0;
      const read = await readPackHeader(storage, key.encKey, name, pack.byteLength);
      assert.equal(storage.reads, c.reads);
      assert.equal(read.length, c.blobs);
      assert.deepEqual(read, packHeaderOf(key.encKey, name, pack));
    });
  }

  const damage: Array<{ name: string; size: (n: number) => number; alter: (p: Buffer) => Buffer }> = [
    { name: 'a flipped header byte', size: (n) => n, alter: (p) => (p.writeUInt8(p.readUInt8(p.byteLength - 20) ^ 1, p.byteLength - 20), p) },
    { name: 'a truncated pack', size: (n) => n - 100, alter: (p) => p.subarray(0, p.byteLength - 100) },
    { name: 'a listed size larger than the pack', size: (n) => n + 10, alter: (p) => p },
    { name: 'a trailer past the start', size: (n) => n, alter: (p) => (p.writeUInt32LE(p.byteLength, p.byteLength - 4), p) },
  ];
  for (const c of damage) {
    it(`${c.name}: REPO_CORRUPT or AUTH_FAILED`, async () => {
      const storage = new MemoryStorage();
      const { name, pack } = await storedPack(storage, 10, 1000);
      await storage.put({ type: 'data', name }, c.alter(Buffer.from(pack)));
      await assert.rejects(readPackHeader(storage, key.encKey, name, c.size(pack.byteLength)), (err) => isHoldfastError(err, 'REPO_CORRUPT') || isHoldfastError(err, 'AUTH_FAILED'));
    });
  }
});
