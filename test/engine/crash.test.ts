/**
 * kill -9 at many points of a backup, a prune and a restore. After every kill the
 * repository must pass `check` (packs nothing indexes are warnings, nothing else is),
 * every snapshot published before restores identically, stale locks of the dead process
 * must not block anyone, and the interrupted operation must succeed when run again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { cp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { cliFor, collect, show } from '../helpers/cli.ts';
import { objectCount, objectNames, tempFiles } from '../helpers/repo-files.ts';
import { backup, checkClean, restore, restoreDirect } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, MiB, buildTree, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree, scanTree } from '../helpers/tree-compare.ts';
import type { TreeManifest } from '../helpers/tree-compare.ts';

const PRUNE_UNTIL_KILLED = join(import.meta.dirname, '..', 'helpers', 'prune-until-killed.ts');

type Watched = 'data' | 'index' | 'snapshots' | 'locks';

/** The folders that hold objects of a type (data has 256 subfolders). */
async function foldersOf(repoDir: string, type: Watched): Promise<string[]> {
  return type === 'data' ? (await readdir(join(repoDir, 'data'))).map((d) => join(repoDir, 'data', d)) : [join(repoDir, type)];
}

/**
 * Kills the child with SIGKILL as soon as `due()` holds (checked every 2 ms and on every
 * change in the watched folders); resolves with how it ended.
 */
async function killWhen(child: ChildProcess, due: () => boolean | Promise<boolean>, watchDirs: readonly string[] = []): Promise<NodeJS.Signals | number | null> {
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let done = false;
  const probe = async (): Promise<void> => {
    if (done) return;
    if (await due()) {
      done = true;
      child.kill('SIGKILL');
    }
  };
  const timer = setInterval(() => void probe(), 2);
  const watchers: FSWatcher[] = watchDirs.map((d) => watch(d, () => void probe()));
  try {
    return await exited;
  } finally {
    done = true;
    clearInterval(timer);
    for (const w of watchers) w.close();
  }
}

/** Every snapshot restores (in this process: there are many) to exactly its source. */
async function assertRestores(repoDir: string, password: string, snapshots: ReadonlyMap<string, TreeManifest>): Promise<void> {
  for (const [id, manifest] of snapshots) {
    const target = join(repoDir, '..', `restore-${id.slice(0, 8)}`);
    await restoreDirect(repoDir, password, id, target);
    await assertSameTree(manifest, join(target, 'src'));
    await rm(target, { recursive: true });
  }
}

