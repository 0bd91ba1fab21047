import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueRun, nextRun, parseSchedule, runName } from './schedule.ts';
import { retentionPlan } from './retention-plan.ts';

const at = (iso: string): Date => new Date(iso);

describe('policy schedule', () => {
  const cases = [
    { cron: '0 * * * *', tz: undefined, since: '2026-11-21T10:00:00Z', now: '2026-11-21T10:59:59Z', due: undefined },
    { cron: '0 * * * *', tz: undefined, since: '2026-11-21T10:00:00Z', now: '2026-11-21T11:00:05Z', due: '2026-11-21T11:00:00.000Z' },
    { cron: '0 * * * *', tz: undefined, since: '2026-11-21T10:00:00Z', now: '2026-11-21T15:30:00Z', due: '2026-11-21T15:00:00.000Z' },
    { cron: '30 2 * * *', tz: 'Europe/Paris', since: '2026-11-20T00:00:00Z', now: '2026-11-21T12:00:00Z', due: '2026-11-21T01:30:00.000Z' },
    { cron: '@daily', tz: undefined, since: '2026-11-21T00:00:00Z', now: '2026-11-21T23:59:00Z', due: undefined },
  ];
  for (const c of cases) {
    it(`${c.cron}${c.tz ? ` (${c.tz})` : ''} at ${c.now} → ${c.due ?? 'nothing due'}`, () => {
      assert.equal(dueRun(parseSchedule(c.cron, c.tz), at(c.since), at(c.now))?.toISOString(), c.due);
    });
  }

  it('knows the next run and names runs stably', () => {
    assert.equal(nextRun(parseSchedule('0 * * * *', undefined), at('2026-11-21T10:10:00Z'))?.toISOString(), '2026-11-21T11:00:00.000Z');
    assert.equal(runName('nightly', at('2026-11-21T02:30:00Z')), 'nightly-202611210230');
  });

  it('rejects a bad expression and a bad time zone with the value in the message', () => {
    assert.throws(() => parseSchedule('61 * * * *', undefined), /schedule '61 \* \* \* \*' is not valid/);
    assert.throws(() => parseSchedule('0 * * * *', 'Mars/Olympus'), /in Mars\/Olympus is not valid/);
  });
});

describe('policy retention plan', () => {
  const b = (name: string, phase: string, time: string) => ({ name, phase, time });
  it('keeps the last N successful, never the newest, and caps failed history', () => {
    const list = [b('a', 'Completed', '2026-11-21T01:00:00Z'), b('b', 'Completed', '2026-11-21T02:00:00Z'), b('c', 'Failed', '2026-11-21T03:00:00Z'), b('d', 'Completed', '2026-11-21T04:00:00Z'), b('e', 'Failed', '2026-11-21T05:00:00Z'), b('f', 'InProgress', '2026-11-21T06:00:00Z')];
    assert.deepEqual(retentionPlan(list, { last: 2 }, 1).remove.sort(), ['a', 'c']);
    assert.deepEqual(retentionPlan(list, undefined, 0).remove.sort(), ['c', 'e']);
    assert.deepEqual(retentionPlan(list, { last: 0, daily: 0 } as never, 5).remove.includes('d'), false, 'the newest successful Backup stays');
  });
});
