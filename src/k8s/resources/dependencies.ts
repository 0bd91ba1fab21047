/**
 * The cluster-scoped objects a set of namespaced objects needs: the CRD of each custom
 * resource, the PV bound to each claim, the ClusterRoles that RoleBindings grant, and
 * the ClusterRoleBindings (with their ClusterRoles) that bind captured service
 * accounts. The same relation decides, at restore, which cluster-scoped objects of a
 * backup come along with a partial selection.
 */
import { isRecord, type KubeObject } from './types.ts';

export interface ClusterRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

export const CRD_GROUP = 'apiextensions.k8s.io';
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** A RoleBinding's or ClusterRoleBinding's service-account subjects, as `namespace/name`. */
export function boundServiceAccounts(binding: KubeObject): string[] {
  const subjects = Array.isArray(binding.subjects) ? binding.subjects : [];
  return subjects
    .filter((s): s is Record<string, unknown> => isRecord(s) && s.kind === 'ServiceAccount')
    .map((s) => `${String(s.namespace ?? binding.metadata.namespace ?? '')}/${String(s.name)}`);
}

export function roleRefOf(binding: KubeObject): { kind: string; name: string } | undefined {
  const ref = binding.roleRef;
  return isRecord(ref) && typeof ref.kind === 'string' && typeof ref.name === 'string' ? { kind: ref.kind, name: ref.name } : undefined;
}

/**
 * The cluster-scoped objects one namespaced object refers to directly. `crdName` names
 * the CRD serving a custom kind (`<plural>.<group>`), or undefined for built-in kinds.
 */
export function directDependencies(obj: KubeObject, group: string, crdName: string | undefined): ClusterRef[] {
  const refs: ClusterRef[] = [];
  if (crdName !== undefined) refs.push({ group: CRD_GROUP, kind: 'CustomResourceDefinition', name: crdName });
  if (group === '' && obj.kind === 'PersistentVolumeClaim') {
    const volume = isRecord(obj.spec) ? obj.spec.volumeName : undefined;
    if (typeof volume === 'string' && volume !== '') refs.push({ group: '', kind: 'PersistentVolume', name: volume });
  }
  if (group === RBAC_GROUP && (obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding')) {
    const role = roleRefOf(obj);
    if (role?.kind === 'ClusterRole') refs.push({ group: RBAC_GROUP, kind: 'ClusterRole', name: role.name });
  }
  return refs;
}

/** A PV is a dependency of the claim only when it is bound to that very claim. */
export function volumeBoundTo(pv: KubeObject, namespace: string, claim: string): boolean {
  const ref = isRecord(pv.spec) && isRecord(pv.spec.claimRef) ? pv.spec.claimRef : undefined;
  return ref?.namespace === namespace && ref.name === claim;
}

/** ClusterRoleBindings among `bindings` that bind one of `serviceAccounts` (`namespace/name`). */
export function bindingsOfServiceAccounts(bindings: readonly KubeObject[], serviceAccounts: ReadonlySet<string>): KubeObject[] {
  return bindings.filter((b) => boundServiceAccounts(b).some((sa) => serviceAccounts.has(sa)));
}
