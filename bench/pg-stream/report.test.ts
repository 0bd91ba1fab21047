import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPgStream, summarizePgStream } from './report.ts';
import { parseBackupSummary, type PgStreamRun } from './run.ts';

test('reads the added bytes from either tool\'s JSON summary line', () => {
  const holdfast = '{"message_type":"summary","snapshot_id":"ab","bytesRead":1000,"bytesNew":400,"bytesStored":100}\n';
  const restic = '{"message_type":"status","percent_done":0.5}\n{"message_type":"summary","data_added":420,"total_bytes_processed":1000}\n';
  assert.deepEqual(parseBackupSummary(holdfast), { readBytes: 1000, addedBytes: 400, storedBytes: 100 });
  assert.deepEqual(parseBackupSummary(restic), { readBytes: 1000, addedBytes: 420 });
  assert.throws(() => parseBackupSummary('snapshot ab saved\n'), /no JSON summary/);
});

test('medians per tool and step; a failed step is left out and listed', () => {
  const sample = (wallS: number) => ({ wallS, userS: wallS, sysS: 0, cpuS: wallS, rssMB: 100 });
  const run = (n: number, growth: number, failed = false): PgStreamRun => ({
    run: n,
    dumpBytes: { 'first backup': 1e6, 'after 1% scattered': 1e6, 'after 1% clustered': 1e6 },
    tools: {
      holdfast: { 'first backup': { sample: sample(n), repoGrowthBytes: growth }, 'after 1% clustered': { sample: sample(1), repoGrowthBytes: 10_000 } },
      restic: { 'first backup': failed ? { error: 'exit 1\ndetail' } : { sample: sample(2 * n), repoGrowthBytes: 2 * growth } },
    },
  });
  const s = summarizePgStream([run(1, 100), run(2, 300), run(3, 200, true)], ['holdfast', 'restic']);
  assert.equal(s.tools.holdfast?.['first backup']?.sample?.wallS, 2);
  assert.equal(s.tools.holdfast?.['first backup']?.repoGrowthBytes, 200);
  assert.equal(s.tools.restic?.['first backup']?.repoGrowthBytes, 400);
  assert.deepEqual(s.errors, ['restic FAILED: exit 1\n    detail']);
  const text = renderPgStream(s, 'title', ['holdfast', 'restic'], ['a note']);
  assert.match(text, /^== pg-stream: title — 3 run\(s\), medians ==$/m);
  assert.match(text, /^after 1% clustered .* 0\.0 \(1\.0%\)/m);
  assert.match(text, /^ {2}a note$/m);
});
