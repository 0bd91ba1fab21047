import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Id } from '../../core/ids.ts';
import { MemoryStorage } from '../../backend/memory-storage.ts';
import type { BlobType } from '../blob.ts';
import { BlobSealer } from '../blob-sealer.ts';
import { PackSink } from '../pack/pack-sink.ts';
import { Repository } from '../repository.ts';
import { saveSnapshot } from '../snapshot/snapshot-store.ts';
import { encodeTree } from '../tree/tree.ts';
import type { ContentRef, TreeNode } from '../tree/tree.ts';
import { inlineVerifier } from './blob-verifier.ts';
import type { BlobVerifier } from './blob-verifier.ts';
import { checkRepository } from './check.ts';

const meta = { mode: 0o644, uid: 0, gid: 0, mtime: 1, ctime: 1, inode: 1, dev: 1, links: 1 };
const file = (name: string, content: ContentRef[]): TreeNode => ({ name, type: 'file', ...meta, size: 0, content });
const dir = (name: string, subtree: Id): TreeNode => ({ name, type: 'dir', ...meta, size: 0, subtree });
const NOT_STORED = 'ee'.repeat(32);
const NO_TREE = 'dd'.repeat(32);

/**
 * Two snapshots sharing a subtree `sub` (s2 has it twice, as `sub` and `copy`). `sub`
 * holds victim.bin, whose blob the tests damage, and ghost.bin, which names a blob no
 * index has; s2 also has a directory whose tree was never stored.
 */
