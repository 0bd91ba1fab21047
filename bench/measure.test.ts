import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimeOutput } from './measure.ts';

test('parses GNU time %e %U %S %M into seconds and MB', () => {
  assert.deepEqual(parseTimeOutput('6.63 9.10 2.00 124000\n'), { wallS: 6.63, userS: 9.1, sysS: 2, cpuS: 11.1, rssMB: 126.98 });
});

test('takes the last line after "Command exited with non-zero status"', () => {
  const sample = parseTimeOutput('Command exited with non-zero status 3\n1.00 0.50 0.25 1000\n');
  assert.equal(sample.wallS, 1);
  assert.equal(sample.cpuS, 0.75);
});

test('rejects output that is not four numbers', () => {
  assert.throws(() => parseTimeOutput('Command terminated by signal 9\n'), /unexpected GNU time output/);
});
