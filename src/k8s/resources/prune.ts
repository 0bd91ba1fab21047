/**
 * Rollback's second half: after the restore, delete what is in the restored scope but
 * was not in the backup. The scope is the target namespaces (never a Namespace itself,
 * never cluster-scoped objects), the kinds the backup could have captured (all kinds its
 * selection covers when the caller passes it, else the kinds present in the backup),
 * and the restore's and backup's label and name filters. Objects a controller manages
 * (with a controller owner reference) or that a backup never captures (root CA, tokens,
 * the default service account) are left alone.
 */
import type { ResourceResult } from '../api/restore.ts';
import { messageOf } from '../../core/errors.ts';
import { kindSkipReason, objectSkipReason } from './capture-rules.ts';
import { mapLimit } from './concurrency.ts';
import { isCapturable, resourcePath, type ResourceCatalog } from './discovery.ts';
import { kindSelected, labelsMatch, nameSelected, type ObjectFilter } from './filters.ts';
import { isNotFound, type KubeHttp } from './kube-http.ts';
import { listObjects } from './listing.ts';
import { restoreTier } from './restore-order.ts';
import { describeRef, groupOf, refKey, refOf, type ApiResource, type KubeObject } from './types.ts';

export interface PruneScope {
  /** Namespaces restored into. */
  readonly namespaces: readonly string[];
  readonly resources: readonly ApiResource[];
  /** refKeys of the objects the restore wrote (their restored identity). */
  readonly keep: ReadonlySet<string>;
  /** Every filter an object must pass to be in scope (the restore's, the backup's). */
  readonly filters: readonly ObjectFilter[];
}

/** The kinds in a rollback's reach. */
export function pruneResources(catalog: ResourceCatalog, backupObjects: readonly KubeObject[], filters: readonly ObjectFilter[], backupSelection?: ObjectFilter): ApiResource[] {
  const candidates = catalog.resources.filter((r) => r.namespaced && isCapturable(r) && kindSkipReason(r) === undefined);
  const present = new Set(backupObjects.map((o) => `${groupOf(o.apiVersion)}|${o.kind}`));
  const covered = (r: ApiResource) => (backupSelection === undefined ? present.has(`${r.group}|${r.kind}`) : kindSelected(backupSelection, r.group, r.kind));
  return candidates.filter((r) => covered(r) && filters.every((f) => kindSelected(f, r.group, r.kind)));
}

function prunable(obj: KubeObject, scope: PruneScope): boolean {
  const ref = refOf(obj);
  if (scope.keep.has(refKey(ref))) return false;
  if (objectSkipReason(obj) !== undefined) return false;
  if ((obj.metadata.ownerReferences ?? []).some((o) => o.controller === true)) return false;
  if (ref.kind === 'ServiceAccount' && ref.name === 'default') return false;
  return scope.filters.every((f) => labelsMatch(f.labelSelector, obj.metadata.labels) && nameSelected(f, ref));
}

/** Deletes the objects in scope that the restore did not write; one Pruned or Failed outcome each. */
export async function pruneObjects(http: KubeHttp, scope: PruneScope, concurrency: number): Promise<ResourceResult[]> {
  const work = scope.resources.flatMap((resource) => scope.namespaces.map((namespace) => ({ resource, namespace })));
  const listed = await mapLimit(work, concurrency, async ({ resource, namespace }) => {
    try {
      return { resource, objects: (await listObjects(http, resource, namespace)).filter((o) => prunable(o, scope)) };
    } catch (err) {
      return { resource, objects: [], error: `listing ${resource.kind} in ${namespace} to prune: ${messageOf(err)}` };
    }
  });
  const results: ResourceResult[] = listed.flatMap((l) => (l.error === undefined ? [] : [{ group: l.resource.group, kind: l.resource.kind, name: '', outcome: 'Failed' as const, message: l.error }]));
  const doomed = listed.flatMap((l) => l.objects.map((object) => ({ resource: l.resource, object })));
  doomed.sort((a, b) => restoreTier(b.resource.group, b.resource.kind) - restoreTier(a.resource.group, a.resource.kind) || refKey(refOf(a.object)).localeCompare(refKey(refOf(b.object))));
  for (const { resource, object } of doomed) {
    const ref = refOf(object);
    const base = { group: ref.group, kind: ref.kind, namespace: ref.namespace, name: ref.name };
    try {
      await http.delete(resourcePath(resource, ref.namespace, ref.name), { propagationPolicy: 'Background' });
      results.push({ ...base, outcome: 'Pruned', message: 'not in the backup' });
    } catch (err) {
      if (isNotFound(err)) continue;
      results.push({ ...base, outcome: 'Failed', message: `pruning ${describeRef(ref)}: ${messageOf(err)}` });
    }
  }
  return results;
}
