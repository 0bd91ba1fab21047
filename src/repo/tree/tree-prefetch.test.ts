import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Id } from '../../core/ids.ts';
import { messageOf } from '../../core/errors.ts';
import { MemoryStorage } from '../../backend/memory-storage.ts';
import type { ByteRange, ObjectHandle } from '../../backend/storage.ts';
import { BlobSealer } from '../blob-sealer.ts';
import { PackSink } from '../pack/pack-sink.ts';
import { Repository } from '../repository.ts';
import { decodeTree, encodeTree } from '../tree/tree.ts';
import type { TreeNode } from '../tree/tree.ts';
import { TreePrefetcher } from './tree-prefetch.ts';

class CountingStorage extends MemoryStorage {
  gets = 0;
  override async get(handle: ObjectHandle, range?: ByteRange): Promise<Buffer> {
    if (handle.type === 'data') this.gets++;
    return super.get(handle, range);
  }
}

function dir(name: string, subtree?: Id): TreeNode {
  return { name, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1, ctime: 1, inode: 1, dev: 1, links: 1, size: 0, ...(subtree ? { subtree } : {}) };
}

/** A repository holding `count` small trees (packed together), with their ids and nodes. */
async function repoWithTrees(count: number): Promise<{ repo: Repository; storage: CountingStorage; ids: Id[]; nodes: Map<Id, TreeNode[]> }> {
  const storage = new CountingStorage();
  const repo = await Repository.init(storage, { password: 'pw', now: new Date(), kdfCost: 'test' });
  const sealer = new BlobSealer(repo.key, repo.config.compression);
  const sink = new PackSink(repo);
  const ids: Id[] = [];
  const nodes = new Map<Id, TreeNode[]>();
  for (let i = 0; i < count; i++) {
    const list = [dir(`d${i}`), dir(`e${i}`)];
    const r = sealer.seal(encodeTree(list), 'tree');
    if (r.sealed) await sink.add({ id: r.id, type: 'tree', rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
    ids.push(r.id);
    nodes.set(r.id, decodeTree(encodeTree(list), r.id).nodes);
  }
  await sink.flush();
  storage.gets = 0;
  return { repo, storage, ids, nodes };
}

describe('TreePrefetcher', () => {
  it('serves prefetched trees from merged reads, and others by loading them', async () => {
    const { repo, storage, ids, nodes } = await repoWithTrees(20);
    const trees = new TreePrefetcher(repo);
    trees.prefetch(ids.slice(0, 10));
    for (const id of ids) assert.deepEqual(await trees.get(id), nodes.get(id));
    assert.equal(storage.gets, 1 + 10, 'one read for the ten adjacent prefetched trees, one per other tree');
  });

  it('hands a prefetched tree out once, then loads it again', async () => {
    const { repo, storage, ids, nodes } = await repoWithTrees(2);
    const trees = new TreePrefetcher(repo);
    trees.prefetch([ids[0] as Id, ids[0] as Id]);
    assert.deepEqual(await trees.get(ids[0] as Id), nodes.get(ids[0] as Id));
    assert.deepEqual(await trees.get(ids[0] as Id), nodes.get(ids[0] as Id));
    assert.equal(storage.gets, 2);
  });

  it('drops the oldest prefetched trees past maxHeld and still returns every tree', async () => {
    const { repo, ids, nodes } = await repoWithTrees(30);
    const trees = new TreePrefetcher(repo, { maxHeld: 4, maxInFlight: 1 });
    for (let i = 0; i < 30; i += 3) trees.prefetch(ids.slice(i, i + 3));
    for (const id of [...ids].reverse()) assert.deepEqual(await trees.get(id), nodes.get(id));
  });

  it('fails like loadBlob + decodeTree for a damaged or unknown tree', async () => {
    const { repo, storage, ids } = await repoWithTrees(3);
    const victim = repo.index.get(ids[1] as Id);
    assert.ok(victim);
    const pack = await storage.get({ type: 'data', name: victim.pack });
    pack[victim.offset + 20] = (pack[victim.offset + 20] ?? 0) ^ 1;
    await storage.delete({ type: 'data', name: victim.pack });
    await storage.put({ type: 'data', name: victim.pack }, pack);
    const expected = await repo.loadBlob(victim.id, 'tree').then(() => 'no error', messageOf);
    const trees = new TreePrefetcher(repo);
    trees.prefetch(ids);
    await assert.rejects(trees.get(victim.id), (err) => messageOf(err) === expected);
    assert.deepEqual((await trees.get(ids[2] as Id)).map((n) => n.name), ['d2', 'e2']);
    const unknown = 'ab'.repeat(32);
    trees.prefetch([unknown]);
    await assert.rejects(trees.get(unknown), /is not in any index/);
  });
});
