import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlags, UsageError } from './config.ts';

test('defaults: one run, every dataset, both tools', () => {
  assert.deepEqual(parseFlags([]), { runs: 1, timeoutS: 900, datasets: ['tree', 'tree-s3', 'pgdump', 'random', 'pg-stream'], tools: ['holdfast', 'restic'], keep: false });
});

test('parses every flag, with and without =', () => {
  const flags = parseFlags(['--runs', '5', '--only=tree,tree-s3,random', '--tools', 'restic', '--keep', '--timeout=60']);
  assert.deepEqual(flags, { runs: 5, timeoutS: 60, datasets: ['tree', 'tree-s3', 'random'], tools: ['restic'], keep: true });
});

for (const bad of [['--runs', '0'], ['--only', 'disk'], ['--tools', ''], ['--frobnicate'], ['--runs']]) {
  test(`rejects ${bad.join(' ')}`, () => assert.throws(() => parseFlags(bad), UsageError));
}
