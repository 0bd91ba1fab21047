/**
 * The order objects are restored in, so each finds what it needs: CRDs (then wait until
 * Established), Namespaces, then identities, configuration and policy (service
 * accounts, secrets, config maps, RBAC, quotas, storage and priority classes), then
 * volumes (PVs, then PVCs: a claim created after its pre-bound volume binds at once), then workloads, then everything else (Services, Ingresses,
 * custom resources …). Within a tier the order is by group, kind, namespace and name.
 */
import { groupOf, type KubeObject } from './types.ts';

export const TIER = { crds: 0, namespaces: 1, config: 2, volumes: 3, claims: 4, workloads: 5, rest: 6 } as const;

const TIERS: Record<string, number> = {
  'apiextensions.k8s.io|CustomResourceDefinition': TIER.crds,
  '|Namespace': TIER.namespaces,
  '|ServiceAccount': TIER.config,
  '|Secret': TIER.config,
  '|ConfigMap': TIER.config,
  '|LimitRange': TIER.config,
  '|ResourceQuota': TIER.config,
  'rbac.authorization.k8s.io|Role': TIER.config,
  'rbac.authorization.k8s.io|ClusterRole': TIER.config,
  'rbac.authorization.k8s.io|RoleBinding': TIER.config,
  'rbac.authorization.k8s.io|ClusterRoleBinding': TIER.config,
  'storage.k8s.io|StorageClass': TIER.config,
  'scheduling.k8s.io|PriorityClass': TIER.config,
  '|PersistentVolume': TIER.volumes,
  '|PersistentVolumeClaim': TIER.claims,
  'apps|Deployment': TIER.workloads,
  'apps|StatefulSet': TIER.workloads,
  'apps|DaemonSet': TIER.workloads,
  'apps|ReplicaSet': TIER.workloads,
  '|ReplicationController': TIER.workloads,
  'batch|Job': TIER.workloads,
  'batch|CronJob': TIER.workloads,
  '|Pod': TIER.workloads,
};

export function restoreTier(group: string, kind: string): number {
  return TIERS[`${group}|${kind}`] ?? TIER.rest;
}

function sortKey(obj: KubeObject): string[] {
  const group = groupOf(obj.apiVersion);
  return [String(restoreTier(group, obj.kind)), group, obj.kind, obj.metadata.namespace ?? '', obj.metadata.name ?? ''];
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The objects in restore order (a new array). */
export function restoreOrder<T extends { readonly object: KubeObject }>(items: readonly T[]): T[] {
  return items
    .map((item) => ({ item, key: sortKey(item.object) }))
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((e) => e.item);
}
