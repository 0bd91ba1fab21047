import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DatasetSummary } from '../results.ts';
import { renderDataset } from './dataset-report.ts';

const sample = (wallS: number, rssMB: number) => ({ wallS, userS: wallS, sysS: 0, cpuS: wallS, rssMB });

test('prints both tools, the speed-up and the goal verdicts', () => {
  const summary: DatasetSummary = {
    dataset: 'tree', runs: 1, bytesBefore: 1.3e9, bytesAfter: 1.3e9, baselines: {},
    tools: {
      holdfast: { ops: { 'first backup': sample(2, 100) }, repoBytes: 250e6, errors: [], notes: [] },
      restic: { ops: { 'first backup': sample(6, 124) }, repoBytes: 276e6, errors: [], notes: [] },
    },
  };
  const text = renderDataset(summary, 'kernel', ['holdfast', 'restic'], []);
  const row = text.split('\n').find((l) => l.startsWith('first backup')) ?? '';
  assert.match(row, /3\.00×\s+≥2× ✓\s+0\.81\s+≤1 ✓/);
  assert.match(row, /650\.0/);
  assert.match(text, /repository after first backup\s+250\.0\s+276\.0\s+0\.91\s+≤1 ✓/);
  assert.match(text, /unchanged re-backup\s+–/);
});

test('restic alone prints no ratios', () => {
  const summary: DatasetSummary = {
    dataset: 'pgdump', runs: 1, bytesBefore: 1, bytesAfter: 1, baselines: {},
    tools: { restic: { ops: { restore: sample(1, 80) }, errors: ['check --read-data: boom'], notes: [] } },
  };
  const text = renderDataset(summary, 'dump', ['restic'], []);
  assert.match(text.split('\n').find((l) => l.startsWith('restore')) ?? '', /–\s+≥2×\s+–\s+≤1$/);
  assert.match(text, /restic FAILED: check --read-data: boom/);
});
