import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { suiteFolder } from '../core/temp-folder.testing.ts';
import { localTempPath, removeStaleLocalTempFiles } from './local-temp.ts';

describe('local temporary files (S3 uploads)', () => {
  const tempFolder = suiteFolder('holdfast-local-temp-');

  it('removes only stale files named by localTempPath, with or without a suffix', async () => {
    const folder = tempFolder();
    const ours = basename(localTempPath());
    const names = {
      stale: ours,
      staleDerived: `${basename(localTempPath())}-w1-0`,
      fresh: basename(localTempPath()),
      foreign: '.holdfast-not-hex-at-all-so-not-ours',
      longer: `${ours}0`,
      unrelated: 'pgsql-dump.tmp',
    };
    const dayAgo = new Date(Date.now() - 24 * 3600_000);
    for (const [key, name] of Object.entries(names)) {
      await writeFile(join(folder, name), 'x');
      if (key !== 'fresh') await utimes(join(folder, name), dayAgo, dayAgo);
    }
    await mkdir(join(folder, basename(localTempPath())));

    assert.equal(await removeStaleLocalTempFiles(new Date(Date.now() - 3600_000), folder), 2);
    const left = new Set(await readdir(folder));
    assert.ok(!left.has(names.stale) && !left.has(names.staleDerived));
    for (const key of ['fresh', 'foreign', 'longer', 'unrelated'] as const) assert.ok(left.has(names[key]), `${key} is kept`);
    assert.equal(left.size, 5, 'the folder of that name is kept too');
  });

  it('names a folder it cannot list, with STORAGE_IO', async () => {
    await assert.rejects(removeStaleLocalTempFiles(new Date(), join(tempFolder(), 'missing')), (err: Error & { code?: string }) => err.code === 'STORAGE_IO' && err.message.includes('missing'));
  });
});
