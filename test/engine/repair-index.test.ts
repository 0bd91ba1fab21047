/**
 * `repair index` / `rebuild-index`: with an index file deleted or damaged, `check` fails;
 * after the repair it passes (the data read back too), every file restores, and only new
 * index files remain. A pack with a damaged header is named and left out.
 */
import assert from 'node:assert/strict';
import { cp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliFor, show, stderrLines } from '../helpers/cli.ts';
import type { Cli } from '../helpers/cli.ts';
import { assertRepositoryUnchanged, fingerprint, flipByte, objectNames, objectPath, packPath } from '../helpers/repo-files.ts';
import { holdLock, releaseLock } from '../helpers/lock-holder.ts';
import { backup, checkClean, restore } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, MiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree, scanTree } from '../helpers/tree-compare.ts';
import type { TreeManifest } from '../helpers/tree-compare.ts';

describe('repair index', () => {
  let t: TestRepository;
  let snapshots: string[];
  let manifest: TreeManifest;

  before(async () => {
    t = await createTestRepository({ packSize: MiB });
    const src = t.path('src');
    await writeRandomFiles(join(src, 'a'), 20, 150 * KiB);
    await put(join(src, 'notes.txt'), compressible(80 * KiB));
    const first = (await backup(t.cli, [src])).id;
    await writeRandomFiles(join(src, 'b'), 10, 120 * KiB);
    snapshots = [first, (await backup(t.cli, [src])).id];
    manifest = await scanTree(src);
    assert.equal(objectNames(t.repoDir, 'index').length, 2, 'one index file per backup');
  });
  after(() => t.cleanup());

  async function copy(name: string): Promise<{ repoDir: string; cli: Cli }> {
    const repoDir = t.path(`repo-${name}`);
    await cp(t.repoDir, repoDir, { recursive: true });
    return { repoDir, cli: cliFor(repoDir, t.password) };
  }

  const damage: Array<{ name: string; command: string[]; harm: (repoDir: string, index: string) => Promise<void>; checkSays: RegExp }> = [
    { name: 'a deleted index file', command: ['repair', 'index'], harm: (dir, index) => rm(objectPath(dir, 'index', index)), checkSays: /^error: snapshot [0-9a-f]{8} .* is not in any index/m },
    {
      name: 'a damaged index file', command: ['rebuild-index'],
      harm: async (dir, index) => flipByte(objectPath(dir, 'index', index), Math.floor((await stat(objectPath(dir, 'index', index))).size / 2)),
      checkSays: /^error: index [0-9a-f]{64}: .*authentication failed/m,
    },
  ];
  for (const c of damage) {
    it(`${c.name}: check fails, ${c.command.join(' ')} rebuilds the index, check passes and every file restores`, async () => {
      const r = await copy(c.name.replaceAll(' ', '-'));
      const old = objectNames(r.repoDir, 'index');
      await c.harm(r.repoDir, old[0] as string);
      const present = objectNames(r.repoDir, 'index').length;
      const before = await r.cli.run(['check']);
      assert.equal(before.code, 13, show(before));
      assert.match(before.stderr, c.checkSays);

      const repaired = await r.cli.run(c.command);
      assert.equal(repaired.code, 0, show(repaired));
      const packs = objectNames(r.repoDir, 'data').length;
      assert.match(repaired.stdout, new RegExp(`^read the headers of ${packs} pack\\(s\\): \\d+ blob\\(s\\) indexed in 1 new index file\\(s\\); ${present} old index file\\(s\\) removed$`, 'm'));
      assert.match(repaired.stdout, /^\d+ pack\(s\) were missing from the index$/m);
      const now = objectNames(r.repoDir, 'index');
      assert.equal(now.length, 1);
      assert.ok(!old.includes(now[0] as string), 'the old index files are gone');

      await checkClean(r.cli, { readData: true });
      for (const [i, s] of snapshots.entries()) {
        const target = t.path(`restore-${c.name.replaceAll(' ', '-')}-${i}`);
        await restore(r.cli, s, target);
        if (i === 1) await assertSameTree(manifest, join(target, 'src'));
      }
    });
  }

  it('a healthy repository: the rebuilt index lists the same blobs, and check still passes', async () => {
    const r = await copy('healthy');
    const repaired = await r.cli.run(['--json', 'repair', 'index']);
    assert.equal(repaired.code, 0, show(repaired));
    const summary = JSON.parse(repaired.stdout) as Record<string, number>;
    assert.deepEqual([summary.packsAdded, summary.packsDropped, summary.indexFilesRemoved, summary.unreadablePacks], [0, 0, 2, 0]);
    await checkClean(r.cli);
  });

  it('a pack with a damaged header: named, left out of the index, exit 13', async () => {
    const r = await copy('header');
    const [pack] = objectNames(r.repoDir, 'data').map((p) => p.split('/').at(-1) as string);
    assert.ok(pack);
    await flipByte(packPath(r.repoDir, pack), (await stat(packPath(r.repoDir, pack))).size - 10);
    const repaired = await r.cli.run(['repair', 'index']);
    assert.equal(repaired.code, 13, show(repaired));
    assert.deepEqual(stderrLines(repaired), [`error: pack ${pack}: header unreadable, its blobs are not indexed: header of pack ${pack}: authentication failed (data corrupted or tampered with)`]);
    const check = await r.cli.run(['check']);
    assert.ok(stderrLines(check).includes(`warning: pack ${pack} is not in any index (left by an interrupted backup or prune; 'prune' removes it)`), show(check));
  });

  it('takes the exclusive lock: refuses while a reader holds a shared one, and changes nothing', async () => {
    const r = await copy('locked');
    const holder = await holdLock(r.repoDir, t.password, 'shared');
    try {
      const before = await fingerprint(r.repoDir);
      const repaired = await r.cli.run(['repair', 'index']);
      assert.equal(repaired.code, 11, show(repaired));
      await assertRepositoryUnchanged(r.repoDir, before, 'repair index');
    } finally {
      await releaseLock(holder);
    }
  });
});
