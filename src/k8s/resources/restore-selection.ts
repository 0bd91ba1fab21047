/**
 * Which objects of a backup a restore brings back: the namespaced objects its selection
 * picks (namespaces, kinds, names, labels), the Namespace objects of those namespaces,
 * and cluster-scoped objects per `clusterResources`: none, all that the filters pick, or
 * (the default) only those the picked objects depend on — the CRDs of their custom
 * resources, the PVs bound to their claims, the ClusterRoles their bindings grant, and
 * the ClusterRoleBindings that bind their service accounts.
 */
import type { RestoreSpec } from '../api/restore.ts';
import { CRD_GROUP, RBAC_GROUP, boundServiceAccounts, roleRefOf } from './dependencies.ts';
import { kindSelected, labelsMatch, nameSelected } from './filters.ts';
import { groupOf, isRecord, refOf, type KubeObject } from './types.ts';

export type RestoreSelection = RestoreSpec['selection'];

function namespacedSelected(obj: KubeObject, sel: NonNullable<RestoreSelection>): boolean {
  const ref = refOf(obj);
  if (sel.namespaces !== undefined && !sel.namespaces.includes(ref.namespace ?? '')) return false;
  return kindSelected(sel, ref.group, ref.kind) && nameSelected(sel, ref) && labelsMatch(sel.labelSelector, obj.metadata.labels);
}

function namespaceSelected(obj: KubeObject, sel: NonNullable<RestoreSelection>): boolean {
  const name = obj.metadata.name ?? '';
  const listed = sel.namespaces === undefined || sel.namespaces.includes(name);
  return listed && kindSelected(sel, '', 'Namespace') && nameSelected(sel, { group: '', kind: 'Namespace', name }, false);
}

function keyOf(obj: KubeObject): string {
  return `${groupOf(obj.apiVersion)}|${obj.kind}|${obj.metadata.name}`;
}

function crdServes(crd: KubeObject, kinds: ReadonlySet<string>): boolean {
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  return groupOf(crd.apiVersion) === CRD_GROUP && crd.kind === 'CustomResourceDefinition' && kinds.has(`${String(spec.group)}|${String(names.kind)}`);
}

function volumeClaimedBy(pv: KubeObject, claims: ReadonlySet<string>): boolean {
  const claimRef = isRecord(pv.spec) && isRecord(pv.spec.claimRef) ? pv.spec.claimRef : {};
  return groupOf(pv.apiVersion) === '' && pv.kind === 'PersistentVolume' && claims.has(`${String(claimRef.namespace)}/${String(claimRef.name)}`);
}

const namespacedKeys = (objects: readonly KubeObject[], kind: string) =>
  new Set(objects.filter((o) => o.kind === kind && groupOf(o.apiVersion) === '').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));

/** `group|kind|name` of every cluster-scoped object the selected objects need. */
function dependencyKeys(selected: readonly KubeObject[], cluster: readonly KubeObject[]): Set<string> {
  const customKinds = new Set(selected.map((o) => `${groupOf(o.apiVersion)}|${o.kind}`));
  const claims = namespacedKeys(selected, 'PersistentVolumeClaim');
  const accounts = namespacedKeys(selected, 'ServiceAccount');
  const isClusterBinding = (o: KubeObject) => groupOf(o.apiVersion) === RBAC_GROUP && o.kind === 'ClusterRoleBinding';
  const clusterBindings = cluster.filter((o) => isClusterBinding(o) && boundServiceAccounts(o).some((sa) => accounts.has(sa)));
  const keys = new Set([...cluster.filter((o) => crdServes(o, customKinds) || volumeClaimedBy(o, claims)), ...clusterBindings].map(keyOf));
  const bindings = [...selected.filter((o) => o.kind === 'RoleBinding' && groupOf(o.apiVersion) === RBAC_GROUP), ...clusterBindings];
  for (const binding of bindings) {
    const role = roleRefOf(binding);
    if (role?.kind === 'ClusterRole') keys.add(`${RBAC_GROUP}|ClusterRole|${role.name}`);
  }
  return keys;
}

function clusterSelected(obj: KubeObject, sel: NonNullable<RestoreSelection>): boolean {
  const ref = refOf(obj);
  return kindSelected(sel, ref.group, ref.kind) && nameSelected(sel, ref, false);
}

/** The objects of the backup the selection brings back, in their input order. */
export function selectForRestore(objects: readonly KubeObject[], selection: RestoreSelection): KubeObject[] {
  const sel = selection ?? { clusterResources: 'dependencies' as const };
  const namespaced = objects.filter((o) => o.metadata.namespace !== undefined && namespacedSelected(o, sel));
  const keep = new Set<KubeObject>(namespaced);
  const cluster = objects.filter((o) => o.metadata.namespace === undefined && !(o.kind === 'Namespace' && groupOf(o.apiVersion) === ''));
  for (const ns of objects.filter((o) => o.kind === 'Namespace' && groupOf(o.apiVersion) === '')) if (namespaceSelected(ns, sel)) keep.add(ns);
  const mode = sel.clusterResources ?? 'dependencies';
  if (mode === 'all') {
    for (const obj of cluster) if (clusterSelected(obj, sel) && labelsMatch(sel.labelSelector, obj.metadata.labels)) keep.add(obj);
  } else if (mode === 'dependencies') {
    const needed = dependencyKeys(namespaced, cluster);
    for (const obj of cluster) if (needed.has(keyOf(obj)) && clusterSelected(obj, sel)) keep.add(obj);
  }
  return objects.filter((o) => keep.has(o));
}
