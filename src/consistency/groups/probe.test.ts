import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { parseProbeOutput, probeChanges } from './probe.ts';

const p = (name: string, pid: number, state = 'running', restarts = 0): { name: string; pid: number; state: string; restarts: number } => ({ name, pid, state, restarts });

describe('members probe', () => {
  it('parses JSON lines, ignoring blank lines and extra fields', () => {
    const text = '{"name":"coordinator","pid":10,"state":"running","restarts":0,"node":"n1"}\n\n{"name":"worker","pid":11,"state":"running","restarts":2}\n';
    assert.deepEqual(parseProbeOutput(text, 'probe'), [p('coordinator', 10), p('worker', 11, 'running', 2)]);
  });

  for (const c of [
    { text: 'not json', message: 'probe: line 1 is not JSON: not json' },
    { text: '{"name":"a","pid":1,"state":"running"}', message: 'probe: line 1 needs name, pid, state and restarts: {"name":"a","pid":1,"state":"running"}' },
    { text: '{"name":"a","pid":1,"state":"S","restarts":0}\n{"name":"a","pid":2,"state":"S","restarts":0}', message: "probe: process 'a' is listed twice" },
  ]) {
    it(`refuses ${c.message}`, () => {
      assert.throws(() => parseProbeOutput(c.text, 'probe'), (err: unknown) => isHoldfastError(err, 'ACTION_FAILED') && err.message === c.message);
    });
  }

  for (const c of [
    { name: 'nothing changed', before: [p('a', 1), p('b', 2)], after: [p('b', 2), p('a', 1)], changes: [] },
    { name: 'a restart', before: [p('a', 1)], after: [p('a', 5, 'running', 1)], changes: ['a: pid 1 → 5', 'a: restarts 0 → 1'] },
    { name: 'a state change', before: [p('a', 1)], after: [p('a', 1, 'CrashLoopBackOff')], changes: ['a: state running → CrashLoopBackOff'] },
    { name: 'a process gone and one new', before: [p('a', 1)], after: [p('b', 2)], changes: ['a: gone (was pid 1)', 'b: new (pid 2)'] },
  ]) {
    it(`reports ${c.name}`, () => {
      assert.deepEqual(probeChanges(c.before, c.after), c.changes);
    });
  }
});
