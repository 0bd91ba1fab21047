import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, medianSample, summarize, type DatasetRun } from './results.ts';

test('median of odd, even and empty lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), undefined);
});

test('medianSample is field-wise and skips missing samples', () => {
  const a = { wallS: 1, userS: 1, sysS: 0, cpuS: 1, rssMB: 100 };
  const b = { wallS: 3, userS: 2, sysS: 1, cpuS: 3, rssMB: 50 };
  const c = { wallS: 2, userS: 9, sysS: 0, cpuS: 9, rssMB: 70 };
  assert.deepEqual(medianSample([a, undefined, b, c]), { wallS: 2, userS: 2, sysS: 0, cpuS: 3, rssMB: 70 });
  assert.equal(medianSample([undefined]), undefined);
});

test('summarize derives added bytes per run before taking medians', () => {
  const run = (n: number, first: number, re: number, inc: number): DatasetRun => ({
    dataset: 'tree', run: n, bytesBefore: 10, bytesAfter: 11, baselines: {},
    tools: { restic: { samples: {}, sizes: { afterFirst: first, afterRebackup: re, afterIncremental: inc }, errors: [], notes: [] } },
  });
  const s = summarize([run(1, 100, 101, 111), run(2, 200, 202, 222), run(3, 300, 303, 333)]);
  assert.equal(s?.tools.restic?.repoBytes, 200);
  assert.equal(s?.tools.restic?.rebackupAddedBytes, 2);
  assert.equal(s?.tools.restic?.incrementalAddedBytes, 20);
});
