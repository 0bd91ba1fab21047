/**
 * `holdfast copy` between filesystem repositories: with shared ids (init
 * --copy-params-from) only missing blobs are read and stored; between unrelated
 * repositories every blob is re-hashed and trees rewritten; copies are idempotent, and a
 * copy killed mid-way completes when run again.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliFor, collect, show, type Cli } from '../helpers/cli.ts';
import { backup, checkClean, restore, snapshotIds } from '../helpers/steps.ts';
import { createTestRepository, TEST_PASSWORD, type TestRepository } from '../helpers/test-repository.ts';
import { MiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree } from '../helpers/tree-compare.ts';

let src: TestRepository;

before(async () => {
  src = await createTestRepository({ packSize: MiB });
  await writeRandomFiles(src.path('data', 'random'), 40, 256 * 1024);
  await put(src.path('data', 'logs', 'a.log'), compressible(2 * MiB, 1));
  await backup(src.cli, [src.path('data')]);
  await put(src.path('data', 'logs', 'b.log'), compressible(MiB, 2));
  await backup(src.cli, [src.path('data')]);
});

after(async () => {
  await src.cleanup();
});

function target(name: string): Cli {
  const cli = cliFor(src.path(name), TEST_PASSWORD);
  const env = { HOLDFAST_FROM_REPOSITORY: src.repoDir, HOLDFAST_FROM_PASSWORD: TEST_PASSWORD };
  return { env: { ...cli.env, ...env }, run: (a, o = {}) => cli.run(a, { ...o, env: { ...env, ...o.env } }), start: (a, o = {}) => cli.start(a, { ...o, env: { ...env, ...o.env } }) };
}

async function copyJson(cli: Cli): Promise<{ copied: number; blobsRead: number; blobsStored: number; bytesStored: number }> {
  const r = await cli.run(['--json', 'copy']);
  assert.equal(r.code, 0, show(r));
  const line = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => m.message_type === 'summary');
  return line as unknown as { copied: number; blobsRead: number; blobsStored: number; bytesStored: number };
}

describe('holdfast copy', () => {
  it('between repositories sharing ids reads and stores only what the target lacks', async () => {
    const dst = target('shared');
    assert.equal((await dst.run(['init', '--copy-params-from', src.repoDir])).code, 0);
    const first = await copyJson(dst);
    assert.equal(first.copied, 2);
    await put(src.path('data', 'logs', 'c.log'), compressible(MiB, 3));
    await backup(src.cli, [src.path('data')]);
    const second = await copyJson(dst);
    assert.equal(second.copied, 1);
    assert.ok(second.blobsRead < first.blobsRead / 4, `incremental copy read ${second.blobsRead} blobs, the first ${first.blobsRead}`);
    assert.ok(second.bytesStored < 2 * MiB, `incremental copy stored ${second.bytesStored} bytes`);
    await checkClean(dst, { readData: true });
    await restore(dst, 'latest', src.path('out-shared'));
    await assertSameTree(src.path('data'), src.path('out-shared', 'data'));
  });

  it('between unrelated repositories re-encrypts under the target keys and is idempotent', async () => {
    const dst = target('unrelated');
    assert.equal((await dst.run(['init'])).code, 0);
    const first = await copyJson(dst);
    assert.equal(first.copied, (await snapshotIds(src.cli)).length);
    const again = await copyJson(dst);
    assert.deepEqual([again.copied, again.blobsStored], [0, 0]);
    await checkClean(dst, { readData: true });
    const wrong = await dst.run(['copy'], { env: { HOLDFAST_FROM_PASSWORD: 'wrong' } });
    assert.equal(wrong.code, 12, show(wrong));
    await restore(dst, 'latest', src.path('out-unrelated'));
    await assertSameTree(src.path('data'), src.path('out-unrelated', 'data'));
  });

  it('completes after being killed mid-way', async () => {
    const dst = target('killed');
    assert.equal((await dst.run(['init'])).code, 0);
    const child = dst.start(['copy']);
    const done = collect(child);
    const packs = async (): Promise<number> => {
      const subs = await readdir(join(src.path('killed'), 'data'));
      let n = 0;
      for (const s of subs) n += (await readdir(join(src.path('killed'), 'data', s))).length;
      return n;
    };
    while ((await packs()) < 2 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    const killed = await done;
    assert.ok(killed.signal === 'SIGKILL' || killed.code === 0, show(killed));
    await dst.run(['unlock']);
    const r = await dst.run(['copy']);
    assert.equal(r.code, 0, show(r));
    await checkClean(dst, { readData: true, allowWarnings: true });
    await restore(dst, 'latest', src.path('out-killed'));
    await assertSameTree(src.path('data'), src.path('out-killed', 'data'));
  });
});
