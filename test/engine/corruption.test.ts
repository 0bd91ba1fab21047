/**
 * Damaged repositories: a flipped byte in a pack, a truncated pack, a missing pack, a
 * damaged index file and a damaged snapshot. `check` (with --read-data where the damage
 * is inside a pack) names what is damaged and what it affects; a restore brings back
 * every file the damage does not touch and lists exactly the ones it does (exit 3).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsStorage } from '#src/backend/fs/fs-storage.ts';
import type { BlobLocation } from '#src/repo/blob.ts';
import { Repository } from '#src/repo/repository.ts';
import { findSnapshot } from '#src/repo/snapshot/snapshot-store.ts';
import { contentIds } from '#src/repo/tree/tree.ts';
import { walkTree } from '#src/mover/restore/tree-walk.ts';
import { cliFor, show, stderrLines } from '../helpers/cli.ts';
import type { Cli, CliResult } from '../helpers/cli.ts';
import { fileBlobs, flipByte, objectNames, objectPath, packPath } from '../helpers/repo-files.ts';
import { backup, checkClean, restore, snapshotIds } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, MiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree, scanTree } from '../helpers/tree-compare.ts';
import type { TreeManifest } from '../helpers/tree-compare.ts';

interface Copy {
  readonly repoDir: string;
  readonly cli: Cli;
  readonly repo: Repository;
}

/** Snapshot-relative paths ('src/a/f0001') of the files using each data blob. */
async function filesByBlob(repo: Repository, snapshot: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const { path, node } of walkTree(repo, (await findSnapshot(repo, snapshot)).tree)) {
    for (const id of contentIds(node)) out.set(id, [...(out.get(id) ?? []), path]);
  }
  return out;
}

/** The restore's error lines must name exactly `paths` (snapshot-relative), one line each. */
function assertRestoreErrors(r: CliResult, target: string, paths: readonly string[]): void {
  assert.equal(r.code, 3, `restore exit\n${r.stderr}`);
  const named = stderrLines(r).map((l) => {
    assert.ok(l.startsWith(`error: ${target}/`), l);
    return l.slice(`error: ${target}/`.length).split(': ')[0];
  });
  assert.deepEqual([...new Set(named)].sort(), [...paths].sort());
  assert.match(r.stdout, new RegExp(`${new Set(named).size} path\\(s\\) could not be restored`));
}

