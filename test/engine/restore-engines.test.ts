/**
 * The two engines that write restored files, the native addon on libuv's pool (the
 * default) and the mover's worker threads, restore the same tree to the same bytes,
 * holes and metadata, and fail the same pieces with the same messages: a damaged blob, a
 * file that cannot be opened.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '#src/core/clock.ts';
import { nativeRestore } from '#src/mover/restore/native-runner.ts';
import { restoreSnapshot } from '#src/mover/restore/restorer.ts';
import type { RestoreResult } from '#src/mover/restore/restorer.ts';
import { findSnapshot } from '#src/repo/snapshot/snapshot-store.ts';
import { fileBlobs, flipByte, packPath } from '../helpers/repo-files.ts';
import { backup } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, buildTree, compressible, put } from '../helpers/tree-builder.ts';
import { assertSameTree, scanTree } from '../helpers/tree-compare.ts';
import type { TreeManifest } from '../helpers/tree-compare.ts';

const ENGINES = ['native', 'workers'] as const;

describe('restore engines: native addon and worker threads', () => {
  let t: TestRepository;
  let manifest: TreeManifest;
  let snapshot: string;

  before(async () => {
    t = await createTestRepository({ packSize: 1 << 20 });
    const src = t.path('src');
    await buildTree(src, { bigFileBytes: 6 << 20, sparseFileBytes: 9 << 20 });
    // Blobs used twice in one task, modes a umask would change, a set-uid file (chmod after create).
    await put(join(src, 'same-1'), compressible(40 * KiB, 7));
    await put(join(src, 'same-2'), compressible(40 * KiB, 7));
    await put(join(src, 'group-writable'), 'g', 0o664);
    await put(join(src, 'setuid'), 's', 0o4755);
    await put(join(src, 'private'), 'p', 0o600);
    manifest = await scanTree(src);
    snapshot = (await backup(t.cli, [src])).id;
  });
  after(() => t.cleanup());

  it('the native engine is built (else restores fall back to worker threads)', () => {
    assert.ok(nativeRestore(), 'holdfast-native has no restorePieces: run `npm install` (node-gyp)');
  });

  const restoreWith = async (engine: (typeof ENGINES)[number], target: string): Promise<RestoreResult> => {
    const repo = await t.reopen();
    return restoreSnapshot(repo, await findSnapshot(repo, snapshot), { target, clock: systemClock, engine });
  };

  for (const engine of ENGINES) {
    it(`${engine}: every byte, hole, mode, owner and mtime comes back`, async () => {
      const target = t.path(`restore-${engine}`);
      const r = await restoreWith(engine, target);
      assert.deepEqual(r.errors, []);
      await assertSameTree(manifest, join(target, 'src'));
    });
  }

  it('both engines fail the same pieces with the same messages', async () => {
    const repo = await t.reopen();
    const [blob] = await fileBlobs(repo, snapshot, 'src/same-1');
    assert.ok(blob);
    const results: Array<Array<{ path: string; message: string }>> = [];
    for (const engine of ENGINES) {
      const target = t.path(`broken-${engine}`);
      // A directory where a file goes: its open fails (EISDIR).
      await mkdir(join(target, 'src', 'private'), { recursive: true });
      await flipByte(packPath(t.repoDir, blob.pack), blob.offset + 20);
      try {
        const r = await restoreWith(engine, target);
        results.push(r.errors.map((e) => ({ path: e.path.slice(target.length), message: e.message.replaceAll(target, '<target>') })).sort((a, b) => a.path.localeCompare(b.path)));
      } finally {
        await flipByte(packPath(t.repoDir, blob.pack), blob.offset + 20);
        await rm(target, { recursive: true, force: true });
      }
    }
    const [native, workers] = results;
    assert.deepEqual(native?.map((e) => e.path), ['/src/private', '/src/same-1', '/src/same-2']);
    assert.equal(native?.[0]?.message, "EISDIR: illegal operation on a directory, open '<target>/src/private'");
    assert.match(native?.[1]?.message ?? '', new RegExp(`blob ${blob.id}`));
    assert.deepEqual(native, workers);
  });
});
