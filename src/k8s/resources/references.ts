/**
 * References that follow a restore's mapping and renaming: a pod spec's config maps,
 * secrets, claims, service account and pull secrets; a StatefulSet's service; binding
 * subjects and role references; a PV's claim; an Ingress's services and TLS secrets;
 * an autoscaler's target; owner references. Only references to objects that are part of
 * the restore change; others keep their names.
 *
 * A clone beside its original (names change) also needs its own pods: every pod
 * template gets the clone label, and the selectors of workloads, Services,
 * PodDisruptionBudgets and NetworkPolicies require it, so neither side selects the
 * other's pods.
 */
import { LABELS } from '../api/group.ts';
import { RBAC_GROUP } from './dependencies.ts';
import type { NameMap } from './naming.ts';
import { containersOf, jsonAt, podSpecs, podTemplates, volumesOf } from './pod-specs.ts';
import { groupOf, isRecord, type KubeObject } from './types.ts';

type Json = Record<string, unknown>;

interface Context {
  readonly names: NameMap;
  /** Namespace of the object in the backup; undefined for references to cluster-scoped objects. */
  readonly namespace: string | undefined;
}

function renameField(node: Json | undefined, field: string, kind: string, ctx: Context, group = ''): void {
  const value = node?.[field];
  if (node === undefined || typeof value !== 'string') return;
  node[field] = ctx.names.nameOf({ group, kind, namespace: ctx.namespace, name: value });
}

function rewritePodSpec(spec: Json, ctx: Context): void {
  renameField(spec, 'serviceAccountName', 'ServiceAccount', ctx);
  renameField(spec, 'serviceAccount', 'ServiceAccount', ctx);
  for (const secret of Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets.filter(isRecord) : []) renameField(secret, 'name', 'Secret', ctx);
  for (const volume of volumesOf(spec)) {
    renameField(jsonAt(volume, 'configMap'), 'name', 'ConfigMap', ctx);
    renameField(jsonAt(volume, 'secret'), 'secretName', 'Secret', ctx);
    renameField(jsonAt(volume, 'persistentVolumeClaim'), 'claimName', 'PersistentVolumeClaim', ctx);
    const sources = jsonAt(volume, 'projected')?.sources;
    for (const source of Array.isArray(sources) ? sources.filter(isRecord) : []) {
      renameField(jsonAt(source, 'configMap'), 'name', 'ConfigMap', ctx);
      renameField(jsonAt(source, 'secret'), 'name', 'Secret', ctx);
    }
  }
  for (const container of containersOf(spec)) {
    for (const env of Array.isArray(container.env) ? container.env.filter(isRecord) : []) {
      renameField(jsonAt(env, 'valueFrom', 'configMapKeyRef'), 'name', 'ConfigMap', ctx);
      renameField(jsonAt(env, 'valueFrom', 'secretKeyRef'), 'name', 'Secret', ctx);
    }
    for (const from of Array.isArray(container.envFrom) ? container.envFrom.filter(isRecord) : []) {
      renameField(jsonAt(from, 'configMapRef'), 'name', 'ConfigMap', ctx);
      renameField(jsonAt(from, 'secretRef'), 'name', 'Secret', ctx);
    }
  }
}

function rewriteSubjects(obj: KubeObject, names: NameMap): void {
  for (const subject of Array.isArray(obj.subjects) ? obj.subjects.filter(isRecord) : []) {
    if (subject.kind !== 'ServiceAccount' || typeof subject.name !== 'string') continue;
    const namespace = typeof subject.namespace === 'string' ? subject.namespace : (obj.metadata.namespace ?? '');
    subject.name = names.nameOf({ group: '', kind: 'ServiceAccount', namespace, name: subject.name });
    if (typeof subject.namespace === 'string') subject.namespace = names.namespaceOf(subject.namespace);
  }
}

function rewriteBinding(obj: KubeObject, ctx: Context): void {
  rewriteSubjects(obj, ctx.names);
  const role = jsonAt(obj, 'roleRef');
  if (role?.kind === 'Role') renameField(role, 'name', 'Role', ctx, RBAC_GROUP);
  if (role?.kind === 'ClusterRole') renameField(role, 'name', 'ClusterRole', { ...ctx, namespace: undefined }, RBAC_GROUP);
}

function rewriteClaimRef(obj: KubeObject, names: NameMap): void {
  const claim = jsonAt(obj, 'spec', 'claimRef');
  if (claim === undefined) return;
  delete claim.uid;
  delete claim.resourceVersion;
  if (typeof claim.namespace !== 'string' || typeof claim.name !== 'string') return;
  claim.name = names.nameOf({ group: '', kind: 'PersistentVolumeClaim', namespace: claim.namespace, name: claim.name });
  claim.namespace = names.namespaceOf(claim.namespace);
}

