/**
 * Status conditions, set the Kubernetes way: one condition per type, and
 * lastTransitionTime moves only when the status flips (a new reason or message with the
 * same status keeps the time). Controllers call these instead of editing the list.
 */
import type { Condition, ConditionStatus } from '../api/condition.ts';

export interface WithConditions {
  conditions?: Condition[] | undefined;
}

export interface ConditionUpdate {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

/** Kubernetes times have whole seconds: `2026-11-21T07:35:00Z`. */
export function formatTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Sets a condition on `status` (in place). Returns true when anything changed, so a
 * controller can skip a status write that would change nothing.
 */
export function setCondition(status: WithConditions, update: ConditionUpdate, now: Date): boolean {
  const list = status.conditions ?? [];
  const index = list.findIndex((c) => c.type === update.type);
  const old = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message ?? '',
    lastTransitionTime: old && old.status === update.status ? old.lastTransitionTime : formatTime(now),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (old && sameCondition(old, next)) return false;
  if (index >= 0) list[index] = next;
  else list.push(next);
  status.conditions = list;
  return true;
}

function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}

export function getCondition(status: WithConditions | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function isTrue(status: WithConditions | undefined, type: string): boolean {
  return getCondition(status, type)?.status === 'True';
}

export function isFalse(status: WithConditions | undefined, type: string): boolean {
  return getCondition(status, type)?.status === 'False';
}

/** Removes a condition; returns true when it was there. */
export function removeCondition(status: WithConditions, type: string): boolean {
  const list = status.conditions ?? [];
  const kept = list.filter((c) => c.type !== type);
  if (kept.length === list.length) return false;
  status.conditions = kept;
  return true;
}

/** True when the condition was set for the object's current generation. */
export function isCurrent(status: WithConditions | undefined, type: string, generation: number | undefined): boolean {
  const c = getCondition(status, type);
  return c !== undefined && generation !== undefined && c.observedGeneration === generation;
}
