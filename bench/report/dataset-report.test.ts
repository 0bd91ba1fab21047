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

test('an S3 dataset adds the objects line and the MinIO table per operation and tool', () => {
  const server = (cpuS: number, puts: number) => ({ 'first backup': { cpuS, requests: { PutObject: puts, ListObjectsV2: 3 }, receivedBytes: 300e6, sentBytes: 1e5 } });
  const summary: DatasetSummary = {
    dataset: 'tree-s3', runs: 1, bytesBefore: 1.3e9, bytesAfter: 1.3e9, baselines: {},
    tools: {
      holdfast: { ops: { 'first backup': sample(20, 300) }, repoBytes: 301e6, errors: [], notes: [], server: server(12.5, 20), objects: { objects: 31, bytes: 300e6 } },
      restic: { ops: { 'first backup': sample(30, 200) }, repoBytes: 311e6, errors: [], notes: [], server: server(20, 1200), objects: { objects: 1210, bytes: 305e6 } },
    },
  };
  const text = renderDataset(summary, 'kernel', ['holdfast', 'restic'], ['a note']);
  assert.match(text, /S3 objects after the incremental backup .*holdfast 31 objects, 300\.0 MB; restic 1,210 objects, 305\.0 MB/);
  const rows = text.split('\n').filter((l) => l.startsWith('first backup'));
  assert.equal(rows.length, 3);
  assert.match(rows[1] ?? '', /^first backup\s+holdfast\s+12\.50\s+23\s+300\.0\s+0\.1\s+PutObject 20, ListObjectsV2 3$/);
  assert.match(rows[2] ?? '', /^first backup\s+restic\s+20\.00\s+1,203\s+300\.0\s+0\.1\s+PutObject 1,200, ListObjectsV2 3$/);
  assert.ok(text.indexOf('MinIO per operation') < text.indexOf('  a note'));
});

test('a local dataset has no MinIO table', () => {
  const summary: DatasetSummary = {
    dataset: 'tree', runs: 1, bytesBefore: 1, bytesAfter: 1, baselines: {},
    tools: { holdfast: { ops: { restore: sample(1, 80) }, errors: [], notes: [] } },
  };
  assert.doesNotMatch(renderDataset(summary, 'kernel', ['holdfast'], []), /MinIO|S3 objects/);
});

test('prints each tool\'s floor and every operation\'s peak above it', () => {
  const summary: DatasetSummary = {
    dataset: 'tree', runs: 1, bytesBefore: 1, bytesAfter: 1, baselines: {},
    tools: {
      holdfast: { ops: { 'first backup': sample(2, 140), restore: sample(1, 130) }, floor: sample(0.3, 87), errors: [], notes: [] },
      restic: { ops: { 'first backup': sample(6, 121), restore: sample(2, 150) }, floor: sample(0.2, 53), errors: [], notes: [] },
    },
  };
  const text = renderDataset(summary, 'kernel', ['holdfast', 'restic'], []);
  assert.match(text, /floor \(`snapshots`: start, key, one listing\), MB RSS: holdfast 87\.0, restic 53\.0/);
  assert.match(text, /peak above the floor, MB \(holdfast \/ restic\): first backup 53\.0 \/ 68\.0; restore 43\.0 \/ 97\.0$/m);
});
