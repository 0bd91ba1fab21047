/** Counting restore outcomes, and the bounded list a Restore's status keeps. */
import type { ResourceResult, RestoreStatus } from '../api/restore.ts';

export type RestoreCounts = NonNullable<RestoreStatus['counts']>;

const COUNTED = { Created: 'created', Updated: 'updated', Replaced: 'replaced', Skipped: 'skipped', Pruned: 'pruned', Failed: 'failed' } as const;

export function countOutcomes(results: readonly ResourceResult[]): RestoreCounts {
  const counts = { total: results.length, created: 0, updated: 0, replaced: 0, skipped: 0, pruned: 0, failed: 0 };
  for (const r of results) counts[COUNTED[r.outcome]]++;
  return counts;
}

/** What a Restore's status holds: counts, every failure first then the rest, at most `limit` entries. */
export function statusResources(results: readonly ResourceResult[], limit = 1000): { counts: RestoreCounts; resources: ResourceResult[]; resourcesTruncated: boolean } {
  const ordered = [...results.filter((r) => r.outcome === 'Failed'), ...results.filter((r) => r.outcome !== 'Failed')];
  return { counts: countOutcomes(results), resources: ordered.slice(0, limit), resourcesTruncated: ordered.length > limit };
}
