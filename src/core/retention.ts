/**
 * Retention rules (restic's `forget` semantics), for anything with a time: within a
 * group, newest first, each rule keeps the newest item of each of its last N time
 * buckets; an item kept by any rule is kept; `within` keeps everything newer than the
 * group's newest item minus a duration. Used for repository snapshots (`forget`) and
 * for the Backups of a policy (the operator).
 */
import { HoldfastError } from './errors.ts';

export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** Keep everything within this many milliseconds of the group's newest item. */
  readonly withinMs?: number;
  readonly tags?: readonly string[];
}

export interface Dated {
  /** ISO-8601. */
  readonly time: string;
  readonly tags: readonly string[];
}

export interface RetentionDecision<T extends Dated> {
  readonly group: string;
  readonly keep: Array<{ snapshot: T; reasons: string[] }>;
  readonly remove: T[];
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

/** Whether the policy has any rule at all. */
export function hasRule(policy: RetentionPolicy): boolean {
  return rules(policy).length > 0 || policy.withinMs !== undefined || (policy.tags?.length ?? 0) > 0;
}

/** Decides each group (items grouped by `keyOf`). */
export function decideRetention<T extends Dated>(items: readonly T[], policy: RetentionPolicy, keyOf: (item: T) => string): RetentionDecision<T>[] {
  const active = rules(policy);
  const groups = new Map<string, T[]>();
  for (const s of items) {
    const key = keyOf(s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups].map(([group, list]) => decideGroup(group, list, active, policy));
}

function decideGroup<T extends Dated>(group: string, list: T[], active: Rule[], policy: RetentionPolicy): RetentionDecision<T> {
  const sorted = [...list].sort((a, b) => b.time.localeCompare(a.time));
  const newest = sorted[0] ? Date.parse(sorted[0].time) : 0;
  const remaining = new Map(active.map((r) => [r.name, r.count]));
  const lastBucket = new Map<string, string>();
  const keep: RetentionDecision<T>['keep'] = [];
  const remove: T[] = [];
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
