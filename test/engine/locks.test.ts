/**
 * Read commands hold a shared lock for as long as they read, so an exclusive prune
 * cannot delete packs under them. The `ls` here is held mid-listing: its standard output
 * is a pipe nobody reads, and `ls` waits for a full pipe to drain before it goes on.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readLocks } from '#src/repo/lock/lock.ts';
import { collect, show, stderrLines } from '../helpers/cli.ts';
import { eventually } from '../helpers/eventually.ts';
import { backup, checkClean } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { holdLock, releaseLock } from '../helpers/lock-holder.ts';
import { MiB, put } from '../helpers/tree-builder.ts';

/** Enough listing to fill the pipe and the reader's buffer several times over: ~2 KB a path. */
const DEPTH = 8;
const FILES = 400;

describe('read commands and prune', () => {
  let t: TestRepository;
  let snapshot: string;

  before(async () => {
    t = await createTestRepository();
    const deep = join(t.path('src'), ...Array.from({ length: DEPTH }, (_, i) => `${String(i)}${'d'.repeat(240)}`));
    await Promise.all(Array.from({ length: FILES }, (_, i) => put(join(deep, `${'f'.repeat(200)}${i}`), '')));
    await put(t.path('src', 'gone.bin'), randomBytes(2 * MiB));
    const first = (await backup(t.cli, [t.path('src')])).id;
    await rm(t.path('src', 'gone.bin'));
    snapshot = (await backup(t.cli, [t.path('src')])).id;
    const forget = await t.cli.run(['forget', first]);
    assert.equal(forget.code, 0, show(forget));
  });
  after(() => t.cleanup());

  it('prune refuses while an ls holds its shared lock, and runs once the ls is done', async () => {
    const ls = t.cli.start(['ls', snapshot]);
    const lsLock = await eventually('the ls to hold a lock', async () => (await readLocks(await t.reopen())).find((l) => l.info.pid === ls.pid));
    assert.equal(lsLock.info.exclusive, false);

    const refused = await t.cli.run(['prune']);
    assert.equal(refused.code, 11, show(refused));
    assert.deepEqual(stderrLines(refused).length, 1, show(refused));
    assert.match(refused.stderr, new RegExp(`is locked by pid ${ls.pid} on `));

    const listed = await collect(ls);
    assert.equal(listed.code, 0, show(listed));
    assert.equal(listed.stdout.trim().split('\n').length, 1 + DEPTH + FILES, 'ls listed every path');
    const pruned = await t.cli.run(['prune']);
    assert.equal(pruned.code, 0, show(pruned));
    assert.match(pruned.stdout, /^removed \d+ unused blob\(s\), 2\.0\d MiB;/);
    assert.equal((await readLocks(await t.reopen())).length, 0, 'no lock is left behind');
    await checkClean(t.cli);
  });

  it('--no-lock reads without a lock, even while another process holds an exclusive one', async () => {
    const holder = await holdLock(t.repoDir, t.password, 'exclusive');
    try {
      const listed = await t.cli.run(['--no-lock', 'ls', snapshot]);
      assert.equal(listed.code, 0, show(listed));
      assert.equal(listed.stdout.trim().split('\n').length, 1 + DEPTH + FILES);
      assert.deepEqual((await readLocks(await t.reopen())).map((l) => l.info.pid), [holder.pid]);
    } finally {
      await releaseLock(holder);
    }
  });
});