// The three scenarios use separate repositories; they run side by side (much of their time is fsync).
describe('kill -9', { concurrency: true }, () => {
  describe('kill -9 during backup', { concurrency: false }, () => {
    let t: TestRepository;
    let src: string;
    const published = new Map<string, TreeManifest>();

    before(async () => {
      t = await createTestRepository({ packSize: MiB });
      src = t.path('src');
      await buildTree(join(src, 'tree'), { bigFileBytes: 3 * MiB, sparseFileBytes: 8 * MiB });
      await writeRandomFiles(join(src, 'bulk'), 40, 100 * KiB);
      const s = await backup(t.cli, [src]);
      published.set(s.id, await scanTree(src));
    });
    after(() => t.cleanup());

    // Each kill point: when `type` holds `more` objects than before the backup started
    // (or, with no type, a time after the start), watched through its folders.
    const rounds: Array<{ name: string; type?: Watched; more: number; unlock: boolean }> = [
      { name: 'while it starts', more: 150, unlock: false },
      { name: 'once it holds its lock', type: 'locks', more: 1, unlock: true },
      { name: 'after its first pack', type: 'data', more: 1, unlock: false },
      { name: 'half-way through its packs', type: 'data', more: 8, unlock: true },
      { name: 'once its index is written', type: 'index', more: 1, unlock: false },
      { name: 'once its snapshot is written', type: 'snapshots', more: 1, unlock: true },
    ];
    for (const [i, round] of rounds.entries()) {
      it(`killed ${round.name}: check passes, earlier snapshots restore, the next backup succeeds`, async () => {
        await rm(join(src, `round-${i - 1}`), { recursive: true, force: true });
        await writeRandomFiles(join(src, `round-${i}`), 8, 2 * MiB);
        await writeFile(join(src, 'bulk', 'f0000'), randomBytes(100 * KiB));
        const type = round.type;
        const was = type ? objectCount(t.repoDir, type) : 0;
        const child = t.cli.start(['backup', src]);
        const begun = Date.now();
        const due = (): boolean => (type ? objectCount(t.repoDir, type) >= was + round.more : Date.now() - begun >= round.more);
        const end = await killWhen(child, due, type ? await foldersOf(t.repoDir, type) : []);
        assert.equal(end, 'SIGKILL', `the backup ended with ${String(end)} before the kill point`);
        const manifest = await scanTree(src);
        for (const id of objectNames(t.repoDir, 'snapshots')) if (!published.has(id)) published.set(id, manifest);

        if (round.unlock) {
          const stale = objectCount(t.repoDir, 'locks');
          const r = await t.cli.run(['unlock']);
          assert.equal(r.stdout, `removed ${stale} lock(s)\n`, show(r));
        }
        await checkClean(t.cli, { allowWarnings: true });
        await assertRestores(t.repoDir, t.password, published);
        const next = await backup(t.cli, [src]);
        published.set(next.id, manifest);
        assert.equal(objectCount(t.repoDir, 'locks'), 0, 'no lock is left behind');
      });
    }

    it('prune then removes what the killed backups left; everything still restores', async (tc) => {
      // The killed backups' pack files in progress, made a day old, plus a fresh one as a
      // live concurrent backup would have: prune deletes the old and keeps the fresh.
      const leftovers = tempFiles(t.repoDir);
      tc.diagnostic(`temporary files left by the killed backups: ${leftovers.length}`);
      await writeFile(join(t.repoDir, '.tmp-planted-old'), randomBytes(KiB));
      const dayAgo = new Date(Date.now() - 25 * 3600_000);
      for (const rel of [...leftovers, '.tmp-planted-old']) await utimes(join(t.repoDir, rel), dayAgo, dayAgo);
      await writeFile(join(t.repoDir, '.tmp-planted-live'), randomBytes(KiB));
      const r = await t.cli.run(['prune']);
      assert.equal(r.code, 0, show(r));
      const unreferenced = Number(/\((\d+) unreferenced\)/.exec(r.stdout)?.[1]);
      assert.ok(unreferenced > 0, `prune found no packs of the killed backups\n${show(r)}`);
      assert.match(r.stdout, new RegExp(`removed ${leftovers.length + 1} temporary file\\(s\\)`), show(r));
      assert.deepEqual(tempFiles(t.repoDir), ['.tmp-planted-live']);
      await checkClean(t.cli, { readData: true });
      await assertRestores(t.repoDir, t.password, published);
    });
  });

  describe('kill -9 during prune', { concurrency: false }, () => {
    let t: TestRepository;
    let src: string;
    const kept = new Map<string, TreeManifest>();

    before(async () => {
      t = await createTestRepository({ packSize: MiB });
      src = t.path('src');
      await writeRandomFiles(join(src, 'data'), 60, 100 * KiB);
      const first = await backup(t.cli, [src]);
      for (const name of await readdir(join(src, 'data'))) if (Number(name.slice(1)) % 2 === 1) await rm(join(src, 'data', name));
      await writeRandomFiles(join(src, 'more'), 10, 100 * KiB);
      kept.set((await backup(t.cli, [src])).id, await scanTree(src));
      await writeRandomFiles(join(src, 'last'), 10, 100 * KiB);
      kept.set((await backup(t.cli, [src])).id, await scanTree(src));
      const forget = await t.cli.run(['forget', first.id]);
      assert.equal(forget.code, 0, show(forget));
    });
    after(() => t.cleanup());

    for (const step of ['plan', 'repacked', 'indexed', 'old-index-deleted', 'done']) {
      it(`killed at step '${step}': check passes, the snapshots restore, prune runs again`, async () => {
        const repoDir = t.path(`repo-${step}`);
        await cp(t.repoDir, repoDir, { recursive: true });
        const cli = cliFor(repoDir, t.password);
        const child = spawn(process.execPath, [PRUNE_UNTIL_KILLED, repoDir, t.password, step], { stdio: 'pipe' });
        const r = await collect(child);
        assert.equal(r.signal, 'SIGKILL', show(r));
        await checkClean(cli, { allowWarnings: true });
        await assertRestores(repoDir, t.password, kept);
        const again = await cli.run(['--json', 'prune']);
        assert.equal(again.code, 0, show(again));
        await checkClean(cli, { readData: true });
        assert.equal(objectCount(repoDir, 'locks'), 0);
        await rm(repoDir, { recursive: true });
      });
    }
  });

  describe('kill -9 during restore', { concurrency: false }, () => {
    let t: TestRepository;
    let manifest: TreeManifest;
    let id: string;

    before(async () => {
      t = await createTestRepository();
      const src = t.path('src');
      await buildTree(src, { bigFileBytes: 20 * MiB });
      await writeRandomFiles(join(src, 'bulk'), 40, 300 * KiB);
      manifest = await scanTree(src);
      id = (await backup(t.cli, [src])).id;
    });
    after(() => t.cleanup());

    const kills: Array<{ name: string; due: (target: string) => Promise<boolean> }> = [
      { name: 'as the first files appear', due: async (target) => (await stat(join(target, 'src')).catch(() => undefined)) !== undefined },
      { name: 'half-way through the big file', due: async (target) => ((await stat(join(target, 'src', 'big.bin')).catch(() => undefined))?.blocks ?? 0) * 512 > 8 * MiB },
    ];
    for (const k of kills) {
      it(`killed ${k.name}: restoring again into the same folder gives an identical tree`, async () => {
        const target = t.path(`target-${kills.indexOf(k)}`);
        const child = t.cli.start(['restore', id, '--target', target]);
        assert.equal(await killWhen(child, () => k.due(target)), 'SIGKILL', 'the restore ended before the kill point');
        await restore(t.cli, id, target);
        await assertSameTree(manifest, join(target, 'src'));
        await checkClean(t.cli);
      });
    }
  });
});
