/**
 * forget and prune through the CLI: dry runs change nothing, prune reclaims the space of
 * forgotten snapshots, repacks packs that are partly used, and never removes a blob a
 * remaining snapshot needs. Key slots: add, list, passwd and remove.
 */
import assert from 'node:assert/strict';
import { readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonMessage, show, stderrLines } from '../helpers/cli.ts';
import { assertRepositoryUnchanged, fingerprint, objectNames, packPath } from '../helpers/repo-files.ts';
import { backup, checkClean, restore, snapshotIds } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, MiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree, scanTree } from '../helpers/tree-compare.ts';
import type { TreeManifest } from '../helpers/tree-compare.ts';

/** A pack file in progress of a backup killed two days ago (the dry run keeps it, prune removes it). */
const CRASH_LEFTOVER = '.tmp-0123456789abcdef01234567';

async function packBytes(repoDir: string): Promise<number> {
  let total = 0;
  for (const pack of objectNames(repoDir, 'data')) total += (await stat(packPath(repoDir, pack))).size;
  return total;
}

describe('forget and prune', () => {
  let t: TestRepository;
  let src: string;
  const ids: string[] = [];
  const manifests = new Map<string, TreeManifest>();

  before(async () => {
    t = await createTestRepository({ packSize: MiB });
    src = t.path('src');
    await writeRandomFiles(join(src, 'data'), 40, 100 * KiB);
    await put(join(src, 'notes.txt'), compressible(200 * KiB));
    const snapshot = async (): Promise<void> => {
      const manifest = await scanTree(src);
      const s = await backup(t.cli, [src]);
      ids.push(s.id);
      manifests.set(s.id, manifest);
    };
    await snapshot();
    for (const name of await readdir(join(src, 'data'))) if (Number(name.slice(1)) % 2 === 1) await rm(join(src, 'data', name));
    await writeRandomFiles(join(src, 'more'), 10, 100 * KiB);
    await snapshot();
    await rm(join(src, 'more'), { recursive: true });
    await writeRandomFiles(join(src, 'last'), 10, 100 * KiB);
    await snapshot();
  });
  after(() => t.cleanup());

  async function assertRemainingRestore(): Promise<void> {
    for (const id of await snapshotIds(t.cli)) {
      const expected = manifests.get(id);
      assert.ok(expected, `snapshot ${id} is one of the kept ones`);
      const target = t.path(`restore-${id.slice(0, 8)}`);
      await restore(t.cli, id, target);
      await assertSameTree(expected, join(target, 'src'));
      await rm(target, { recursive: true });
    }
  }

  it('forget --dry-run by policy shows what it would remove and changes nothing', async () => {
    const before = await fingerprint(t.repoDir);
    const r = await t.cli.run(['forget', '--keep-last', '2', '--dry-run']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^group host=.* paths=.*\/src: keep 2, remove 1$/m);
    assert.match(r.stdout, new RegExp(`^  remove ${ids[0]?.slice(0, 8)} `, 'm'));
    for (const id of ids.slice(1)) assert.match(r.stdout, new RegExp(`^  keep   ${id.slice(0, 8)} .* \\(last\\)$`, 'm'));
    await assertRepositoryUnchanged(t.repoDir, before, 'forget --dry-run');
  });

  it('prune --dry-run after forget reports the unused data and changes nothing', async () => {
    const forget = await t.cli.run(['forget', ids[0] ?? '']);
    assert.equal(forget.code, 0, show(forget));
    assert.deepEqual(await snapshotIds(t.cli), ids.slice(1));
    await writeFile(join(t.repoDir, CRASH_LEFTOVER), 'a pack a killed backup was writing');
    await utimes(join(t.repoDir, CRASH_LEFTOVER), new Date(Date.now() - 48 * 3600_000), new Date(Date.now() - 48 * 3600_000));
    const before = await fingerprint(t.repoDir);
    const r = await t.cli.run(['--json', 'prune', '--dry-run']);
    assert.equal(r.code, 0, show(r));
    const plan = jsonMessage(r, 'prune');
    assert.equal(plan.dryRun, true);
    assert.ok(Number(plan.unusedBlobs) >= 20 && Number(plan.packsRepacked) > 0, show(r));
    await assertRepositoryUnchanged(t.repoDir, before, 'prune --dry-run');
  });

  it('prune reclaims the space, repacks partly used packs and keeps every blob still used', async () => {
    const bytesBefore = await packBytes(t.repoDir);
    const r = await t.cli.run(['--json', 'prune']);
    assert.equal(r.code, 0, show(r));
    const done = jsonMessage(r, 'prune');
    assert.ok(Number(done.packsRepacked) > 0 && Number(done.packsWritten) > 0, `prune repacked nothing\n${show(r)}`);
    assert.equal(done.tempFilesRemoved, 1, show(r));
    await assert.rejects(stat(join(t.repoDir, CRASH_LEFTOVER)), 'the leftover temporary file is gone');
    const bytesAfter = await packBytes(t.repoDir);
    assert.ok(bytesBefore - bytesAfter > 1.5 * MiB, `prune freed only ${bytesBefore - bytesAfter} of ~2 MiB forgotten`);
    await checkClean(t.cli, { readData: true });
    await assertRemainingRestore();
    const again = await t.cli.run(['--json', 'prune', '--dry-run']);
    assert.deepEqual([jsonMessage(again, 'prune').unusedBlobs, jsonMessage(again, 'prune').packsDeleted], [0, 0], 'nothing is left to prune');
  });

  it('forget --keep-last 1 --prune removes the older snapshots and their data in one go', async () => {
    const bytesBefore = await packBytes(t.repoDir);
    const r = await t.cli.run(['forget', '--keep-last', '1', '--prune']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^pruned: \d+ unused blob\(s\) removed, \d+ pack\(s\) deleted$/m);
    assert.deepEqual(await snapshotIds(t.cli), ids.slice(-1));
    assert.ok((await packBytes(t.repoDir)) < bytesBefore - 0.5 * MiB);
    await checkClean(t.cli, { readData: true });
    await assertRemainingRestore();
  });
});

