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

test('summarize takes medians of the S3 server counters and listed objects, and leaves them out for local runs', () => {
  const run = (n: number, put: number, objects: number): DatasetRun => ({
    dataset: 'tree-s3', run: n, bytesBefore: 10, bytesAfter: 11, baselines: {},
    tools: {
      holdfast: {
        samples: {}, sizes: {}, errors: [], notes: [],
        server: { 'first backup': { cpuS: put / 10, requests: { PutObject: put }, receivedBytes: put * 1000, sentBytes: 0 } },
        objects: { objects, bytes: objects * 100 },
      },
      restic: { samples: {}, sizes: {}, errors: [], notes: [] },
    },
  });
  const s = summarize([run(1, 10, 5), run(2, 30, 7), run(3, 20, 6)]);
  assert.deepEqual(s?.tools.holdfast?.server, { 'first backup': { cpuS: 2, requests: { PutObject: 20 }, receivedBytes: 20000, sentBytes: 0 } });
  assert.deepEqual(s?.tools.holdfast?.objects, { objects: 6, bytes: 600 });
  assert.equal(s?.tools.restic?.server, undefined);
  assert.equal(s?.tools.restic?.objects, undefined);
});
