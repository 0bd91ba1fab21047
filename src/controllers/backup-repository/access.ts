/**
 * Whether a Backup or Restore may use a repository: it exists, is Ready, and allows the
 * object's namespace; and the namespaces it acts in are its own unless it lives in the
 * operator namespace. A repository that is not Ready yet is a reason to wait, not to fail.
 */
import { messageOf } from '../../core/errors.ts';
import type { BackupSpec } from '../../k8s/api/backup.ts';
import { backupRepositorySpecSchema, type BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import { clusterBackupPolicySpecSchema } from '../../k8s/api/backup-policy.ts';
import { LABELS } from '../../k8s/api/group.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import { labelsMatch } from '../../k8s/resources/filters.ts';
import { selectedNamespaces } from '../policy/policy-kinds.ts';
import { repositoryTarget } from './target.ts';
import type { RepositoryTarget } from '../ports.ts';

export type Admission =
  | { readonly accepted: true; readonly target: RepositoryTarget; readonly namespaces: string[] }
  | Refusal;

export interface Refusal {
  readonly accepted: false;
  readonly reason: string;
  readonly message: string;
  /** Set when waiting may help (the repository is not Ready yet). */
  readonly retryAfterMs?: number;
}

/**
 * A namespaced Backup or Restore acts in its own namespace only, unless it lives in the
 * operator namespace (a grant given by whoever may create objects there).
 */
export function checkNamespaces(kind: string, namespace: string, namespaces: readonly string[], operatorNamespace: string): Refusal | undefined {
  if (namespace === operatorNamespace || namespaces.every((n) => n === namespace)) return undefined;
  return { accepted: false, reason: REASONS.NamespaceNotPermitted, message: `a ${kind} in namespace ${namespace} may act only in ${namespace}; only ${kind}s in ${operatorNamespace} may name other namespaces` };
}

export interface AccessOptions {
  readonly operatorNamespace: string;
  readonly write: boolean;
  /** A grant beside the repository's own list, e.g. a ClusterBackupPolicy that selects the namespace. */
  readonly granted?: (repository: string) => Promise<boolean>;
}

/** The repository `name` for a Backup or Restore in `namespace`: exists, Ready, allows it, writable when needed. */
export async function repositoryFor(objects: HoldfastObjects, name: string, namespace: string, opts: AccessOptions): Promise<{ readonly target: RepositoryTarget } | Refusal> {
  const repo = await objects.get({ plural: 'backuprepositories', name });
  if (repo === undefined) return { accepted: false, reason: REASONS.RepositoryNotFound, message: `BackupRepository ${name} does not exist`, retryAfterMs: 30_000 };
  const parsed = backupRepositorySpecSchema.safeParse(repo.spec);
  if (!parsed.success) return { accepted: false, reason: REASONS.RepositoryNotReady, message: `BackupRepository ${name} has an invalid spec`, retryAfterMs: 30_000 };
  if (!isReady(repo)) return { accepted: false, reason: REASONS.RepositoryNotReady, message: `BackupRepository ${name} is not Ready yet`, retryAfterMs: 5_000 };
  if (opts.write && parsed.data.accessMode === 'read-only') return { accepted: false, reason: REASONS.RepositoryReadOnly, message: `BackupRepository ${name} is read-only` };
  if (namespace !== opts.operatorNamespace && !(await allows(objects, parsed.data, namespace)) && !(await opts.granted?.(name))) {
    return { accepted: false, reason: REASONS.RepositoryNotAllowed, message: `BackupRepository ${name} does not allow namespace ${namespace} (spec.allowedNamespaces)` };
  }
  try {
    return { target: await repositoryTarget(parsed.data, objects) };
  } catch (err) {
    return { accepted: false, reason: REASONS.SecretNotFound, message: messageOf(err), retryAfterMs: 30_000 };
  }
}

/** Whether a Backup may run, and what it captures. */
export async function admit(objects: HoldfastObjects, obj: KubeObjectJson, spec: BackupSpec, operatorNamespace: string): Promise<Admission> {
  const namespace = obj.metadata?.namespace ?? '';
  const namespaces = spec.selection?.namespaces?.length ? [...spec.selection.namespaces] : [namespace];
  const refused = checkNamespaces('Backup', namespace, namespaces, operatorNamespace);
  if (refused) return refused;
  const granted = (repository: string): Promise<boolean> => grantedByClusterPolicy(objects, obj, repository);
  const repo = await repositoryFor(objects, spec.repositoryRef.name, namespace, { operatorNamespace, write: true, granted });
  return 'target' in repo ? { accepted: true, target: repo.target, namespaces } : repo;
}

/**
 * A Backup a ClusterBackupPolicy made may use the policy's repository in a namespace the
 * repository does not list: the policy (cluster-scoped, so an administrator's) grants it.
 * The label alone proves nothing — anyone who may create Backups there can set it — so
 * the policy must exist, name this repository, and select this namespace. The same grant
 * lets a Restore in that namespace restore such a Backup.
 */
export async function grantedByClusterPolicy(objects: HoldfastObjects, obj: KubeObjectJson, repository: string): Promise<boolean> {
  const policyName = obj.metadata?.labels?.[LABELS.clusterPolicy];
  if (policyName === undefined) return false;
  const policy = await objects.get({ plural: 'clusterbackuppolicies', name: policyName });
  const spec = clusterBackupPolicySpecSchema.safeParse(policy?.spec);
  if (!spec.success || spec.data.repositoryRef.name !== repository) return false;
  return (await selectedNamespaces(objects, spec.data)).includes(obj.metadata?.namespace ?? '');
}

function isReady(repo: KubeObjectJson): boolean {
  const conditions = (repo.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Whether spec.allowedNamespaces lets `namespace` in: all, by name, or by the namespace's labels. */
async function allows(objects: HoldfastObjects, spec: BackupRepositorySpec, namespace: string): Promise<boolean> {
  const allowed = spec.allowedNamespaces;
  if (allowed === undefined || allowed.from === 'none') return false;
  if (allowed.from === 'all' || allowed.names?.includes(namespace)) return true;
  if (allowed.selector === undefined) return false;
  const ns = await objects.namespace(namespace);
  return ns !== undefined && labelsMatch(allowed.selector, ns.labels);
}
