import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { localStore, s3Location } from './repo-store.ts';

test('s3Location is the s3:http://host:port/bucket/prefix form both tools take', () => {
  assert.equal(s3Location('http://127.0.0.1:9000/', 'holdfast-bench', 'tree-s3-restic'), 's3:http://127.0.0.1:9000/holdfast-bench/tree-s3-restic');
});

test('the local store hands out an empty dir under repos/ and removes it', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'bench-store-'));
  try {
    const first = await localStore.newRepo('tree-holdfast', runDir);
    assert.deepEqual(first, { location: join(runDir, 'repos', 'tree-holdfast'), sizePath: join(runDir, 'repos', 'tree-holdfast'), env: {} });
    await writeFile(join(runDir, 'repos', 'tree-holdfast'), 'left over');
    await localStore.newRepo('tree-holdfast', runDir);
    assert.deepEqual(await readdir(join(runDir, 'repos')), []);
    await localStore.removeRepo(first);
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
});