describe('damaged repositories', () => {
  let t: TestRepository;
  let s1: string;
  let s2: string;
  let manifest: TreeManifest;

  before(async () => {
    t = await createTestRepository({ packSize: MiB });
    const src = t.path('src');
    await writeRandomFiles(join(src, 'a'), 30, 150 * KiB);
    await put(join(src, 'victim.bin'), randomBytes(200 * KiB));
    await put(join(src, 'notes.txt'), compressible(50 * KiB));
    s1 = (await backup(t.cli, [src])).id;
    await put(join(src, 'new.txt'), compressible(20 * KiB, 3));
    s2 = (await backup(t.cli, [src])).id;
    manifest = await scanTree(src);
  });
  after(() => t.cleanup());

  async function copy(name: string): Promise<Copy> {
    const repoDir = t.path(`repo-${name}`);
    await cp(t.repoDir, repoDir, { recursive: true });
    const repo = await Repository.open(new FsStorage(repoDir), { password: t.password });
    await repo.loadIndex();
    return { repoDir, cli: cliFor(repoDir, t.password), repo };
  }

  /** A pack holding only data blobs of at least three files, and its blobs. */
  function dataPack(repo: Repository, users: Map<string, string[]>): { pack: string; blobs: BlobLocation[] } {
    const byPack = new Map<string, BlobLocation[]>();
    for (const loc of repo.index.blobs()) byPack.set(loc.pack, [...(byPack.get(loc.pack) ?? []), loc]);
    for (const [pack, blobs] of byPack) {
      if (blobs.every((b) => b.type === 'data' && users.has(b.id)) && blobs.length >= 3) return { pack, blobs };
    }
    throw new Error('no pack with data blobs only');
  }

  it('a flipped byte in a pack: check --read-data names pack, blob, snapshots and file; restore recovers the rest', async () => {
    const c = await copy('flip');
    const [blob] = await fileBlobs(c.repo, s2, 'src/victim.bin');
    assert.ok(blob);
    await flipByte(packPath(c.repoDir, blob.pack), blob.offset + 40);

    const check = await c.cli.run(['check', '--read-data']);
    assert.equal(check.code, 13, show(check));
    const lines = stderrLines(check);
    assert.equal(lines.length, 2, show(check));
    assert.ok(lines.includes(`error: pack ${blob.pack}: content does not match its name (damaged in storage)`), show(check));
    const blobLine = lines.find((l) => l.startsWith(`error: pack ${blob.pack} blob ${blob.id}: `)) ?? '';
    for (const s of [s1, s2]) assert.ok(blobLine.includes(`snapshot ${s.slice(0, 8)} file /src/victim.bin`), show(check));
    assert.match(check.stdout, /2 error\(s\) found/);

    const target = t.path('restore-flip');
    assertRestoreErrors(await c.cli.run(['restore', s2, '--target', target]), target, ['src/victim.bin']);
    await assertSameTree(manifest, join(target, 'src'), { ignore: (p) => p === 'victim.bin' });
    const dump = await c.cli.run(['dump', s2, 'src/victim.bin']);
    assert.equal(dump.code, 13, show(dump));
    assert.match(stderrLines(dump).join('\n'), new RegExp(`^holdfast: blob ${blob.id} in pack ${blob.pack}: authentication failed`));
  });

  it('a truncated pack: check --read-data names the lost blobs; restore recovers every file before the cut', async () => {
    const c = await copy('truncated');
    const users = await filesByBlob(c.repo, s2);
    const { pack, blobs } = dataPack(c.repo, users);
    const cut = Math.floor((await stat(packPath(c.repoDir, pack))).size / 2);
    await truncate(packPath(c.repoDir, pack), cut);
    const lost = blobs.filter((b) => b.offset + b.length > cut);
    const kept = blobs.filter((b) => b.offset + b.length <= cut);
    assert.ok(lost.length > 0 && kept.length > 0, 'the cut splits the pack');

    const check = await c.cli.run(['check', '--read-data']);
    assert.equal(check.code, 13, show(check));
    assert.ok(check.stderr.includes(`error: pack ${pack}: content does not match its name`), show(check));
    assert.ok(check.stderr.includes(`error: pack ${pack}: header unreadable`), show(check));
    for (const b of lost) assert.ok(check.stderr.includes(`blob ${b.id}`), `lost blob ${b.id} is named\n${show(check)}`);
    for (const b of kept) assert.ok(!check.stderr.includes(`blob ${b.id}`), `intact blob ${b.id} is not named\n${show(check)}`);

    const damaged = [...new Set(lost.flatMap((b) => users.get(b.id) ?? []))];
    const target = t.path('restore-truncated');
    assertRestoreErrors(await c.cli.run(['restore', s2, '--target', target]), target, damaged);
    await assertSameTree(manifest, join(target, 'src'), { ignore: (p) => damaged.includes(`src/${p}`) });
  });

  it('a missing pack: check names it; restore recovers every file that does not need it', async () => {
    const c = await copy('missing');
    const users = await filesByBlob(c.repo, s2);
    const { pack, blobs } = dataPack(c.repo, users);
    await rm(packPath(c.repoDir, pack));

    const check = await c.cli.run(['check']);
    assert.equal(check.code, 13, show(check));
    assert.deepEqual(stderrLines(check), [`error: pack ${pack} is in the index but missing from storage`]);

    const damaged = [...new Set(blobs.flatMap((b) => users.get(b.id) ?? []))];
    const target = t.path('restore-missing');
    assertRestoreErrors(await c.cli.run(['restore', s2, '--target', target]), target, damaged);
    await assertSameTree(manifest, join(target, 'src'), { ignore: (p) => damaged.includes(`src/${p}`) });
  });

  it('a damaged index file: check names it; commands that need the index stop with exit 13', async () => {
    const c = await copy('index');
    const [name] = objectNames(c.repoDir, 'index');
    assert.ok(name);
    const file = objectPath(c.repoDir, 'index', name);
    await flipByte(file, Math.floor((await stat(file)).size / 2));

    const check = await c.cli.run(['check']);
    assert.equal(check.code, 13, show(check));
    assert.ok(stderrLines(check).some((l) => l.startsWith(`error: index ${name}: `) && l.includes('authentication failed')), show(check));
    const r = await c.cli.run(['restore', s2, '--target', t.path('restore-index')]);
    assert.equal(r.code, 13, show(r));
    assert.equal(stderrLines(r).length, 1, show(r));
    assert.match(r.stderr, new RegExp(`^holdfast: index/${name}: authentication failed`));
    assert.deepEqual(await snapshotIds(c.cli), await snapshotIds(t.cli), 'snapshots are listed without the index');
  });

  it('a damaged snapshot: check names it and checks the rest; the other restores; forget removes it', async () => {
    const c = await copy('snapshot');
    const file = objectPath(c.repoDir, 'snapshots', s1);
    await flipByte(file, 20);

    const check = await c.cli.run(['check']);
    assert.equal(check.code, 13, show(check));
    assert.deepEqual(stderrLines(check), [`error: snapshots/${s1}: authentication failed (data corrupted or tampered with)`]);
    const list = await c.cli.run(['snapshots']);
    assert.equal(list.code, 13, show(list));
    assert.equal(stderrLines(list).length, 1, show(list));
    assert.ok(list.stderr.includes(s1), show(list));

    const target = t.path('restore-snapshot');
    await restore(c.cli, s2, target);
    await assertSameTree(manifest, join(target, 'src'));
    const forget = await c.cli.run(['forget', s1.slice(0, 8)]);
    assert.equal(forget.code, 0, show(forget));
    assert.deepEqual(await snapshotIds(c.cli), [s2]);
    await checkClean(c.cli);
  });
});
