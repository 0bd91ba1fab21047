/**
 * Whether a Backup may run: its repository exists, is Ready, and allows the Backup's
 * namespace; the namespaces it captures are its own unless it lives in the operator
 * namespace. A repository that is not Ready yet is a reason to wait, not to fail.
 */
import { messageOf } from '../../core/errors.ts';
import type { BackupSpec } from '../../k8s/api/backup.ts';
import { backupRepositorySpecSchema, type BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import { repositoryTarget } from '../backup-repository/target.ts';
import type { RepositoryTarget } from '../ports.ts';

export type Admission =
  | { readonly accepted: true; readonly target: RepositoryTarget; readonly namespaces: string[] }
  | { readonly accepted: false; readonly reason: string; readonly message: string; readonly retryAfterMs?: number };

export async function admit(objects: HoldfastObjects, obj: KubeObjectJson, spec: BackupSpec, operatorNamespace: string): Promise<Admission> {
  const namespace = obj.metadata?.namespace ?? '';
  const namespaces = spec.selection?.namespaces?.length ? [...spec.selection.namespaces] : [namespace];
  if (namespace !== operatorNamespace && namespaces.some((n) => n !== namespace)) {
    return { accepted: false, reason: REASONS.NamespaceNotPermitted, message: `a Backup in namespace ${namespace} may capture only ${namespace}; only Backups in ${operatorNamespace} may name other namespaces` };
  }
  const repoName = spec.repositoryRef.name;
  const repo = await objects.get({ plural: 'backuprepositories', name: repoName });
  if (repo === undefined) return { accepted: false, reason: REASONS.RepositoryNotFound, message: `BackupRepository ${repoName} does not exist`, retryAfterMs: 30_000 };
  const parsed = backupRepositorySpecSchema.safeParse(repo.spec);
  if (!parsed.success) return { accepted: false, reason: REASONS.RepositoryNotReady, message: `BackupRepository ${repoName} has an invalid spec`, retryAfterMs: 30_000 };
  if (!isReady(repo)) return { accepted: false, reason: REASONS.RepositoryNotReady, message: `BackupRepository ${repoName} is not Ready yet`, retryAfterMs: 5_000 };
  if (parsed.data.accessMode === 'read-only') return { accepted: false, reason: REASONS.RepositoryReadOnly, message: `BackupRepository ${repoName} is read-only` };
  if (namespace !== operatorNamespace && !allows(parsed.data, namespace)) {
    return { accepted: false, reason: REASONS.RepositoryNotAllowed, message: `BackupRepository ${repoName} does not allow namespace ${namespace} (spec.allowedNamespaces)` };
  }
  try {
    return { accepted: true, target: await repositoryTarget(parsed.data, objects), namespaces };
  } catch (err) {
    return { accepted: false, reason: REASONS.SecretNotFound, message: messageOf(err), retryAfterMs: 30_000 };
  }
}

function isReady(repo: KubeObjectJson): boolean {
  const conditions = (repo.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Names only; label selectors on namespaces need the Namespace objects (not yet read here). */
function allows(spec: BackupRepositorySpec, namespace: string): boolean {
  const allowed = spec.allowedNamespaces;
  if (allowed === undefined || allowed.from === 'none') return false;
  if (allowed.from === 'all') return true;
  return allowed.names?.includes(namespace) ?? false;
}
