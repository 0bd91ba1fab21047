import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DatasetSummary } from '../results.ts';
import { writeJsonReport } from './json-report.ts';

test('the JSON report adds S3 request and MinIO CPU ratios where both tools have counters', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-json-'));
  const counters = (cpuS: number, gets: number) => ({ restore: { cpuS, requests: { GetObject: gets }, receivedBytes: 0, sentBytes: 1 } });
  const summary: DatasetSummary & { title: string } = {
    title: 't', dataset: 'tree-s3', runs: 1, bytesBefore: 1, bytesAfter: 1, baselines: {},
    tools: {
      holdfast: { ops: {}, errors: [], notes: [], server: counters(6, 5000) },
      restic: { ops: {}, errors: [], notes: [], server: counters(0.2, 20) },
    },
  };
  try {
    const file = await writeJsonReport(dir, 'stamp', {
      startedAt: '', totalSeconds: 0, config: { runs: 1, datasets: ['tree-s3'], tools: ['holdfast', 'restic'], keep: false },
      host: { cpus: 2, memoryBytes: 1, kernel: 'k', node: 'v24' }, versions: {}, skipped: [], prepSeconds: {}, summaries: [summary], runs: [],
    });
    const ratios = (JSON.parse(await readFile(file, 'utf8')) as { summaries: { ratios: Record<string, number> }[] }).summaries[0]?.ratios ?? {};
    assert.equal(ratios['s3 requests restore holdfast/restic'], 250);
    assert.equal(ratios['minio cpu restore holdfast/restic'], 30);
    assert.equal('s3 requests first backup holdfast/restic' in ratios, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
