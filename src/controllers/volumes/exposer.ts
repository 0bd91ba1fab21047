/**
 * The exposer (Velero's word): the Kubernetes objects that put a volume's data within a
 * mover pod's reach in the operator namespace, and take them away.
 *
 * Backup: the snapshot is imported there by its handle (pre-provisioned content, Retain)
 * and a temporary PVC is restored from it. Restore from the repository: a temporary PVC
 * shaped like the target is filled there, then its PV is handed to the target PVC — the
 * PV is kept (Retain) while the temporary claim goes, its claimRef is pointed at the
 * target, which binds it through its selector, and the reclaim policy is put back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HoldfastError } from '../../core/errors.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';
import type { ClaimJson } from './plan.ts';
import { importSnapshot, waitForSnapshot } from './snapshots.ts';

/** On a PV being handed to a restored PVC, and in that PVC's selector: which one it is. */
export const HANDOVER_LABEL = 'holdfast.dev/restore-volume';
const RECLAIM_ANNOTATION = 'holdfast.dev/reclaim-policy';

export interface ClaimShape {
  readonly storageClassName: string | undefined;
  readonly volumeMode: string | undefined;
  readonly size: string;
}

interface Place {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly signal: AbortSignal;
  readonly deadline: number;
}

function claimBody(place: Place, shape: ClaimShape, extra: Record<string, unknown>): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: place.name, namespace: place.namespace, labels: place.labels },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(shape.storageClassName !== undefined ? { storageClassName: shape.storageClassName } : {}),
      ...(shape.volumeMode !== undefined ? { volumeMode: shape.volumeMode } : {}),
      resources: { requests: { storage: shape.size } },
      ...extra,
    },
  };
}

/** Backup: a temporary PVC in `place` restored from the snapshot with `snapshotHandle`. */
export async function exposeSnapshot(cluster: VolumeCluster, place: Place, o: { driver: string; snapshotHandle: string; className: string | undefined; shape: ClaimShape }): Promise<void> {
  await importSnapshot(cluster, { name: place.name, namespace: place.namespace, driver: o.driver, snapshotHandle: o.snapshotHandle, className: o.className, labels: place.labels });
  const facts = await waitForSnapshot(cluster, { namespace: place.namespace, name: place.name, until: 'ready', deadline: place.deadline, signal: place.signal });
  const shape = { ...o.shape, size: facts.restoreSize ?? o.shape.size };
  await cluster.create(PATHS.claims(place.namespace), claimBody(place, shape, { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: place.name } }));
}

/** Restore: an empty temporary PVC in `place` shaped like the target; resolves with its PV once bound. */
export async function emptyClaim(cluster: VolumeCluster, place: Place, shape: ClaimShape): Promise<string> {
  await cluster.create(PATHS.claims(place.namespace), claimBody(place, shape, {}));
  return waitBound(cluster, place.namespace, place.name, place);
}

export async function waitBound(cluster: VolumeCluster, namespace: string, name: string, o: { deadline: number; signal: AbortSignal }): Promise<string> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    o.signal.throwIfAborted();
    const claim = await cluster.get<ClaimJson>(PATHS.claims(namespace), name);
    if (claim === undefined) throw new HoldfastError('OBJECT_NOT_FOUND', `PVC ${namespace}/${name} disappeared`);
    if (claim.status?.phase === 'Bound' && claim.spec?.volumeName) return claim.spec.volumeName;
    if (Date.now() > o.deadline) throw new HoldfastError('TIMEOUT', `PVC ${namespace}/${name} did not bind in time (phase ${claim.status?.phase ?? 'Pending'})`);
    await sleep(delay, undefined, { signal: o.signal });
  }
}

interface PvJson extends JsonObject {
  spec?: { persistentVolumeReclaimPolicy?: string; claimRef?: { namespace?: string; name?: string; uid?: string } };
  status?: { phase?: string };
}

/**
 * Hands the filled PV of the temporary claim to the target claim (which selects
 * `HANDOVER_LABEL=key`). Idempotent: a PV already pointed at the target is only waited for.
 */
export async function handOver(cluster: VolumeCluster, o: { pv: string; temp: { namespace: string; name: string }; target: { namespace: string; name: string }; key: string; deadline: number; signal: AbortSignal }): Promise<void> {
  const pv = await cluster.get<PvJson>(PATHS.volumes(), o.pv);
  if (pv === undefined) throw new HoldfastError('OBJECT_NOT_FOUND', `PV ${o.pv} disappeared before it was handed to PVC ${o.target.namespace}/${o.target.name}`);
  const ref = pv.spec?.claimRef;
  if (ref?.namespace !== o.target.namespace || ref.name !== o.target.name) {
    const policy = pv.metadata?.annotations?.[RECLAIM_ANNOTATION] ?? pv.spec?.persistentVolumeReclaimPolicy ?? 'Delete';
    await cluster.mergePatch(PATHS.volumes(), o.pv, { metadata: { labels: { [HANDOVER_LABEL]: o.key }, annotations: { [RECLAIM_ANNOTATION]: policy } }, spec: { persistentVolumeReclaimPolicy: 'Retain' } });
    await cluster.remove(PATHS.jobs(o.temp.namespace), o.temp.name);
    await cluster.remove(PATHS.claims(o.temp.namespace), o.temp.name);
    await waitGone(cluster, PATHS.claims(o.temp.namespace), o.temp.name, o);
    await cluster.mergePatch(PATHS.volumes(), o.pv, { spec: { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: o.target.namespace, name: o.target.name, uid: null, resourceVersion: null } } });
  }
  await waitBound(cluster, o.target.namespace, o.target.name, o);
  const current = await cluster.get<PvJson>(PATHS.volumes(), o.pv);
  const policy = current?.metadata?.annotations?.[RECLAIM_ANNOTATION];
  if (policy !== undefined) await cluster.mergePatch(PATHS.volumes(), o.pv, { metadata: { annotations: { [RECLAIM_ANNOTATION]: null } }, spec: { persistentVolumeReclaimPolicy: policy } });
}

async function waitGone(cluster: VolumeCluster, collection: string, name: string, o: { deadline: number; signal: AbortSignal }): Promise<void> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    o.signal.throwIfAborted();
    if ((await cluster.get(collection, name)) === undefined) return;
    if (Date.now() > o.deadline) throw new HoldfastError('TIMEOUT', `${collection}/${name} was not deleted in time`);
    await sleep(delay, undefined, { signal: o.signal });
  }
}
