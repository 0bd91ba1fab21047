import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';
import { applyRetention, parseDuration } from './retention.ts';
import type { GroupBy, RetentionPolicy } from './retention.ts';

let serial = 0;

function snap(time: string, extra: Partial<Snapshot> = {}): Snapshot {
  serial++;
  return {
    version: 1, time: new Date(time).toISOString(), hostname: 'web', username: 'root', kind: 'tree', paths: ['/data'],
    tree: 'a'.repeat(64), tags: [], labels: {}, program: 'test',
    summary: { files: 0, dirs: 0, filesChanged: 0, filesUnchanged: 0, bytesRead: 0, bytesTotal: 0, blobsNew: 0, bytesNew: 0, bytesStored: 0, errors: 0, durationMs: 0 },
    id: serial.toString(16).padStart(64, '0'),
    ...extra,
  };
}

const short = (s: Snapshot): string => s.time.replace(':00.000Z', '').replace('T00:00', '');

/** Kept snapshots (newest first, as `time[ reasons]`) over all groups. */
function kept(snapshots: Snapshot[], policy: RetentionPolicy, by?: GroupBy): string[] {
  return applyRetention(snapshots, policy, by).flatMap((d) => d.keep.map((k) => `${short(k.snapshot)} ${k.reasons.join('+')}`));
}

const cases: Array<{ name: string; times: string[]; policy: RetentionPolicy; keep: string[] }> = [
  { name: 'last 3 keeps the three newest', times: ['2021-03-01', '2021-03-02', '2021-03-03', '2021-03-04', '2021-03-05'], policy: { last: 3 }, keep: ['2021-03-05 last', '2021-03-04 last', '2021-03-03 last'] },
  { name: 'last -1 keeps everything', times: ['2021-03-01', '2021-03-02', '2021-03-03'], policy: { last: -1 }, keep: ['2021-03-03 last', '2021-03-02 last', '2021-03-01 last'] },
  { name: 'last larger than the count keeps everything', times: ['2021-03-01', '2021-03-02'], policy: { last: 10 }, keep: ['2021-03-02 last', '2021-03-01 last'] },
  {
    name: 'hourly keeps the newest of each of the last N hours',
    times: ['2021-03-01T10:05', '2021-03-01T10:40', '2021-03-01T11:10', '2021-03-01T11:50', '2021-03-01T12:30'].map((t) => `${t}Z`),
    policy: { hourly: 2 }, keep: ['2021-03-01T12:30 hourly', '2021-03-01T11:50 hourly'],
  },
  {
    name: 'daily keeps the newest of each day',
    times: ['2021-03-01T08:00Z', '2021-03-01T20:00Z', '2021-03-02T09:00Z', '2021-03-02T23:00Z', '2021-03-03T01:00Z'],
    policy: { daily: 2 }, keep: ['2021-03-03T01:00 daily', '2021-03-02T23:00 daily'],
  },
  {
    name: 'daily counts days that have snapshots, not calendar days',
    times: ['2021-03-01T08:00Z', '2021-03-02T08:00Z', '2021-03-09T08:00Z', '2021-03-09T09:00Z'],
    policy: { daily: 3 }, keep: ['2021-03-09T09:00 daily', '2021-03-02T08:00 daily', '2021-03-01T08:00 daily'],
  },
  {
    name: 'days are UTC days',
    times: ['2021-03-01T23:30Z', '2021-03-02T00:30Z'], policy: { daily: 2 }, keep: ['2021-03-02T00:30 daily', '2021-03-01T23:30 daily'],
  },
  {
    name: 'weekly uses ISO weeks across a year boundary (2020-12-31 and 2021-01-03 are both 2020-W53)',
    times: ['2020-12-30', '2020-12-31', '2021-01-03', '2021-01-04', '2021-01-10', '2021-01-11'],
    policy: { weekly: 3 }, keep: ['2021-01-11 weekly', '2021-01-10 weekly', '2021-01-03 weekly'],
  },
  {
    name: 'monthly keeps the newest of each month',
    times: ['2021-01-15', '2021-01-31', '2021-02-01', '2021-02-20', '2021-03-10'], policy: { monthly: 2 }, keep: ['2021-03-10 monthly', '2021-02-20 monthly'],
  },
  {
    name: 'yearly keeps the newest of each year',
    times: ['2019-06-01', '2020-01-01', '2020-12-31T23:59Z', '2021-01-01T00:00Z'], policy: { yearly: 2 }, keep: ['2021-01-01 yearly', '2020-12-31T23:59 yearly'],
  },
  {
    name: 'rules combine: a snapshot kept by any rule is kept, with every reason',
    times: ['2021-03-01T08:00Z', '2021-03-01T20:00Z', '2021-03-02T09:00Z', '2021-03-02T23:00Z'],
    policy: { last: 1, daily: 2 }, keep: ['2021-03-02T23:00 last+daily', '2021-03-01T20:00 daily'],
  },
  {
    name: 'within keeps everything no older than the newest minus the duration (inclusive)',
    times: ['2021-03-08T11:59Z', '2021-03-08T12:00Z', '2021-03-09T00:00Z', '2021-03-10T12:00Z'],
    policy: { withinMs: parseDuration('2d') }, keep: ['2021-03-10T12:00 within', '2021-03-09 within', '2021-03-08T12:00 within'],
  },
  { name: 'a zero count is no rule', times: ['2021-03-01', '2021-03-02'], policy: { last: 0, daily: 1 }, keep: ['2021-03-02 daily'] },
];

