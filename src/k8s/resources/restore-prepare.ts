/**
 * Turns a backed-up object into the object a restore sends: references follow the
 * mapping and renames, clones get their own pods, the name and namespace change, fields
 * that belong to the old cluster go (a claim's bound volume and bind annotations,
 * allocated cluster IPs and node ports, identity and versions), the transforms apply,
 * and the provenance annotations are set.
 */
import { ANNOTATIONS } from '../api/group.ts';
import type { Transforms } from '../api/transforms.ts';
import type { NameMap } from './naming.ts';
import { applyCloneLabel, rewriteReferences } from './references.ts';
import { applyTransforms } from './transforms.ts';
import { groupOf, isRecord, type KubeObject } from './types.ts';

export interface Provenance {
  /** `<namespace>/<name>` of the Restore. */
  readonly restore: string;
  /** `<namespace>/<name>` of the Backup, when restoring from one. */
  readonly backup?: string;
  readonly snapshotId?: string;
  readonly at: Date;
}

const IDENTITY = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'] as const;

/** Annotations by which the PV controller and provisioners remember a binding in the old cluster. */
export const BIND_ANNOTATIONS = [
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];

function dropClaimBinding(obj: KubeObject): void {
  if (isRecord(obj.spec)) delete obj.spec.volumeName;
  const annotations = obj.metadata.annotations;
  if (annotations !== undefined) for (const a of BIND_ANNOTATIONS) delete annotations[a];
}

function dropAllocatedAddresses(obj: KubeObject): void {
  const spec = isRecord(obj.spec) ? obj.spec : undefined;
  if (spec === undefined) return;
  if (spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  delete spec.healthCheckNodePort;
  for (const port of Array.isArray(spec.ports) ? spec.ports : []) if (isRecord(port)) delete port.nodePort;
}

const BY_KIND: Record<string, (obj: KubeObject) => void> = {
  '|PersistentVolumeClaim': dropClaimBinding,
  '|Service': dropAllocatedAddresses,
};

/** The provenance annotations of every restored object; `original` (`<namespace>/<name>`) when it moved or was renamed. */
export function provenanceAnnotations(provenance: Provenance, original?: string): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (provenance.backup !== undefined) annotations[ANNOTATIONS.restoredFromBackup] = provenance.backup;
  if (provenance.snapshotId !== undefined) annotations[ANNOTATIONS.restoredFromSnapshot] = provenance.snapshotId;
  annotations[ANNOTATIONS.restoredBy] = provenance.restore;
  annotations[ANNOTATIONS.restoredAt] = provenance.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (original !== undefined) annotations[ANNOTATIONS.originalName] = original;
  return annotations;
}

function setProvenance(obj: KubeObject, provenance: Provenance, original: string | undefined): void {
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ...provenanceAnnotations(provenance, original) };
}

export interface PrepareContext {
  readonly names: NameMap;
  readonly transforms?: Transforms;
  readonly provenance: Provenance;
  /** Set when names change: the clone label's value. */
  readonly cloneLabel?: string;
}

/** The object to create for `source` (which stays unchanged); throws when a JSON patch cannot apply. */
export function prepareForRestore(source: KubeObject, ctx: PrepareContext): KubeObject {
  const obj = structuredClone(source);
  rewriteReferences(obj, ctx.names);
  if (ctx.cloneLabel !== undefined) applyCloneLabel(obj, ctx.cloneLabel);
  const target = ctx.names.placement(source);
  const moved = target.name !== source.metadata.name || target.namespace !== source.metadata.namespace;
  obj.metadata.name = target.name;
  if (target.namespace === undefined) delete obj.metadata.namespace;
  else obj.metadata.namespace = target.namespace;
  for (const field of IDENTITY) delete obj.metadata[field];
  BY_KIND[`${groupOf(obj.apiVersion)}|${obj.kind}`]?.(obj);
  const transformed = applyTransforms(obj, ctx.transforms, source.metadata.name ?? '');
  const original = source.metadata.namespace === undefined ? source.metadata.name : `${source.metadata.namespace}/${source.metadata.name}`;
  setProvenance(transformed, ctx.provenance, moved ? original : undefined);
  return transformed;
}
