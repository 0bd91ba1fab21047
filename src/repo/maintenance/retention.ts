/**
 * Retention for `forget`: the rules of core/retention.ts over snapshots, grouped by host
 * and paths by default (like restic) or by chosen tags and labels.
 */
import { HoldfastError } from '../../core/errors.ts';
import { decideRetention, hasRule, type RetentionDecision as Decision, type RetentionPolicy } from '../../core/retention.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';

export { parseDuration, type RetentionPolicy } from '../../core/retention.ts';

export type GroupBy = ReadonlyArray<'host' | 'paths' | 'tags' | `label:${string}`>;
export type RetentionDecision = Decision<Snapshot>;

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
  if (!hasRule(policy)) {
    throw new HoldfastError('USAGE', 'no retention rule given: use --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within or --keep-tag');
  }
  return decideRetention(snapshots, policy, (s) => groupKey(s, by));
}