describe('applyRetention', () => {
  for (const c of cases) {
    it(c.name, () => {
      const snapshots = c.times.map((t) => snap(t));
      assert.deepEqual(kept([...snapshots].reverse(), c.policy), c.keep);
      const [decision] = applyRetention(snapshots, c.policy);
      assert.equal((decision?.keep.length ?? 0) + (decision?.remove.length ?? 0), snapshots.length, 'every snapshot is kept or removed');
    });
  }

  it('keep-tag keeps tagged snapshots whatever their age', () => {
    const snapshots = [snap('2021-01-01', { tags: ['monthly'] }), snap('2021-02-01'), snap('2021-03-01', { tags: ['monthly', 'x'] }), snap('2021-03-02')];
    assert.deepEqual(kept(snapshots, { tags: ['monthly'] }), ['2021-03-01 tag', '2021-01-01 tag']);
    assert.deepEqual(kept(snapshots, { last: 1, tags: ['monthly'] }), ['2021-03-02 last', '2021-03-01 tag', '2021-01-01 tag']);
  });

  const groupings: Array<{ name: string; by?: GroupBy; snapshots: () => Snapshot[]; groups: string[]; keep: string[] }> = [
    {
      name: 'by host and paths (the default): each group keeps its own newest',
      snapshots: () => [snap('2021-03-01', { hostname: 'a' }), snap('2021-03-02', { hostname: 'a' }), snap('2021-03-03', { hostname: 'b' }), snap('2021-03-04', { hostname: 'a', paths: ['/other'] })],
      groups: ['host=a paths=/data', 'host=b paths=/data', 'host=a paths=/other'],
      keep: ['2021-03-02 last', '2021-03-03 last', '2021-03-04 last'],
    },
    {
      name: 'paths in any order are one group',
      snapshots: () => [snap('2021-03-01', { paths: ['/b', '/a'] }), snap('2021-03-02', { paths: ['/a', '/b'] })],
      groups: ['host=web paths=/a,/b'],
      keep: ['2021-03-02 last'],
    },
    {
      name: 'by a label',
      by: ['label:app'],
      snapshots: () => [snap('2021-03-01', { labels: { app: 'shop' } }), snap('2021-03-02', { labels: { app: 'shop' }, hostname: 'other' }), snap('2021-03-03', { labels: { app: 'blog' } }), snap('2021-03-04')],
      groups: ['app=shop', 'app=blog', 'app='],
      keep: ['2021-03-02 last', '2021-03-03 last', '2021-03-04 last'],
    },
    {
      name: 'by tags (a tag set is one group)',
      by: ['tags'],
      snapshots: () => [snap('2021-03-01', { tags: ['db', 'pg'] }), snap('2021-03-02', { tags: ['pg', 'db'] }), snap('2021-03-03', { tags: ['files'] })],
      groups: ['tags=db,pg', 'tags=files'],
      keep: ['2021-03-02 last', '2021-03-03 last'],
    },
  ];
  for (const g of groupings) {
    it(`groups ${g.name}`, () => {
      const decisions = applyRetention(g.snapshots(), { last: 1 }, g.by);
      assert.deepEqual(decisions.map((d) => d.group), g.groups);
      assert.deepEqual(kept(g.snapshots(), { last: 1 }, g.by), g.keep);
    });
  }

  it('refuses a policy with no rule', () => {
    assert.throws(() => applyRetention([snap('2021-03-01')], {}), (err) => isHoldfastError(err, 'USAGE'));
    assert.throws(() => applyRetention([snap('2021-03-01')], { last: 0, tags: [] }), (err) => isHoldfastError(err, 'USAGE'));
  });
});

describe('parseDuration', () => {
  const day = 86_400_000;
  const good: Array<[string, number]> = [['36h', 36 * 3_600_000], ['7d', 7 * day], ['2w', 14 * day], ['1m', 30 * day], ['1y6m', 365 * day + 180 * day], ['1y2m3w4d5h', (365 + 60 + 21 + 4) * day + 5 * 3_600_000]];
  for (const [text, ms] of good) it(`'${text}' is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  for (const text of ['', '7', 'd', '7x', '1d 2h', '-1d', '1.5d', 'd7']) {
    it(`'${text}' is refused`, () => assert.throws(() => parseDuration(text), (err) => isHoldfastError(err, 'USAGE')));
  }
});
