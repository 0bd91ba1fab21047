/**
 * Capture-time cleaning: the fields the apiserver and controllers fill in, which a
 * restore must not send back (identity, versions, timestamps, managed fields, status
 * kept behind a status subresource, allocated addresses, generated selectors), and
 * owner references to objects that are not in the backup. Fields whose handling
 * depends on the restore (a claim's bound volume, node ports) are kept here and
 * decided at restore time.
 */
import { groupOf, isRecord, type ApiResource, type KubeObject } from './types.ts';

const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
] as const;

/** Annotations controllers write that say nothing about the desired state. */
const SERVER_ANNOTATIONS = ['deployment.kubernetes.io/revision', 'endpoints.kubernetes.io/last-change-trigger-time'];

/** Labels the apiserver puts on a Job's pod template from the Job's uid and name (a renamed Job needs new ones). */
export const JOB_GENERATED_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid', 'job-name', 'batch.kubernetes.io/job-name'];

type KindCleaner = (obj: KubeObject) => void;

function specOf(obj: KubeObject): Record<string, unknown> | undefined {
  return isRecord(obj.spec) ? obj.spec : undefined;
}

function cleanService(obj: KubeObject): void {
  const spec = specOf(obj);
  if (spec === undefined || spec.clusterIP === 'None') return;
  delete spec.clusterIP;
  delete spec.clusterIPs;
}

function cleanPod(obj: KubeObject): void {
  const spec = specOf(obj);
  if (spec === undefined) return;
  delete spec.nodeName;
  delete spec.ephemeralContainers;
  if (spec.priorityClassName !== undefined) delete spec.priority;
  const injected = new Set<string>();
  if (Array.isArray(spec.volumes)) {
    spec.volumes = spec.volumes.filter((v: unknown) => {
      const name = isRecord(v) && typeof v.name === 'string' ? v.name : '';
      const generated = name.startsWith('kube-api-access-') && isRecord(v) && v.projected !== undefined;
      if (generated) injected.add(name);
      return !generated;
    });
  }
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (isRecord(c) && Array.isArray(c.volumeMounts)) c.volumeMounts = c.volumeMounts.filter((m: unknown) => !(isRecord(m) && injected.has(String(m.name))));
    }
  }
}

function cleanJob(obj: KubeObject): void {
  const spec = specOf(obj);
  if (spec === undefined || spec.manualSelector === true) return;
  delete spec.selector;
  const template = isRecord(spec.template) && isRecord(spec.template.metadata) ? spec.template.metadata : undefined;
  if (template === undefined || !isRecord(template.labels)) return;
  for (const label of JOB_GENERATED_LABELS) delete template.labels[label];
}

/** The claim a PV is bound to, by name: the uid and version are the old cluster's. */
function cleanVolume(obj: KubeObject): void {
  const claim = specOf(obj)?.claimRef;
  if (!isRecord(claim)) return;
  delete claim.uid;
  delete claim.resourceVersion;
}

const KIND_CLEANERS: Record<string, KindCleaner> = {
  '|Service': cleanService,
  '|PersistentVolume': cleanVolume,
  '|Pod': cleanPod,
  'batch|Job': cleanJob,
};

function cleanMetadata(obj: KubeObject, capturedUids: ReadonlySet<string>): void {
  const meta = obj.metadata;
  for (const field of SERVER_METADATA) delete meta[field];
  if (meta.annotations !== undefined) {
    for (const a of SERVER_ANNOTATIONS) delete meta.annotations[a];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  if (meta.ownerReferences !== undefined) {
    const kept = meta.ownerReferences.filter((o) => capturedUids.has(o.uid));
    if (kept.length === 0) delete meta.ownerReferences;
    else meta.ownerReferences = kept;
  }
}

/**
 * A copy of `obj` as it is stored in a backup. `capturedUids` are the uids of every
 * captured object: owner references to anything else are dropped.
 */
export function sanitizeForBackup(obj: KubeObject, resource: ApiResource, capturedUids: ReadonlySet<string>): KubeObject {
  const copy = structuredClone(obj);
  cleanMetadata(copy, capturedUids);
  if (resource.subresources.includes('status')) delete copy.status;
  KIND_CLEANERS[`${groupOf(copy.apiVersion)}|${copy.kind}`]?.(copy);
  return copy;
}
