/**
 * The goals from shared/STACK.md ("The anchors to beat"): at least 2× restic's speed on
 * first backup and restore, at least equal on the other operations, and no more
 * memory or repository bytes than restic.
 */
import type { Operation } from './results.ts';

/** Minimum speed-up (restic wall / holdfast wall) per operation. */
export const SPEEDUP_GOAL: Record<Operation, number> = {
  'first backup': 2,
  'unchanged re-backup': 1,
  'incremental backup': 1,
  restore: 2,
  'check --read-data': 1,
};

/** Maximum holdfast / restic ratio for peak RSS and for repository bytes. */
export const RSS_RATIO_GOAL = 1;
export const SIZE_RATIO_GOAL = 1;

export type Verdict = 'met' | 'missed' | 'n/a';

/** Ratios are judged as printed (two decimals), so a shown "1.00" never reads as a miss. */
function shown(value: number): number {
  return Math.round(value * 100) / 100;
}

export function atLeast(value: number | undefined, goal: number): Verdict {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : shown(value) >= goal ? 'met' : 'missed';
}

export function atMost(value: number | undefined, goal: number): Verdict {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : shown(value) <= goal ? 'met' : 'missed';
}

export function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || denominator === 0) return undefined;
  return numerator / denominator;
}
