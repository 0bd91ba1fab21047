/**
 * The body of an update (existing-resource policy `update`): the backup's object over
 * the live one, keeping what the cluster allocated or generated and the backup no longer
 * carries — the resourceVersion, finalizers, a claim's bound volume and bind
 * annotations, a Service's cluster IPs and node ports, a Job's generated selector, a
 * PV's binding to the same claim.
 */
import { JOB_GENERATED_LABELS } from './sanitize.ts';
import { BIND_ANNOTATIONS } from './restore-prepare.ts';
import { groupOf, isRecord, type KubeObject } from './types.ts';

type Json = Record<string, unknown>;

function specs(desired: KubeObject, live: KubeObject): [Json, Json] | undefined {
  return isRecord(desired.spec) && isRecord(live.spec) ? [desired.spec, live.spec] : undefined;
}

function keepClaimBinding(desired: KubeObject, live: KubeObject): void {
  const pair = specs(desired, live);
  if (pair !== undefined && pair[0].volumeName === undefined && pair[1].volumeName !== undefined) pair[0].volumeName = pair[1].volumeName;
}

function portKey(port: unknown): string {
  return isRecord(port) ? `${String(port.protocol ?? 'TCP')}/${String(port.port)}` : '';
}

function keepServiceAllocations(desired: KubeObject, live: KubeObject): void {
  const pair = specs(desired, live);
  if (pair === undefined) return;
  const [want, have] = pair;
  for (const field of ['clusterIP', 'clusterIPs', 'healthCheckNodePort']) if (want[field] === undefined && have[field] !== undefined) want[field] = have[field];
  const livePorts = new Map((Array.isArray(have.ports) ? have.ports : []).map((p) => [portKey(p), p]));
  for (const port of Array.isArray(want.ports) ? want.ports : []) {
    const match = livePorts.get(portKey(port));
    if (isRecord(port) && port.nodePort === undefined && isRecord(match) && match.nodePort !== undefined) port.nodePort = match.nodePort;
  }
}

function keepJobSelector(desired: KubeObject, live: KubeObject): void {
  const pair = specs(desired, live);
  if (pair === undefined) return;
  const [want, have] = pair;
  if (want.selector === undefined) want.selector = have.selector;
  const liveLabels = isRecord(have.template) && isRecord(have.template.metadata) ? have.template.metadata.labels : undefined;
  if (!isRecord(want.template) || !isRecord(liveLabels)) return;
  const meta = isRecord(want.template.metadata) ? want.template.metadata : (want.template.metadata = {});
  const labels: Json = isRecord(meta.labels) ? meta.labels : (meta.labels = {});
  for (const label of JOB_GENERATED_LABELS) if (liveLabels[label] !== undefined && labels[label] === undefined) labels[label] = liveLabels[label];
}

function keepVolumeBinding(desired: KubeObject, live: KubeObject): void {
  const pair = specs(desired, live);
  const want = pair !== undefined && isRecord(pair[0].claimRef) ? pair[0].claimRef : undefined;
  const have = pair !== undefined && isRecord(pair[1].claimRef) ? pair[1].claimRef : undefined;
  if (want !== undefined && have !== undefined && want.namespace === have.namespace && want.name === have.name && pair) pair[0].claimRef = have;
}

const BY_KIND: Record<string, (desired: KubeObject, live: KubeObject) => void> = {
  '|PersistentVolumeClaim': keepClaimBinding,
  '|Service': keepServiceAllocations,
  'batch|Job': keepJobSelector,
  '|PersistentVolume': keepVolumeBinding,
};

/** The object to PUT over `live` so that it matches `desired`. */
export function mergeForUpdate(desired: KubeObject, live: KubeObject): KubeObject {
  const out = structuredClone(desired);
  const meta = out.metadata;
  meta.resourceVersion = live.metadata.resourceVersion;
  const finalizers = [...new Set([...(meta.finalizers ?? []), ...(live.metadata.finalizers ?? [])])];
  if (finalizers.length > 0) meta.finalizers = finalizers;
  const liveAnnotations = live.metadata.annotations ?? {};
  for (const a of BIND_ANNOTATIONS) {
    const value = liveAnnotations[a];
    if (value !== undefined) meta.annotations = { ...(meta.annotations ?? {}), [a]: value };
  }
  BY_KIND[`${groupOf(out.apiVersion)}|${out.kind}`]?.(out, live);
  return out;
}