async function build(): Promise<{ storage: MemoryStorage; repo: Repository; victim: Id; s1: Id; s2: Id }> {
  const storage = new MemoryStorage();
  const repo = await Repository.init(storage, { password: 'pw', now: new Date(), kdfCost: 'test' });
  const sealer = new BlobSealer(repo.key, repo.config.compression);
  const sink = new PackSink(repo);
  const blob = async (plain: Uint8Array, type: BlobType): Promise<Id> => {
    const r = sealer.seal(plain, type);
    if (r.sealed) await sink.add({ id: r.id, type, rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
    return r.id;
  };
  const a = await blob(randomBytes(3000), 'data');
  const victim = await blob(randomBytes(5000), 'data');
  const sub = await blob(encodeTree([file('a.txt', [a]), file('ghost.bin', [NOT_STORED]), file('victim.bin', [victim, 100])]), 'tree');
  const root1 = await blob(encodeTree([dir('sub', sub), file('top.txt', [a])]), 'tree');
  const root2 = await blob(encodeTree([dir('copy', sub), dir('lost', NO_TREE), dir('sub', sub)]), 'tree');
  await sink.flush();
  const summary = { files: 0, dirs: 0, filesChanged: 0, filesUnchanged: 0, bytesRead: 0, bytesTotal: 0, blobsNew: 0, bytesNew: 0, bytesStored: 0, errors: 0, durationMs: 0 };
  const manifest = (tree: Id, time: string) => ({ version: 1 as const, time, hostname: 'h', username: 'u', kind: 'tree' as const, paths: ['/src'], tree, tags: [], labels: {}, program: 'test', summary });
  const s1 = await saveSnapshot(repo, manifest(root1, '2026-01-01T00:00:00.000Z'));
  const s2 = await saveSnapshot(repo, manifest(root2, '2026-01-02T00:00:00.000Z'));
  return { storage, repo, victim, s1, s2 };
}

async function flipBlobByte(storage: MemoryStorage, repo: Repository, id: Id): Promise<Id> {
  const loc = repo.index.get(id);
  assert.ok(loc);
  const pack = await storage.get({ type: 'data', name: loc.pack });
  pack[loc.offset + 30] = (pack[loc.offset + 30] ?? 0) ^ 0x40;
  await storage.delete({ type: 'data', name: loc.pack });
  await storage.put({ type: 'data', name: loc.pack }, pack);
  return loc.pack;
}

/** Answers later than the inline verifier and out of step with it, as worker threads do; counts the pieces it holds at once. */
function slowVerifier(repo: Repository, held = { now: 0, most: 0 }): BlobVerifier {
  const inline = inlineVerifier(repo);
  return {
    parallelism: 2,
    verify: async (pack, data, blobs) => {
      held.most = Math.max(held.most, ++held.now);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const copy = Buffer.from(data);
      data.fill(0);
      held.now--;
      return inline.verify(pack, copy, blobs);
    },
  };
}

async function reopened(storage: MemoryStorage): Promise<Repository> {
  return Repository.open(storage, { password: 'pw' });
}

describe('checkRepository', () => {
  it('reports every problem once per snapshot and path, shared subtrees included', async () => {
    const { storage, s1, s2 } = await build();
    const report = await checkRepository(await reopened(storage), { readData: false });
    const lines = report.issues.map((i) => i.message);
    const ghost = (s: Id, path: string) => `snapshot ${s.slice(0, 8)} file ${path}: data blob ${NOT_STORED} is not in any index`;
    const ghosts = { [s1]: [ghost(s1, '/sub/ghost.bin')], [s2]: [ghost(s2, '/copy/ghost.bin'), ghost(s2, '/sub/ghost.bin')] };
    const listed: Id[] = [];
    for await (const info of storage.list('snapshots')) listed.push(info.name);
    const lost = `snapshot ${s2.slice(0, 8)} /lost: tree ${NO_TREE}: tree ${NO_TREE} is not in any index of memory:`;
    assert.deepEqual(lines, [...listed.flatMap((s) => ghosts[s] ?? []), lost]);
  });

  it('names the damaged blob, its pack and every use of it, the same with any verifier', async () => {
    const { storage, repo, victim, s1, s2 } = await build();
    const pack = await flipBlobByte(storage, repo, victim);
    const inline = await checkRepository(await reopened(storage), { readData: true });
    const repo2 = await reopened(storage);
    const slow = await checkRepository(repo2, { readData: true, verifier: slowVerifier(repo2) });
    assert.deepEqual(slow, inline);
    const damage = inline.issues.filter((i) => i.blob === victim);
    assert.equal(damage.length, 1);
    const line = damage[0]?.message ?? '';
    assert.match(line, new RegExp(`^pack ${pack} blob ${victim}: blob ${victim} in pack ${pack}: authentication failed`));
    const uses = [`snapshot ${s1.slice(0, 8)} file /sub/victim.bin`, `snapshot ${s2.slice(0, 8)} file /copy/victim.bin`, `snapshot ${s2.slice(0, 8)} file /sub/victim.bin`];
    for (const use of uses) assert.ok(line.includes(use), `${line} names ${use}`);
    assert.ok(inline.issues.some((i) => i.message === `pack ${pack}: content does not match its name (damaged in storage)`));
    assert.equal(inline.packsRead, inline.packs);
  });

  it('finds the same reading packs in pieces as reading them whole, damaged or truncated', async () => {
    const { storage, repo, victim } = await build();
    const pack = await flipBlobByte(storage, repo, victim);
    const whole = await checkRepository(await reopened(storage), { readData: true, pieceBytes: Infinity });
    for (const pieceBytes of [1, 100, 5000]) {
      const repo2 = await reopened(storage);
      const held = { now: 0, most: 0 };
      assert.deepEqual(await checkRepository(repo2, { readData: true, pieceBytes, verifier: slowVerifier(repo2, held) }), whole, `pieces of ${pieceBytes}`);
      // Two packs in flight, each with pieces to spare, still hold three pieces at most between them.
      if (pieceBytes < 5000) assert.equal(held.most, 3, `pieces of ${pieceBytes} held at once`);
    }
    const bytes = await storage.get({ type: 'data', name: pack });
    await storage.delete({ type: 'data', name: pack });
    await storage.put({ type: 'data', name: pack }, bytes.subarray(0, bytes.byteLength - 100));
    const cutWhole = await checkRepository(await reopened(storage), { readData: true, pieceBytes: Infinity });
    assert.ok(cutWhole.issues.some((i) => i.pack === pack && /header unreadable/.test(i.message)));
    assert.deepEqual(await checkRepository(await reopened(storage), { readData: true, pieceBytes: 1 }), cutWhole);
  });
});
