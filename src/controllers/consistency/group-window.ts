/**
 * A consistency group's check of its window: the pods of every member that keeps
 * running while paused (members frozen by their recipe or hooks; a member scaled to zero
 * loses its pods by design and is left out) are listed before the freeze and after the
 * thaw. Any difference in count, names, phase or restart counts means a member may have
 * moved on while the others were paused.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { ConsistencyGroup } from '../../k8s/api/consistency.ts';
import type { KubeHttp } from '../../k8s/resources/kube-http.ts';
import type { BackupRunContext } from '../backup/stages.ts';
import type { Member } from './members.ts';
import { listPods, podChanges, type PodInfo } from './pods.ts';

export async function groupPods(http: KubeHttp, members: readonly Member[]): Promise<PodInfo[]> {
  const out: PodInfo[] = [];
  for (const m of members) {
    if (m.mode === 'scale-to-zero' || m.binding.podSelector === undefined) continue;
    out.push(...(await listPods(http, m.namespace, m.binding.podSelector)));
  }
  return out;
}

export async function recordPodChanges(ctx: BackupRunContext, onPodChange: ConsistencyGroup['onPodChange'], before: readonly PodInfo[], after: readonly PodInfo[]): Promise<void> {
  const changes = podChanges(before, after);
  ctx.status.consistency = { ...ctx.status.consistency, consistent: changes.length === 0, ...(changes.length > 0 ? { podChanges: changes } : {}) };
  await ctx.save();
  if (changes.length > 0 && onPodChange === 'fail') {
    throw new HoldfastError('GROUP_INCONSISTENT', `the consistency group's pods changed during the pause window: ${changes.join('; ')}`);
  }
}

const UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1s`, `1m30s`, `500ms`) in milliseconds. */
export function parseGoDuration(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 0);
  return ms;
}
