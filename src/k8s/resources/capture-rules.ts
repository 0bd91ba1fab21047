/**
 * What a backup leaves out, and why. Some kinds are never state worth restoring
 * (events, leases); some objects are recreated by a controller from an object that is
 * captured (a Deployment's ReplicaSets and Pods, a Service's Endpoints, a CronJob's
 * Jobs); some belong to the cluster rather than the application (the root CA config
 * map, service-account tokens, bootstrap RBAC). Each rule returns the reason that goes
 * into the capture's skipped list.
 */
import { GROUP } from '../api/group.ts';
import { groupOf, isRecord, type ApiResource, type KubeObject } from './types.ts';

const SKIPPED_KINDS: Record<string, string> = {
  '|Event': 'events record the past, they are not state',
  'events.k8s.io|Event': 'events record the past, they are not state',
  'coordination.k8s.io|Lease': 'leases are leader-election and heartbeat state, stale after a restore',
  'storage.k8s.io|CSIStorageCapacity': 'published by CSI drivers for their cluster',
  [`${GROUP}|Backup`]: "Holdfast's own run records: restoring them would run the backups again",
  [`${GROUP}|Restore`]: "Holdfast's own run records: restoring them would run the restores again",
};

/** Cluster-scoped kinds that belong to the cluster itself, left out even with clusterResources: all. */
const CLUSTER_OWNED_KINDS: Record<string, string> = {
  '|Node': 'nodes register themselves',
  '|ComponentStatus': 'reported by the apiserver',
  '|Namespace': 'namespaces are captured with the selected namespaces',
  'storage.k8s.io|CSINode': 'registered by the kubelet',
  'storage.k8s.io|VolumeAttachment': 'created by the attach/detach controller',
  'certificates.k8s.io|CertificateSigningRequest': 'one-off requests of this cluster',
  'networking.k8s.io|IPAddress': 'allocated by the apiserver',
  'resource.k8s.io|ResourceSlice': 'published by drivers for their nodes',
};

/** Kinds a controller makes from an owner; with a controller owner they are never captured. */
const DERIVED_KINDS = new Set(['|Pod', 'apps|ReplicaSet', 'apps|ControllerRevision', 'batch|Job', '|ReplicationController']);

const MANAGED_SLICE_CONTROLLERS = new Set(['endpointslice-controller.k8s.io', 'endpointslicemirroring-controller.k8s.io']);

export function kindSkipReason(resource: ApiResource): string | undefined {
  const key = `${resource.group}|${resource.kind}`;
  return SKIPPED_KINDS[key] ?? (resource.namespaced ? undefined : CLUSTER_OWNED_KINDS[key]);
}

function controllerOf(obj: KubeObject): string | undefined {
  const owner = obj.metadata.ownerReferences?.find((o) => o.controller === true);
  return owner === undefined ? undefined : `${owner.kind} ${owner.name}`;
}

type Rule = (obj: KubeObject, key: string) => string | undefined;

const OBJECT_RULES: Rule[] = [
  (obj) => (obj.metadata.deletionTimestamp !== undefined ? 'being deleted' : undefined),
  (obj, key) => {
    const owner = DERIVED_KINDS.has(key) ? controllerOf(obj) : undefined;
    return owner === undefined ? undefined : `recreated by its controller ${owner}`;
  },
  (obj, key) => {
    if (key !== '|Pod') return undefined;
    const phase = isRecord(obj.status) ? obj.status.phase : undefined;
    return phase === 'Succeeded' || phase === 'Failed' ? `finished pod (${phase})` : undefined;
  },
  (obj, key) => {
    if (key !== '|Endpoints') return undefined;
    const annotations = obj.metadata.annotations ?? {};
    const managed = obj.metadata.labels?.['endpoints.kubernetes.io/managed-by'] !== undefined || 'endpoints.kubernetes.io/last-change-trigger-time' in annotations;
    return managed ? 'maintained by the endpoints controller for its Service' : undefined;
  },
  (obj, key) => {
    const manager = obj.metadata.labels?.['endpointslice.kubernetes.io/managed-by'];
    return key === 'discovery.k8s.io|EndpointSlice' && manager !== undefined && MANAGED_SLICE_CONTROLLERS.has(manager)
      ? `maintained by ${manager}`
      : undefined;
  },
  (obj, key) => (key === '|ConfigMap' && obj.metadata.name === 'kube-root-ca.crt' ? "the cluster's root CA, published in every namespace" : undefined),
  (obj, key) =>
    key === '|Secret' && obj.type === 'kubernetes.io/service-account-token' ? 'service-account token: minted by the token controller of each cluster' : undefined,
  (obj, key) =>
    (key === '|Service' || key === '|Endpoints' || key === 'discovery.k8s.io|EndpointSlice') &&
    obj.metadata.namespace === 'default' &&
    obj.metadata.name === 'kubernetes'
      ? 'the apiserver service, maintained by the apiserver'
      : undefined,
];

const CLUSTER_RULES: Rule[] = [
  (obj) => (obj.metadata.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults' ? 'default RBAC, reconciled by the apiserver' : undefined),
  (obj) => (obj.metadata.labels?.['kube-aggregator.kubernetes.io/automanaged'] !== undefined ? 'API service managed by the apiserver' : undefined),
  (obj) => (obj.metadata.annotations?.['apf.kubernetes.io/autoupdate-spec'] === 'true' ? 'API priority and fairness default, maintained by the apiserver' : undefined),
  (obj, key) => (key === 'scheduling.k8s.io|PriorityClass' && obj.metadata.name?.startsWith('system-') ? 'system priority class' : undefined),
  (obj, key) => (key === 'networking.k8s.io|ServiceCIDR' && obj.metadata.name === 'kubernetes' ? 'the default service CIDR' : undefined),
];

/** Why this object is not captured, or undefined to capture it. */
export function objectSkipReason(obj: KubeObject): string | undefined {
  const key = `${groupOf(obj.apiVersion)}|${obj.kind}`;
  const rules = obj.metadata.namespace === undefined ? [...OBJECT_RULES, ...CLUSTER_RULES] : OBJECT_RULES;
  for (const rule of rules) {
    const reason = rule(obj, key);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
