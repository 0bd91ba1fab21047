import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import type { Id } from '../../core/ids.ts';
import { MemoryStorage } from '../../backend/memory-storage.ts';
import { FsStorage } from '../../backend/fs/fs-storage.ts';
import type { ByteRange, ObjectHandle } from '../../backend/storage.ts';
import { BlobSealer } from '../blob-sealer.ts';
import { Repository } from '../repository.ts';
import { encodeTree } from '../tree/tree.ts';
import type { TreeNode } from '../tree/tree.ts';
import { PackSink, uploadsFor } from './pack-sink.ts';

class CountingStorage extends MemoryStorage {
  readonly gets: string[] = [];
  override async get(handle: ObjectHandle, range?: ByteRange): Promise<Buffer> {
    this.gets.push(handle.type);
    return super.get(handle, range);
  }
}

function dir(name: string): TreeNode {
  return { name, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1, ctime: 1, inode: 1, dev: 1, links: 1, size: 0 };
}

const scratch: string[] = [];
after(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A repository with `n` data blobs and `n` trees written interleaved through one sink. */
async function mixed(n: number, packSize = 1 << 20): Promise<{ storage: CountingStorage; trees: Id[]; data: Id[] }> {
  const storage = new CountingStorage();
  const repo = await Repository.init(storage, { password: 'pw', now: new Date(), kdfCost: 'test', packSize });
  const sealer = new BlobSealer(repo.key, repo.config.compression);
  const sink = new PackSink(repo);
  const trees: Id[] = [];
  const data: Id[] = [];
  for (let i = 0; i < n; i++) {
    const d = sealer.seal(randomBytes(100_000), 'data');
    if (d.sealed) await sink.add({ id: d.id, type: 'data', rawLength: d.rawLength, compressed: d.compressed, sealed: d.sealed });
    data.push(d.id);
    const t = sealer.seal(encodeTree([dir(`d${i}`)]), 'tree');
    if (t.sealed) await sink.add({ id: t.id, type: 'tree', rawLength: t.rawLength, compressed: t.compressed, sealed: t.sealed });
    trees.push(t.id);
  }
  await sink.flush();
  return { storage, trees, data };
}

describe('PackSink', () => {
  it('keeps trees and data in separate packs, each under the pack size plus one blob', async () => {
    const { storage, trees, data } = await mixed(30);
    const repo = await Repository.open(storage, { password: 'pw' });
    await repo.loadIndex();
    const treePacks = new Set(trees.map((id) => repo.index.get(id)?.pack));
    const dataPacks = new Set(data.map((id) => repo.index.get(id)?.pack));
    assert.equal(treePacks.size, 1);
    assert.ok(dataPacks.size >= 3, `${dataPacks.size} data packs`);
    for (const p of dataPacks) assert.ok(!treePacks.has(p) && !repo.index.isTreePack(p as Id));
    assert.ok(repo.index.isTreePack([...treePacks][0] as Id));
    for (const id of [...trees, ...data]) assert.ok((await repo.loadBlob(id)).byteLength > 0);
  });

  it('on a storage that takes files, assembles packs in files and leaves none behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-pack-files-'));
    scratch.push(dir);
    const storage = new FsStorage(join(dir, 'repo'));
    const repo = await Repository.init(storage, { password: 'pw', now: new Date(), kdfCost: 'test', packSize: 1 << 20 });
    const sealer = new BlobSealer(repo.key, repo.config.compression);
    const sink = new PackSink(repo);
    const ids: Id[] = [];
    for (let i = 0; i < 40; i++) {
      const big = i % 4 === 0;
      const r = sealer.seal(randomBytes(big ? 300_000 : 3_000), 'data');
      if (r.sealed) await sink.add({ id: r.id, type: 'data', rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
      ids.push(r.id);
    }
    const temps = (): string[] => readdirSync(join(dir, 'repo')).filter((n) => n.startsWith('.'));
    assert.ok(temps().length >= 1 && temps().length <= 2, 'the open pack (and one being stored) are files in the repository');
    await sink.flush();
    assert.deepEqual(temps(), []);
    assert.ok(sink.stats.packs >= 3, `${sink.stats.packs} packs`);
    const reopened = await Repository.open(storage, { password: 'pw' });
    await reopened.loadIndex();
    for (const id of ids) assert.ok((await reopened.loadBlob(id, 'data')).byteLength > 0);

    const r = sealer.seal(randomBytes(1000), 'data');
    if (r.sealed) await sink.add({ id: r.id, type: 'data', rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
    assert.equal(temps().length, 1);
    sink.abandon();
    assert.deepEqual(temps(), [], 'abandon removes the open pack');
  });

  it('sizes uploads from the storage concurrency', () => {
    assert.deepEqual([undefined, 1, 5, 8, 16, 64].map(uploadsFor), [1, 2, 2, 2, 4, 4]);
  });
});

describe('Repository cache', () => {
  it('serves index files and tree packs from the cache once read, and refetches a damaged entry', async () => {
    const { storage, trees, data } = await mixed(5);
    const cacheDir = mkdtempSync(join(tmpdir(), 'holdfast-repo-cache-'));
    scratch.push(cacheDir);
    const open = async (): Promise<Repository> => {
      const repo = await Repository.open(storage, { password: 'pw', cacheDir });
      await repo.loadIndex();
      for (const id of trees) await repo.loadBlob(id, 'tree');
      return repo;
    };
    storage.gets.length = 0;
    const first = await open();
    assert.deepEqual(storage.gets.filter((t) => t !== 'config' && t !== 'keys'), ['index', 'data'], 'one index file, one tree pack (whole)');
    storage.gets.length = 0;
    await open();
    assert.deepEqual(storage.gets.filter((t) => t !== 'config' && t !== 'keys'), [], 'everything from the cache');
    await first.loadBlob(data[0] as Id, 'data');
    assert.deepEqual(storage.gets.filter((t) => t !== 'config' && t !== 'keys'), ['data'], 'data packs are not cached');
    const treePack = first.index.get(trees[0] as Id)?.pack as Id;
    const cached = join(cacheDir, first.config.id, 'data', treePack);
    assert.deepEqual(readdirSync(join(cacheDir, first.config.id, 'data')), [treePack]);
    writeFileSync(cached, Buffer.alloc(100));
    storage.gets.length = 0;
    await open();
    assert.deepEqual(storage.gets.filter((t) => t !== 'config' && t !== 'keys'), ['data'], 'the damaged tree pack is fetched again');
  });
});
