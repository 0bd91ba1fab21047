/**
 * Which of a policy's Backups go: successful ones the keep rules do not keep (never the
 * newest successful one), and failed ones beyond the failed-history limit. Running
 * Backups are never touched.
 */
import { decideRetention, parseDuration, type RetentionPolicy } from '../../core/retention.ts';
import type { Keep } from '../../k8s/api/retention.ts';

export interface PolicyBackup {
  readonly name: string;
  readonly phase: string | undefined;
  /** Completion (or creation, while running) time, ISO-8601. */
  readonly time: string;
}

const SUCCESS = new Set(['Completed', 'PartiallyFailed']);

export function retentionPlan(backups: readonly PolicyBackup[], keep: Keep | undefined, failedLimit: number): { keep: string[]; remove: string[] } {
  const successful = backups.filter((b) => SUCCESS.has(b.phase ?? '')).sort((a, b) => b.time.localeCompare(a.time));
  const failed = backups.filter((b) => b.phase === 'Failed').sort((a, b) => b.time.localeCompare(a.time));
  const remove = new Set(failed.slice(failedLimit).map((b) => b.name));
  if (keep !== undefined && successful.length > 0) {
    const items = successful.map((b) => ({ ...b, tags: [] as string[] }));
    const [decision] = decideRetention(items, toPolicy(keep), () => 'policy');
    for (const b of decision?.remove ?? []) if (b.name !== successful[0]?.name) remove.add(b.name);
  }
  return { keep: backups.filter((b) => !remove.has(b.name)).map((b) => b.name), remove: [...remove] };
}

function toPolicy({ within, ...counts }: Keep): RetentionPolicy {
  return { ...counts, withinMs: within === undefined ? undefined : parseDuration(within) };
}
