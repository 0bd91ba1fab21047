/**
 * Retention (`forget`): which snapshots a policy keeps. Snapshots are grouped (by host
 * and paths by default, like restic, or by chosen labels); within a group, newest first,
 * each rule keeps the newest snapshot of each of its last N time buckets. A snapshot
 * kept by any rule is kept. `within` keeps everything newer than the group's newest
 * snapshot minus a duration.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';

export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** Keep everything within this many milliseconds of the group's newest snapshot. */
  readonly withinMs?: number;
  readonly tags?: readonly string[];
}

export type GroupBy = ReadonlyArray<'host' | 'paths' | 'tags' | `label:${string}`>;

export interface RetentionDecision {
  readonly group: string;
  readonly keep: Array<{ snapshot: Snapshot; reasons: string[] }>;
  readonly remove: Snapshot[];
}

type Rule = { name: string; count: number; bucket: (d: Date) => string };

function rules(p: RetentionPolicy): Rule[] {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = (d: Date): string => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  let serial = 0;
  const all: Array<[keyof RetentionPolicy, (d: Date) => string]> = [
    ['last', () => String(serial++)],
    ['hourly', (d) => `${day(d)}T${pad(d.getUTCHours())}`],
    ['daily', day],
    ['weekly', (d) => isoWeek(d)],
    ['monthly', (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`],
    ['yearly', (d) => String(d.getUTCFullYear())],
  ];
  return all.flatMap(([name, bucket]) => {
    const count = p[name];
    return typeof count === 'number' && count !== 0 ? [{ name: String(name), count, bucket }] : [];
  });
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return `${t.getUTCFullYear()}-W${Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7)}`;
}

export function groupKey(s: Snapshot, by: GroupBy): string {
  return by.map((g) => {
    if (g === 'host') return `host=${s.hostname}`;
    if (g === 'paths') return `paths=${[...s.paths].sort().join(',')}`;
    if (g === 'tags') return `tags=${[...s.tags].sort().join(',')}`;
    const key = g.slice('label:'.length);
    return `${key}=${s.labels[key] ?? ''}`;
  }).join(' ');
}

export function applyRetention(snapshots: readonly Snapshot[], policy: RetentionPolicy, by: GroupBy = ['host', 'paths']): RetentionDecision[] {
  const active = rules(policy);
  if (active.length === 0 && policy.withinMs === undefined && !policy.tags?.length) {
    throw new HoldfastError('USAGE', 'no retention rule given: use --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within or --keep-tag');
  }
  const groups = new Map<string, Snapshot[]>();
  for (const s of snapshots) {
    const key = groupKey(s, by);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups].map(([group, list]) => decideGroup(group, list, active, policy));
}

function decideGroup(group: string, list: Snapshot[], active: Rule[], policy: RetentionPolicy): RetentionDecision {
  const sorted = [...list].sort((a, b) => b.time.localeCompare(a.time));
  const newest = sorted[0] ? Date.parse(sorted[0].time) : 0;
  const remaining = new Map(active.map((r) => [r.name, r.count]));
  const lastBucket = new Map<string, string>();
  const keep: RetentionDecision['keep'] = [];
  const remove: Snapshot[] = [];
  for (const s of sorted) {
    const t = new Date(s.time);
    const reasons: string[] = [];
    for (const r of active) {
      const left = remaining.get(r.name) ?? 0;
      const bucket = r.bucket(t);
      if (left !== 0 && bucket !== lastBucket.get(r.name)) {
        reasons.push(r.name);
        lastBucket.set(r.name, bucket);
        remaining.set(r.name, left - 1);
      }
    }
    if (policy.withinMs !== undefined && newest - t.getTime() <= policy.withinMs) reasons.push('within');
    if (policy.tags?.some((tag) => s.tags.includes(tag))) reasons.push('tag');
    if (reasons.length > 0) keep.push({ snapshot: s, reasons });
    else remove.push(s);
  }
  return { group, keep, remove };
}

/** Parses durations such as `7d`, `2w`, `1y6m`, `36h`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, m: 30 * 86_400_000, y: 365 * 86_400_000 };
  const parts = [...text.matchAll(/(\d+)([hdwmy])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new HoldfastError('USAGE', `'${text}' is not a duration like 7d, 2w, 1y6m or 36h`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] as string] ?? 0), 0);
}
