/**
 * The pods a step runs in, and the record of a group's pods before and after its pause
 * window. Pods are taken in a fixed order: by the `holdfast.dev/hook-order` label
 * (a number, lowest first; absent counts as 0), then by name — so replicas labelled
 * `holdfast.dev/hook-order: "0"` run before a primary labelled `"1"`. `one` takes the
 * first ready pod in that order (else the first running one).
 */
import { HoldfastError } from '../../core/errors.ts';
import type { LabelSelector } from '../../k8s/api/selectors.ts';
import type { KubeHttp } from '../../k8s/resources/kube-http.ts';
import { labelSelectorQuery } from '../../k8s/resources/filters.ts';

export const HOOK_ORDER_LABEL = 'holdfast.dev/hook-order';

export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly containers: readonly string[];
  readonly order: number;
}

interface PodJson {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { containers?: Array<{ name: string }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ restartCount?: number }> };
}

function hookOrder(p: PodJson): number {
  const order = Number(p.metadata?.labels?.[HOOK_ORDER_LABEL] ?? '0');
  return Number.isFinite(order) ? order : 0;
}

function podStatus(p: PodJson): Pick<PodInfo, 'phase' | 'ready' | 'restarts'> {
  return {
    phase: p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
  };
}

function podInfo(p: PodJson, namespace: string): PodInfo {
  const m = p.metadata ?? {};
  return {
    namespace: m.namespace ?? namespace, name: m.name ?? '', uid: m.uid ?? '',
    ...podStatus(p),
    containers: (p.spec?.containers ?? []).map((c) => c.name),
    order: hookOrder(p),
  };
}

export function byHookOrder(a: PodInfo, b: PodInfo): number {
  return a.order - b.order || a.name.localeCompare(b.name);
}

export async function listPods(http: KubeHttp, namespace: string, selector: LabelSelector | undefined): Promise<PodInfo[]> {
  const query = labelSelectorQuery(selector);
  const res = await http.get<{ items?: PodJson[] }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, query ? { labelSelector: query } : {});
  return (res.items ?? []).map((p) => podInfo(p, namespace)).sort(byHookOrder);
}

/** The pods a step acts on, in hook order; fails clearly when none can take it. */
export function choosePods(pods: readonly PodInfo[], mode: 'one' | 'all', what: string): PodInfo[] {
  const live = pods.filter((p) => p.phase === 'Running');
  if (live.length === 0) {
    const seen = pods.length === 0 ? 'no pod matches its selector' : `no pod is running (${pods.map((p) => `${p.name} ${p.phase}`).join(', ')})`;
    throw new HoldfastError('ACTION_FAILED', `${what}: ${seen}`);
  }
  if (mode === 'all') return live;
  return [live.find((p) => p.ready) ?? live[0] as PodInfo];
}

/** Differences between two listings of the same pods, one line each: "db/pg-0 restarts 0→1". */
export function podChanges(before: readonly PodInfo[], after: readonly PodInfo[]): string[] {
  const now = new Map(after.map((p) => [`${p.namespace}/${p.name}`, p]));
  const then = new Map(before.map((p) => [`${p.namespace}/${p.name}`, p]));
  const changes: string[] = [];
  if (before.length !== after.length) changes.push(`pod count ${before.length}→${after.length}`);
  for (const [key, b] of then) {
    const a = now.get(key);
    if (a === undefined) changes.push(`${key} gone`);
    else {
      if (a.uid !== b.uid) changes.push(`${key} recreated`);
      if (a.phase !== b.phase) changes.push(`${key} phase ${b.phase}→${a.phase}`);
      if (a.restarts !== b.restarts) changes.push(`${key} restarts ${b.restarts}→${a.restarts}`);
    }
  }
  for (const key of now.keys()) if (!then.has(key)) changes.push(`${key} new`);
  return changes;
}
