import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../backend/memory-storage.ts';
import type { ByteRange, ObjectHandle } from '../../backend/storage.ts';
import { BlockPlan, PackBlockReader } from './pack-blocks.ts';

/** Counts data reads by length; can fail the next few. */
class CountingStorage extends MemoryStorage {
  readonly reads: number[] = [];
  failures = 0;
  override async get(handle: ObjectHandle, range?: ByteRange): Promise<Buffer> {
    if (handle.type === 'data') this.reads.push(range?.length ?? -1);
    if (this.failures > 0) {
      this.failures--;
      throw new Error('injected');
    }
    return super.get(handle, range);
  }
}

const PACK = 'aa'.repeat(32);
const OTHER = 'bb'.repeat(32);
type Read = readonly [pack: string, offset: number, length: number];

async function setup(): Promise<{ storage: CountingStorage; bytes: Map<string, Buffer> }> {
  const storage = new CountingStorage();
  const bytes = new Map([[PACK, randomBytes(10_000)], [OTHER, randomBytes(3_000)]]);
  for (const [name, data] of bytes) await storage.put({ type: 'data', name }, data);
  return { storage, bytes };
}

/** A reader whose plan expects exactly `reads` (each one blob), in blocks of `blockBytes`. */
function planned(storage: CountingStorage, reads: readonly Read[], blockBytes: number, maxBlocks?: number): PackBlockReader {
  const plan = new BlockPlan(blockBytes);
  for (const [pack, offset, length] of reads) plan.add(pack, { offset, length });
  plan.complete = true;
  return new PackBlockReader(storage, plan, maxBlocks === undefined ? {} : { maxBlocks });
}

async function readAll(reader: PackBlockReader, bytes: Map<string, Buffer>, reads: readonly Read[]): Promise<void> {
  for (const [pack, offset, length] of reads) {
    const got = await reader.read(pack, offset, length, [{ offset, length }]);
    assert.ok(got.equals((bytes.get(pack) as Buffer).subarray(offset, offset + length)), `${pack.slice(0, 2)} ${offset}+${length}`);
  }
}

describe('PackBlockReader', () => {
  it('cuts ranges from whole blocks, across block boundaries and at the pack end, one fetch per block', async () => {
    const { storage, bytes } = await setup();
    const reads: Read[] = [[PACK, 0, 100], [PACK, 100, 4000], [PACK, 4000, 200], [PACK, 4096, 4096], [PACK, 9000, 1000], [PACK, 9990, 10]];
    await readAll(planned(storage, reads, 4096), bytes, reads);
    assert.deepEqual(storage.reads, [4096, 4096, 4096], 'blocks 0, 1 and 2, each once');
  });

  it('shares one fetch among concurrent readers, and each gets a buffer of its own', async () => {
    const { storage, bytes } = await setup();
    const reader = planned(storage, [[PACK, 0, 50], [PACK, 0, 50]], 4096);
    const [a, b] = await Promise.all([reader.read(PACK, 0, 50, [{ offset: 0, length: 50 }]), reader.read(PACK, 0, 50, [{ offset: 0, length: 50 }])]);
    assert.deepEqual(storage.reads, [4096]);
    assert.ok(a && b && a.equals((bytes.get(PACK) as Buffer).subarray(0, 50)) && a.buffer !== b.buffer && a.buffer.byteLength === 50);
  });

  it('keeps a block used all along while others come and go, instead of the least recently used', async () => {
    const { storage, bytes } = await setup();
    // OTHER's one block is needed between every step through PACK's blocks: with room for
    // two blocks, an LRU cache would drop it each time PACK moves on.
    const reads: Read[] = [[OTHER, 0, 10], [PACK, 0, 10], [PACK, 1024, 10], [OTHER, 100, 10], [PACK, 2048, 10], [PACK, 3072, 10], [OTHER, 200, 10], [PACK, 4096, 10]];
    await readAll(planned(storage, reads, 1024, 2), bytes, reads);
    assert.equal(storage.reads.length, 6, 'OTHER once, PACK blocks 0 to 4 once each');
  });

  it('reads exact ranges of a dropped block with little left to read, and fetches one with much left again', async () => {
    const { storage, bytes } = await setup();
    const reads: Read[] = [[PACK, 0, 10], [PACK, 1024, 10], [PACK, 2048, 10], [PACK, 20, 10], [OTHER, 0, 10], [OTHER, 1024, 10], [PACK, 2100, 300], [PACK, 2500, 500]];
    await readAll(planned(storage, reads, 1024, 1), bytes, reads);
    assert.deepEqual(storage.reads, [1024, 1024, 1024, 10, 1024, 1024, 1024], 'block 0 of PACK is dropped with 10 bytes left (then an exact read); block 2, with 500 bytes more after the next read, is fetched again');
  });

  it('drops a block once the plan says it has served everything', async () => {
    const { storage, bytes } = await setup();
    const reads: Read[] = [[PACK, 0, 10], [PACK, 10, 10]];
    const reader = planned(storage, reads, 4096);
    await readAll(reader, bytes, reads);
    await readAll(reader, bytes, [[PACK, 30, 10]]);
    assert.deepEqual(storage.reads, [4096, 10], 'an unplanned read after the block was done is an exact read');
  });

  it('while the plan is being made, keeps the most recently used blocks and counts reads made meanwhile', async () => {
    const { storage, bytes } = await setup();
    const plan = new BlockPlan(1024);
    const reader = new PackBlockReader(storage, plan, { maxBlocks: 2 });
    await readAll(reader, bytes, [[PACK, 0, 10], [PACK, 1024, 10], [PACK, 0, 10], [PACK, 2048, 10], [PACK, 1024, 10]]);
    assert.deepEqual(storage.reads, [1024, 1024, 1024, 1024], 'least recently used: block 1 went for block 2, and is fetched again');
    for (const [offset, length] of [[0, 10], [0, 10], [1024, 10], [1024, 10], [2048, 10], [2048, 10]] as const) plan.add(PACK, { offset, length });
    plan.complete = true;
    await readAll(reader, bytes, [[PACK, 2048, 10]]);
    assert.equal(storage.reads.length, 4, 'block 2 was still kept for its last planned read');
    await readAll(reader, bytes, [[PACK, 2048, 10]]);
    assert.deepEqual(storage.reads.slice(4), [10], 'and dropped after it: a read beyond the plan gets an exact range');
  });

  it('does not keep a failed fetch', async () => {
    const { storage, bytes } = await setup();
    const reads: Read[] = [[PACK, 0, 10], [PACK, 0, 10]];
    const reader = planned(storage, reads, 4096);
    storage.failures = 1;
    await assert.rejects(reader.read(PACK, 0, 10, [{ offset: 0, length: 10 }]), /injected/);
    await readAll(reader, bytes, reads.slice(1));
    assert.deepEqual(storage.reads, [4096, 4096]);
  });
});
