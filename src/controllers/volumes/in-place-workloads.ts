/**
 * The owners of PVCs refilled in place: the Deployments, StatefulSets and ReplicaSets
 * (not those a Deployment owns) whose pod templates mount the claims — a StatefulSet
 * through its claim templates too (`<template>-<statefulset>-<ordinal>`). Scaling one down
 * first writes the replica count into an annotation on the workload, then sets the scale to
 * zero; a later run (an operator restart) reads the count back from the annotation instead
 * of the zero it finds. Scaling up sets the count and drops the annotation. Both are
 * idempotent and skip workloads that are gone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HoldfastError } from '../../core/errors.ts';
import { ANNOTATIONS } from '../../k8s/api/group.ts';
import { isRecord } from '../../k8s/resources/types.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'ReplicaSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface ScaledWorkload {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
}

const PLURALS: Record<WorkloadKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', ReplicaSet: 'replicasets' };

export function workloadPath(kind: string, namespace: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/${PLURALS[kind as WorkloadKind] ?? 'deployments'}`;
}

interface WorkloadJson extends JsonObject {
  metadata?: JsonObject['metadata'] & { ownerReferences?: Array<{ kind?: string; controller?: boolean }> };
}

/** The claims a pod spec mounts. */
export function mountedClaims(podSpec: unknown): string[] {
  const volumes = isRecord(podSpec) && Array.isArray(podSpec.volumes) ? podSpec.volumes : [];
  return volumes.flatMap((v) => (isRecord(v) && isRecord(v.persistentVolumeClaim) && typeof v.persistentVolumeClaim.claimName === 'string' ? [v.persistentVolumeClaim.claimName] : []));
}

/** Whether `workload` (a Deployment, StatefulSet or ReplicaSet as JSON) mounts one of `claims`. */
export function mountsAny(kind: string, workload: { metadata?: { name?: string }; spec?: unknown }, claims: ReadonlySet<string>): boolean {
  const spec = isRecord(workload.spec) ? workload.spec : {};
  const template = isRecord(spec.template) ? spec.template.spec : undefined;
  if (mountedClaims(template).some((c) => claims.has(c))) return true;
  if (kind !== 'StatefulSet' || !Array.isArray(spec.volumeClaimTemplates)) return false;
  const name = workload.metadata?.name ?? '';
  for (const t of spec.volumeClaimTemplates) {
    const prefix = `${isRecord(t) && isRecord(t.metadata) ? String(t.metadata.name ?? '') : ''}-${name}-`;
    if ([...claims].some((c) => c.startsWith(prefix) && /^\d+$/.test(c.slice(prefix.length)))) return true;
  }
  return false;
}

function ownedByDeployment(w: WorkloadJson): boolean {
  return (w.metadata?.ownerReferences ?? []).some((o) => o.controller === true && o.kind === 'Deployment');
}

/** The workloads of `namespace` that mount one of `claims`. */
export async function workloadsMounting(cluster: VolumeCluster, namespace: string, claims: ReadonlySet<string>): Promise<Array<{ kind: WorkloadKind; name: string }>> {
  const found: Array<{ kind: WorkloadKind; name: string }> = [];
  for (const kind of WORKLOAD_KINDS) {
    for (const w of await cluster.list<WorkloadJson>(workloadPath(kind, namespace))) {
      if (kind === 'ReplicaSet' && ownedByDeployment(w)) continue;
      if (mountsAny(kind, w, claims)) found.push({ kind, name: w.metadata?.name ?? '' });
    }
  }
  return found;
}

function replicasOf(w: JsonObject): number {
  const recorded = w.metadata?.annotations?.[ANNOTATIONS.replicasBeforeScaleDown];
  if (recorded !== undefined && /^\d+$/.test(recorded)) return Number(recorded);
  const replicas = w.spec?.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

/** Records the replica count on the workload, then scales it to zero; the count, or undefined when the workload is gone. */
export async function scaleDown(cluster: VolumeCluster, w: { kind: string; namespace: string; name: string }): Promise<number | undefined> {
  const path = workloadPath(w.kind, w.namespace);
  const current = await cluster.get(path, w.name);
  if (current === undefined) return undefined;
  const replicas = replicasOf(current);
  await cluster.mergePatch(path, w.name, { metadata: { annotations: { [ANNOTATIONS.replicasBeforeScaleDown]: String(replicas) } } });
  await cluster.mergePatch(path, `${w.name}/scale`, { spec: { replicas: 0 } });
  return replicas;
}

export async function scaleUp(cluster: VolumeCluster, w: ScaledWorkload): Promise<void> {
  const path = workloadPath(w.kind, w.namespace);
  if ((await cluster.get(path, w.name)) === undefined) return;
  await cluster.mergePatch(path, `${w.name}/scale`, { spec: { replicas: w.replicas } });
  await cluster.mergePatch(path, w.name, { metadata: { annotations: { [ANNOTATIONS.replicasBeforeScaleDown]: null } } });
}

interface PodJson extends JsonObject {
  spec?: { volumes?: unknown[] };
}

/** Waits until no pod of `namespace` mounts one of `claims` (the owners' pods are gone, and nobody else's are there). */
export async function waitUnmounted(cluster: VolumeCluster, namespace: string, claims: ReadonlySet<string>, o: { deadline: number; signal: AbortSignal }): Promise<void> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    o.signal.throwIfAborted();
    const pods = (await cluster.list<PodJson>(PATHS.pods(namespace))).filter((p) => mountedClaims(p.spec).some((c) => claims.has(c)));
    if (pods.length === 0) return;
    if (Date.now() > o.deadline) {
      const names = pods.map((p) => p.metadata?.name ?? '').join(', ');
      throw new HoldfastError('TIMEOUT', `pods still use the PVCs to refill in namespace ${namespace} after the scale-down timeout (spec.volumes.scaleDownTimeoutSeconds): ${names}`);
    }
    await sleep(delay, undefined, { signal: o.signal });
  }
}
