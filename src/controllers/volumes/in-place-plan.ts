/**
 * What an in-place restore works on, found before anything changes: each PVC of the
 * restore that the backup holds in the repository, which must exist and be bound (its
 * result keeps what an earlier run recorded, such as the safety copy); and the owners to
 * scale down — the workloads in the cluster that mount those PVCs, and the ones among the
 * objects about to be applied (created with zero replicas, scaled up afterwards).
 */
import { HoldfastError } from '../../core/errors.ts';
import { ANNOTATIONS } from '../../k8s/api/group.ts';
import type { RestoreStatus, RestoreVolumeResult } from '../../k8s/api/restore.ts';
import { NameMap } from '../../k8s/resources/naming.ts';
import { selectForRestore } from '../../k8s/resources/restore-selection.ts';
import { isRecord, type KubeObject } from '../../k8s/resources/types.ts';
import type { RestoreRunContext } from '../restore/stages.ts';
import { PATHS, type VolumeCluster } from './cluster.ts';
import { mountsAny, scaleDown, waitUnmounted, WORKLOAD_KINDS, workloadsMounting, type ScaledWorkload } from './in-place-workloads.ts';
import type { ClaimJson } from './plan.ts';

export interface InPlaceTarget {
  readonly result: RestoreVolumeResult;
}

type Scaled = NonNullable<RestoreStatus['scaledWorkloads']>;

function sameVolume(a: { namespace: string; claimName: string }, b: { namespace: string; claimName: string }): boolean {
  return a.namespace === b.namespace && a.claimName === b.claimName;
}

/** The PVCs to refill; their objects are taken out of `ctx.objects` (the PVCs stay as they are). Throws before anything changes. */
export async function planInPlace(cluster: VolumeCluster, ctx: RestoreRunContext): Promise<InPlaceTarget[]> {
  const recorded = ctx.record?.volumes ?? [];
  const selected = selectForRestore(ctx.objects, ctx.spec.selection);
  const names = new NameMap(selected, ctx.spec);
  const targets: InPlaceTarget[] = [];
  const taken = new Set<KubeObject>();
  for (const obj of selected) {
    if (obj.kind !== 'PersistentVolumeClaim' || obj.apiVersion !== 'v1') continue;
    const volume = recorded.find((v) => v.namespace === obj.metadata.namespace && v.claimName === obj.metadata.name);
    if (volume === undefined) continue;
    const place = names.placement(obj);
    const where = { namespace: place.namespace ?? '', claimName: place.name };
    if (volume.snapshotId === undefined) {
      throw new HoldfastError('CONFIG_INVALID', `in-place restore of PVC ${where.namespace}/${where.claimName} needs the volume's data in the repository, but the backup holds only a CSI snapshot of it (back up with method snapshot+move, or restore with mode new)`);
    }
    await checkClaim(cluster, where.namespace, where.claimName);
    const before = (ctx.status.volumes ?? []).find((v) => sameVolume(v, where));
    const fresh: RestoreVolumeResult = { ...where, phase: 'Pending', from: 'repository', snapshotId: volume.snapshotId, ...(volume.bytesTotal !== undefined ? { bytesTotal: volume.bytesTotal } : {}) };
    targets.push({ result: before?.safetySnapshotId !== undefined ? { ...fresh, ...before } : fresh });
    taken.add(obj);
  }
  ctx.objects = ctx.objects.filter((o) => !taken.has(o));
  return targets;
}

async function checkClaim(cluster: VolumeCluster, namespace: string, name: string): Promise<void> {
  const claim = await cluster.get<ClaimJson>(PATHS.claims(namespace), name);
  if (claim === undefined || claim.metadata?.deletionTimestamp) {
    throw new HoldfastError('CONFIG_INVALID', `in-place restore: PVC ${namespace}/${name} does not exist; restore it with spec.volumes.mode new`);
  }
  if (claim.status?.phase !== 'Bound') throw new HoldfastError('CONFIG_INVALID', `in-place restore: PVC ${namespace}/${name} is not bound (phase ${claim.status?.phase ?? 'unknown'})`);
}

