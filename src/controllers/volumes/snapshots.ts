/**
 * CSI VolumeSnapshots (`snapshot.storage.k8s.io/v1`): which class a driver's snapshots
 * use, cutting one of a PVC, waiting until it is cut (its content bound, a creation time)
 * and until it is ready to use, and importing a snapshot by its storage handle as a
 * pre-provisioned VolumeSnapshotContent + VolumeSnapshot pair — how a mover reads a
 * snapshot from the operator namespace, and how another cluster restores it. Imported
 * contents are `Retain`: deleting them never deletes the storage snapshot, which belongs
 * to the snapshot they were imported from.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HoldfastError } from '../../core/errors.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';

const API_VERSION = 'snapshot.storage.k8s.io/v1';
const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';

export interface SnapshotJson extends JsonObject {
  status?: { boundVolumeSnapshotContentName?: string; creationTime?: string; readyToUse?: boolean; restoreSize?: string; error?: { message?: string } };
}

interface ContentJson extends JsonObject {
  status?: { snapshotHandle?: string; readyToUse?: boolean; error?: { message?: string } };
}

interface ClassJson extends JsonObject {
  driver?: string;
}

/** The class for a driver's snapshots: the one named (it must be the driver's), else the driver's default. */
export async function snapshotClassFor(cluster: VolumeCluster, driver: string, named: string | undefined): Promise<string> {
  if (named !== undefined) {
    const cls = await cluster.get<ClassJson>(PATHS.snapshotClasses(), named);
    if (cls === undefined) throw new HoldfastError('CONFIG_INVALID', `VolumeSnapshotClass ${named} does not exist`);
    if (cls.driver !== driver) throw new HoldfastError('CONFIG_INVALID', `VolumeSnapshotClass ${named} is for driver ${cls.driver ?? '(none)'}, not ${driver}`);
    return named;
  }
  const classes = (await cluster.list<ClassJson>(PATHS.snapshotClasses())).filter((c) => c.driver === driver);
  const chosen = classes.find((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') ?? (classes.length === 1 ? classes[0] : undefined);
  if (chosen?.metadata?.name === undefined) {
    throw new HoldfastError('CONFIG_INVALID', `no default VolumeSnapshotClass for CSI driver ${driver}: set spec.volumes.volumeSnapshotClassName or mark a class with ${DEFAULT_CLASS_ANNOTATION}`);
  }
  return chosen.metadata.name;
}

export function snapshotOfClaim(o: { namespace: string; name: string; claim: string; className: string; labels: Record<string, string> }): JsonObject {
  return {
    apiVersion: API_VERSION,
    kind: 'VolumeSnapshot',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { volumeSnapshotClassName: o.className, source: { persistentVolumeClaimName: o.claim } },
  };
}

export interface Import {
  readonly name: string;
  readonly namespace: string;
  readonly driver: string;
  readonly snapshotHandle: string;
  readonly className: string | undefined;
  readonly labels: Record<string, string>;
}

/** A pre-provisioned content (cluster-scoped, named after the snapshot's namespace and name) and its VolumeSnapshot. */
export async function importSnapshot(cluster: VolumeCluster, o: Import): Promise<void> {
  const content = contentName(o.namespace, o.name);
  await cluster.create(PATHS.contents(), {
    apiVersion: API_VERSION,
    kind: 'VolumeSnapshotContent',
    metadata: { name: content, labels: o.labels },
    spec: {
      deletionPolicy: 'Retain',
      driver: o.driver,
      source: { snapshotHandle: o.snapshotHandle },
      ...(o.className ? { volumeSnapshotClassName: o.className } : {}),
      volumeSnapshotRef: { apiVersion: API_VERSION, kind: 'VolumeSnapshot', namespace: o.namespace, name: o.name },
    },
  });
  await cluster.create(PATHS.snapshots(o.namespace), {
    apiVersion: API_VERSION,
    kind: 'VolumeSnapshot',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { source: { volumeSnapshotContentName: content } },
  });
}

export function contentName(namespace: string, snapshot: string): string {
  const name = `holdfast-${namespace}-${snapshot}`;
  return name.length <= 253 ? name : name.slice(0, 253);
}

/** Deletes an imported snapshot and its content object (Retain: the storage snapshot stays). */
export async function removeImport(cluster: VolumeCluster, namespace: string, name: string): Promise<void> {
  await cluster.remove(PATHS.snapshots(namespace), name);
  await cluster.remove(PATHS.contents(), contentName(namespace, name));
}

export interface SnapshotFacts {
  readonly contentName: string;
  readonly snapshotHandle: string | undefined;
  readonly restoreSize: string | undefined;
}

/**
 * Polls a VolumeSnapshot until `until` (cut: bound to a content with a creation time;
 * ready: readyToUse) or the deadline; an error the snapshot reports fails at once.
 */
export async function waitForSnapshot(cluster: VolumeCluster, o: { namespace: string; name: string; until: 'cut' | 'ready'; deadline: number; signal: AbortSignal }): Promise<SnapshotFacts> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    o.signal.throwIfAborted();
    const snap = await cluster.get<SnapshotJson>(PATHS.snapshots(o.namespace), o.name);
    if (snap === undefined) throw new HoldfastError('OBJECT_NOT_FOUND', `VolumeSnapshot ${o.namespace}/${o.name} disappeared`);
    const st = snap.status ?? {};
    if (st.error?.message) throw new HoldfastError('COMMAND_FAILED', `VolumeSnapshot ${o.namespace}/${o.name}: ${st.error.message}`);
    if (st.boundVolumeSnapshotContentName !== undefined && reached(st, o.until)) {
      const content = await cluster.get<ContentJson>(PATHS.contents(), st.boundVolumeSnapshotContentName);
      return { contentName: st.boundVolumeSnapshotContentName, snapshotHandle: content?.status?.snapshotHandle, restoreSize: st.restoreSize };
    }
    if (Date.now() > o.deadline) throw new HoldfastError('TIMEOUT', `VolumeSnapshot ${o.namespace}/${o.name} was not ${o.until === 'cut' ? 'cut' : 'ready to use'} in time`);
    await sleep(delay, undefined, { signal: o.signal });
  }
}

function reached(st: NonNullable<SnapshotJson['status']>, until: 'cut' | 'ready'): boolean {
  return until === 'cut' ? st.creationTime !== undefined || st.readyToUse === true : st.readyToUse === true;
}
