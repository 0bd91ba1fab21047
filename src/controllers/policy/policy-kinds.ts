/**
 * What differs between a BackupPolicy and a ClusterBackupPolicy, for the one policy
 * reconciler: where the object lives, how its spec parses, which label marks its Backups,
 * and its units — the places a run creates a Backup in. A BackupPolicy has one unit, its
 * own namespace. A ClusterBackupPolicy selects namespaces (labels and names, the union)
 * and makes one Backup per selected namespace, in that namespace (backupPer: namespace),
 * or one Backup in the operator namespace covering them all (backupPer: policy).
 */
import { backupPolicySpecSchema, backupSpecFromPolicy, clusterBackupPolicySpecSchema, type BackupPolicySpec, type ClusterBackupPolicySpec } from '../../k8s/api/backup-policy.ts';
import type { BackupSpec } from '../../k8s/api/backup.ts';
import { LABELS } from '../../k8s/api/group.ts';
import { parseWith } from '../../k8s/api/parse.ts';
import type { HoldfastObjects, KubeObjectJson, ObjectRef } from '../../k8s/client/custom-objects.ts';
import { labelsMatch } from '../../k8s/resources/filters.ts';

export type PolicySpec = BackupPolicySpec | ClusterBackupPolicySpec;

/** Where one run creates one Backup, and what it captures. */
export interface PolicyUnit {
  readonly namespace: string;
  /** selection.namespaces of the Backup; undefined means the Backup's own namespace. */
  readonly namespaces?: readonly string[];
}

export interface PolicyKind {
  readonly kind: 'BackupPolicy' | 'ClusterBackupPolicy';
  readonly plural: string;
  /** The label, valued with the policy's name, on every Backup the policy creates. */
  readonly label: string;
  ref(key: string): ObjectRef;
  parse(obj: KubeObjectJson, key: string): PolicySpec;
  units(objects: HoldfastObjects, obj: KubeObjectJson, spec: PolicySpec, operatorNamespace: string): Promise<PolicyUnit[]>;
  /** The Backups the policy created, wherever they are. */
  backups(objects: HoldfastObjects, obj: KubeObjectJson): Promise<KubeObjectJson[]>;
}

export const namespacedPolicy: PolicyKind = {
  kind: 'BackupPolicy',
  plural: 'backuppolicies',
  label: LABELS.policy,
  ref: (key) => {
    const [namespace = '', name = ''] = key.split('/');
    return { plural: 'backuppolicies', namespace, name };
  },
  parse: (obj, key) => parseWith(backupPolicySpecSchema, obj.spec, `BackupPolicy ${key}`),
  units: (_objects, obj) => Promise.resolve([{ namespace: obj.metadata?.namespace ?? '' }]),
  backups: (objects, obj) => objects.list('backups', obj.metadata?.namespace ?? '', `${LABELS.policy}=${obj.metadata?.name ?? ''}`),
};

export const clusterPolicy: PolicyKind = {
  kind: 'ClusterBackupPolicy',
  plural: 'clusterbackuppolicies',
  label: LABELS.clusterPolicy,
  ref: (key) => ({ plural: 'clusterbackuppolicies', name: key }),
  parse: (obj, key) => parseWith(clusterBackupPolicySpecSchema, obj.spec, `ClusterBackupPolicy ${key}`),
  units: async (objects, _obj, spec, operatorNamespace) => {
    const selected = await selectedNamespaces(objects, spec as ClusterBackupPolicySpec);
    if ((spec as ClusterBackupPolicySpec).backupPer === 'namespace') return selected.map((namespace) => ({ namespace }));
    return selected.length === 0 ? [] : [{ namespace: operatorNamespace, namespaces: selected }];
  },
  backups: (objects, obj) => objects.listAll('backups', `${LABELS.clusterPolicy}=${obj.metadata?.name ?? ''}`),
};

/** The existing, live namespaces a ClusterBackupPolicy selects: by labels, plus those it names. */
export async function selectedNamespaces(objects: HoldfastObjects, spec: Pick<ClusterBackupPolicySpec, 'namespaceSelector' | 'selection'>): Promise<string[]> {
  const named = new Set(spec.selection?.namespaces ?? []);
  const all = await objects.namespaces();
  return all
    .filter((n) => !n.terminating && (named.has(n.name) || (spec.namespaceSelector !== undefined && labelsMatch(spec.namespaceSelector, n.labels))))
    .map((n) => n.name)
    .sort();
}

/** The Backup a run of the policy creates in `unit`. */
export function backupSpecForUnit(kind: PolicyKind, spec: PolicySpec, unit: PolicyUnit): BackupSpec {
  const out = backupSpecFromPolicy(spec);
  if (kind.kind === 'BackupPolicy') return out;
  if (out.selection === undefined) return unit.namespaces ? { ...out, selection: { clusterResources: 'dependencies', namespaces: [...unit.namespaces] } } : out;
  const { namespaces: _policyNamespaces, ...rest } = out.selection;
  return { ...out, selection: { ...rest, ...(unit.namespaces ? { namespaces: [...unit.namespaces] } : {}) } };
}