function rewriteIngress(obj: KubeObject, ctx: Context): void {
  const spec = jsonAt(obj, 'spec');
  renameField(jsonAt(spec, 'defaultBackend', 'service'), 'name', 'Service', ctx);
  for (const rule of Array.isArray(spec?.rules) ? spec.rules : []) {
    const paths = jsonAt(rule, 'http')?.paths;
    for (const path of Array.isArray(paths) ? paths : []) renameField(jsonAt(path, 'backend', 'service'), 'name', 'Service', ctx);
  }
  for (const tls of Array.isArray(spec?.tls) ? spec.tls.filter(isRecord) : []) renameField(tls, 'secretName', 'Secret', ctx);
}

function rewriteScaleTarget(obj: KubeObject, ctx: Context): void {
  const target = jsonAt(obj, 'spec', 'scaleTargetRef');
  if (target === undefined || typeof target.kind !== 'string') return;
  renameField(target, 'name', target.kind, ctx, groupOf(String(target.apiVersion ?? '')));
}

const BY_KIND: Record<string, (obj: KubeObject, ctx: Context) => void> = {
  'apps|StatefulSet': (obj, ctx) => renameField(jsonAt(obj, 'spec'), 'serviceName', 'Service', ctx),
  [`${RBAC_GROUP}|RoleBinding`]: rewriteBinding,
  [`${RBAC_GROUP}|ClusterRoleBinding`]: rewriteBinding,
  '|PersistentVolume': (obj, ctx) => rewriteClaimRef(obj, ctx.names),
  '|ServiceAccount': (obj, ctx) => {
    for (const list of [obj.secrets, obj.imagePullSecrets]) for (const s of Array.isArray(list) ? list.filter(isRecord) : []) renameField(s, 'name', 'Secret', ctx);
  },
  '|PersistentVolumeClaim': (obj, ctx) => {
    for (const field of ['dataSource', 'dataSourceRef']) {
      const source = jsonAt(obj, 'spec', field);
      if (typeof source?.kind === 'string') renameField(source, 'name', source.kind, ctx, String(source.apiGroup ?? ''));
    }
  },
  'networking.k8s.io|Ingress': rewriteIngress,
  'autoscaling|HorizontalPodAutoscaler': rewriteScaleTarget,
};

function rewriteOwners(obj: KubeObject, ctx: Context): void {
  for (const owner of obj.metadata.ownerReferences ?? []) {
    owner.name = ctx.names.nameOf({ group: groupOf(owner.apiVersion), kind: owner.kind, namespace: ctx.namespace, name: owner.name });
  }
}

/** Points the references of `obj` (a copy, still with its backup namespace) at the restored names. */
export function rewriteReferences(obj: KubeObject, names: NameMap): void {
  const ctx = { names, namespace: obj.metadata.namespace };
  for (const spec of podSpecs(obj)) rewritePodSpec(spec, ctx);
  BY_KIND[`${groupOf(obj.apiVersion)}|${obj.kind}`]?.(obj, ctx);
  rewriteOwners(obj, ctx);
}

function requireLabel(selector: Json | undefined, value: string): void {
  if (selector === undefined) return;
  selector.matchLabels = { ...(isRecord(selector.matchLabels) ? selector.matchLabels : {}), [LABELS.clone]: value };
}

/** Makes a clone select only its own pods: the label on pod templates, and required by selectors. */
export function applyCloneLabel(obj: KubeObject, value: string): void {
  const templates = podTemplates(obj);
  for (const template of templates) {
    const meta = isRecord(template.metadata) ? template.metadata : (template.metadata = {});
    meta.labels = { ...(isRecord(meta.labels) ? meta.labels : {}), [LABELS.clone]: value };
  }
  const key = `${groupOf(obj.apiVersion)}|${obj.kind}`;
  const spec = jsonAt(obj, 'spec');
  if (spec === undefined) return;
  if (key === '|Service' && isRecord(spec.selector) && Object.keys(spec.selector).length > 0) spec.selector = { ...spec.selector, [LABELS.clone]: value };
  else if (key === 'policy|PodDisruptionBudget') requireLabel(jsonAt(spec, 'selector'), value);
  else if (key === 'networking.k8s.io|NetworkPolicy') requireLabel(jsonAt(spec, 'podSelector'), value);
  else if (templates.length > 0 && obj.kind !== 'Pod' && obj.kind !== 'CronJob') requireLabel(jsonAt(spec, 'selector'), value);
}
