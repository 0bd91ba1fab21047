/**
 * Where pod specs and pod templates live in an object: a Pod's spec, `spec.template`
 * (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and custom workloads of the
 * same shape), `template` (PodTemplate) and `spec.jobTemplate.spec.template` (CronJobs).
 */
import { isRecord, type KubeObject } from './types.ts';

type Json = Record<string, unknown>;

function at(node: unknown, ...path: string[]): Json | undefined {
  let current = node;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return isRecord(current) ? current : undefined;
}

/** The pod templates (`{ metadata, spec }`) of an object; a Pod counts as its own template. */
export function podTemplates(obj: KubeObject): Json[] {
  if (obj.kind === 'Pod' && obj.apiVersion === 'v1') return [obj as Json];
  const candidates = [at(obj, 'spec', 'template'), at(obj, 'template'), at(obj, 'spec', 'jobTemplate', 'spec', 'template')];
  return candidates.filter((t): t is Json => t !== undefined && isRecord(t.spec));
}

export function podSpecs(obj: KubeObject): Json[] {
  return podTemplates(obj).map((t) => t.spec as Json);
}

/** Every container of a pod spec: containers, init containers and ephemeral containers. */
export function containersOf(spec: Json): Json[] {
  return [spec.containers, spec.initContainers, spec.ephemeralContainers].flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : []));
}

export function volumesOf(spec: Json): Json[] {
  return Array.isArray(spec.volumes) ? spec.volumes.filter(isRecord) : [];
}

/** The PVC specs an object declares: volume claim templates and generic ephemeral volumes. */
export function claimTemplateSpecs(obj: KubeObject): Json[] {
  const spec = at(obj, 'spec');
  const templates = Array.isArray(spec?.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  const fromTemplates = templates.map((t) => at(t, 'spec')).filter((s): s is Json => s !== undefined);
  const ephemeral = podSpecs(obj).flatMap((ps) => volumesOf(ps).map((v) => at(v, 'ephemeral', 'volumeClaimTemplate', 'spec')));
  return [...fromTemplates, ...ephemeral.filter((s): s is Json => s !== undefined)];
}

export { at as jsonAt };
