import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTime, getCondition, isCurrent, isFalse, isTrue, removeCondition, setCondition, type WithConditions } from './conditions.ts';
import { conditionSchema } from '../api/condition.ts';

const t0 = new Date('2026-11-21T07:00:00.123Z');
const t1 = new Date('2026-11-21T08:00:00.000Z');

test('a new condition gets the current time, in whole seconds', () => {
  const status: WithConditions = {};
  assert.equal(setCondition(status, { type: 'Ready', status: 'True', reason: 'Connected', message: 'ok', observedGeneration: 2 }, t0), true);
  assert.deepEqual(status.conditions, [
    { type: 'Ready', status: 'True', reason: 'Connected', message: 'ok', lastTransitionTime: '2026-11-21T07:00:00Z', observedGeneration: 2 },
  ]);
  assert.equal(conditionSchema.safeParse(status.conditions?.[0]).success, true);
});

test('lastTransitionTime changes only when the status flips', () => {
  const cases: Array<{ name: string; second: { status: 'True' | 'False' | 'Unknown'; reason: string; message?: string }; moved: boolean }> = [
    { name: 'same status, new reason and message', second: { status: 'True', reason: 'Reconnected', message: 'again' }, moved: false },
    { name: 'flip to False', second: { status: 'False', reason: 'Unreachable', message: 'timeout' }, moved: true },
    { name: 'flip to Unknown', second: { status: 'Unknown', reason: 'Pending' }, moved: true },
  ];
  for (const c of cases) {
    const status: WithConditions = {};
    setCondition(status, { type: 'Ready', status: 'True', reason: 'Connected' }, t0);
    assert.equal(setCondition(status, { type: 'Ready', ...c.second }, t1), true, c.name);
    const cond = getCondition(status, 'Ready');
    assert.equal(cond?.lastTransitionTime, c.moved ? formatTime(t1) : formatTime(t0), c.name);
    assert.equal(cond?.reason, c.second.reason, c.name);
    assert.equal(status.conditions?.length, 1, c.name);
  }
});

test('setting the same condition again reports no change', () => {
  const status: WithConditions = {};
  const update = { type: 'Accepted', status: 'True', reason: 'Valid', message: '', observedGeneration: 1 } as const;
  setCondition(status, update, t0);
  assert.equal(setCondition(status, update, t1), false);
  assert.equal(setCondition(status, { ...update, observedGeneration: 2 }, t1), true);
  assert.equal(getCondition(status, 'Accepted')?.lastTransitionTime, formatTime(t0));
});

test('conditions of other types are left alone and order is kept', () => {
  const status: WithConditions = {};
  setCondition(status, { type: 'Accepted', status: 'True', reason: 'Valid' }, t0);
  setCondition(status, { type: 'Progressing', status: 'True', reason: 'Dumping' }, t0);
  setCondition(status, { type: 'Accepted', status: 'False', reason: 'InvalidSpec' }, t1);
  assert.deepEqual(status.conditions?.map((c) => c.type), ['Accepted', 'Progressing']);
  assert.equal(isFalse(status, 'Accepted'), true);
  assert.equal(isTrue(status, 'Progressing'), true);
});

test('queries on missing conditions and missing status', () => {
  assert.equal(getCondition(undefined, 'Ready'), undefined);
  assert.equal(isTrue(undefined, 'Ready'), false);
  assert.equal(isFalse({}, 'Ready'), false);
  assert.equal(isTrue({ conditions: [] }, 'Ready'), false);
});

test('removeCondition and isCurrent', () => {
  const status: WithConditions = {};
  setCondition(status, { type: 'Ready', status: 'True', reason: 'Connected', observedGeneration: 3 }, t0);
  assert.equal(isCurrent(status, 'Ready', 3), true);
  assert.equal(isCurrent(status, 'Ready', 4), false);
  assert.equal(isCurrent(status, 'Ready', undefined), false);
  assert.equal(removeCondition(status, 'Missing'), false);
  assert.equal(removeCondition(status, 'Ready'), true);
  assert.deepEqual(status.conditions, []);
});