describe('key slots', () => {
  let t: TestRepository;
  const file = (name: string): string => t.path(`${name}.password`);
  const withPassword = (password: string) => ({ env: { HOLDFAST_PASSWORD: password } });

  before(async () => {
    t = await createTestRepository();
    await put(t.path('src/a.txt'), 'a small file\n');
    await backup(t.cli, [t.path('src')]);
    for (const name of ['second', 'third']) await writeFile(file(name), `${name} password\n`);
  });
  after(() => t.cleanup());

  async function keys(password: string): Promise<Array<{ id: string; current: boolean }>> {
    const r = await t.cli.run(['--json', 'key', 'list'], withPassword(password));
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as Array<{ id: string; current: boolean }>;
  }

  it('key add: both passwords open the repository; key list marks the key in use', async () => {
    const r = await t.cli.run(['key', 'add', '--new-password-file', file('second')]);
    assert.equal(r.code, 0, show(r));
    const added = /^added key ([0-9a-f]{8})$/.exec(r.stdout.trim())?.[1];
    assert.ok(added, show(r));
    const viaFirst = await keys(t.password);
    const viaSecond = await keys('second password');
    assert.equal(viaFirst.length, 2);
    assert.equal(viaSecond.find((k) => k.current)?.id.slice(0, 8), added);
    assert.notEqual(viaFirst.find((k) => k.current)?.id, viaSecond.find((k) => k.current)?.id);
    const table = await t.cli.run(['key', 'list']);
    assert.equal(table.stdout.split('\n').filter((l) => l.startsWith('*')).length, 1, table.stdout);
  });

  it('key passwd: the old password stops working, the new one works, other keys are untouched', async () => {
    const r = await t.cli.run(['key', 'passwd', '--new-password-file', file('third')], withPassword('second password'));
    assert.equal(r.code, 0, show(r));
    const old = await t.cli.run(['snapshots'], withPassword('second password'));
    assert.equal(old.code, 12, show(old));
    assert.match(stderrLines(old)[0] ?? '', /^holdfast: wrong password/);
    assert.equal((await t.cli.run(['snapshots'], withPassword('third password'))).code, 0);
    assert.equal((await keys(t.password)).length, 2);
  });

  it('key remove: removes another key; refuses the key in use and the last key', async () => {
    const [mine, other] = [...(await keys(t.password))].sort((a, b) => Number(b.current) - Number(a.current));
    assert.ok(mine?.current && other && !other.current);
    const own = await t.cli.run(['key', 'remove', mine.id.slice(0, 8)]);
    assert.equal(own.code, 2, show(own));
    assert.match(stderrLines(own).join('\n'), /^holdfast: key [0-9a-f]{8} is the one this session opened the repository with/);
    const removed = await t.cli.run(['key', 'remove', other.id.slice(0, 8)]);
    assert.equal(removed.code, 0, show(removed));
    assert.equal((await t.cli.run(['snapshots'], withPassword('third password'))).code, 12);
    const last = await t.cli.run(['key', 'remove', mine.id]);
    assert.equal(last.code, 1, show(last));
    assert.match(stderrLines(last).join('\n'), /^holdfast: key [0-9a-f]{8} is the last key of .*; add another first$/);
    assert.deepEqual((await keys(t.password)).map((k) => k.id), [mine.id]);
  });
});