function claimsByNamespace(targets: readonly InPlaceTarget[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const { result } of targets) {
    const set = out.get(result.namespace) ?? new Set<string>();
    set.add(result.claimName);
    out.set(result.namespace, set);
  }
  return out;
}

function remember(scaled: Scaled, w: ScaledWorkload): void {
  if (!scaled.some((s) => s.kind === w.kind && s.namespace === w.namespace && s.name === w.name)) scaled.push(w);
}

/**
 * Scales the owners of the target PVCs to zero (recording their replicas), sets zero
 * replicas on the owners among the objects to apply, and waits until no pod mounts the PVCs.
 */
export async function scaleDownOwners(cluster: VolumeCluster, ctx: RestoreRunContext, targets: readonly InPlaceTarget[], save: () => Promise<void>): Promise<void> {
  const claims = claimsByNamespace(targets);
  const scaled: Scaled = [...(ctx.status.scaledWorkloads ?? [])];
  ctx.status.scaledWorkloads = scaled;
  for (const [namespace, set] of claims) {
    for (const w of await workloadsMounting(cluster, namespace, set)) {
      const known = scaled.find((s) => s.kind === w.kind && s.namespace === namespace && s.name === w.name);
      const replicas = await scaleDown(cluster, { kind: w.kind, namespace, name: w.name });
      if (replicas !== undefined) remember(scaled, known ?? { kind: w.kind, namespace, name: w.name, replicas });
      await save();
    }
  }
  holdObjectsDown(ctx, claims, scaled);
  await save();
  const deadline = Date.now() + (ctx.spec.volumes?.scaleDownTimeoutSeconds ?? 600) * 1000;
  for (const [namespace, set] of claims) await waitUnmounted(cluster, namespace, set, { deadline, signal: ctx.signal });
}

/** Owners among the objects to apply keep zero replicas (and the annotation) until `after` scales them up. */
function holdObjectsDown(ctx: RestoreRunContext, claims: ReadonlyMap<string, ReadonlySet<string>>, scaled: Scaled): void {
  const names = new NameMap(ctx.objects, ctx.spec);
  for (const obj of ctx.objects) {
    if (!(WORKLOAD_KINDS as readonly string[]).includes(obj.kind) || obj.apiVersion !== 'apps/v1' || !isRecord(obj.spec)) continue;
    const place = names.placement(obj);
    const namespace = place.namespace ?? '';
    const set = claims.get(namespace);
    if (set === undefined || !mountsAny(obj.kind, { metadata: { name: place.name }, spec: placedSpec(obj, names) }, set)) continue;
    const known = scaled.find((s) => s.kind === obj.kind && s.namespace === namespace && s.name === place.name);
    const replicas = known?.replicas ?? (typeof obj.spec.replicas === 'number' ? obj.spec.replicas : 1);
    remember(scaled, { kind: obj.kind, namespace, name: place.name, replicas });
    obj.spec.replicas = 0;
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [ANNOTATIONS.replicasBeforeScaleDown]: String(replicas) };
  }
}

/** The spec with its claim names as they will be after the restore's renames. */
function placedSpec(obj: KubeObject, names: NameMap): unknown {
  const spec = structuredClone(obj.spec);
  const template = isRecord(spec) && isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : undefined;
  for (const v of Array.isArray(template?.volumes) ? template.volumes : []) {
    if (!isRecord(v) || !isRecord(v.persistentVolumeClaim) || typeof v.persistentVolumeClaim.claimName !== 'string') continue;
    const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: v.persistentVolumeClaim.claimName, namespace: obj.metadata.namespace } };
    v.persistentVolumeClaim.claimName = names.placement(ref as KubeObject).name;
  }
  return spec;
}
