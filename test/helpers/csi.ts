/**
 * CSI storage for a test control plane (test/helpers/control-plane.ts): the real
 * csi-provisioner, csi-snapshotter sidecar and snapshot-controller of kubernetes-csi,
 * driving the test's host-path CSI driver (test/helpers/csi/hostpath-driver) over a unix
 * socket, plus the snapshot CRDs, a CSIDriver, the StorageClass `csi-hostpath` and a default
 * VolumeSnapshotClass. PVCs of that class bind to volumes that are directories under
 * `stateDir`, VolumeSnapshots are tar archives of them, and PVCs restored from a snapshot
 * start with its files. A PVC with `volumeMode: Block` binds to a sparse image file of its
 * capacity (`volumes/<id>.img`), and its snapshots are sparse copies of the image. With `groupSnapshots: true` the driver also serves the CSI group
 * controller, the sidecars run with the `CSIVolumeGroupSnapshot` feature gate and a default
 * VolumeGroupSnapshotClass exists, so VolumeGroupSnapshots are cut across several PVCs.
 * Nothing is ever mounted: there is no kubelet (see docs/test-environment.md). Binaries
 * come from scripts/install-csi.sh.
 *
 * Stop it before the control plane: its folder lives inside the control plane's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';
import { applySnapshotCrds, createStorageObjects } from './csi/cluster-objects.ts';
import type { CsiClassNames } from './csi/cluster-objects.ts';
import { startServerProcess, waitFor } from './kube/server-process.ts';
import type { ServerProcess } from './kube/server-process.ts';

export { SNAPSHOT_GROUP } from './csi/cluster-objects.ts';

export interface CsiOptions {
  /** Defaults to `hostpath.csi.k8s.io`. */
  readonly driverName?: string;
  /** Defaults to `csi-hostpath`. */
  readonly storageClassName?: string;
  /** Defaults to `csi-hostpath-snapclass`, the default class of the cluster. */
  readonly snapshotClassName?: string;
  /**
   * The driver's state folder; default `<control plane dir>/csi/state`. Give another
   * cluster's `stateDir` to put both clusters on one storage system (two clusters on one
   * storage array): each sees the other's snapshots, so a snapshot handle recorded in one
   * imports into the other. The folder then belongs to the first cluster: stop the second
   * one's CSI pieces first.
   */
  readonly stateDir?: string;
  /**
   * VolumeGroupSnapshots: the driver's group controller, the sidecars' `CSIVolumeGroupSnapshot`
   * feature gate and a default VolumeGroupSnapshotClass (`groupSnapshotClassName`). Off by
   * default: a cluster then has the group-snapshot CRDs but nothing that cuts them.
   */
  readonly groupSnapshots?: boolean;
  /** Defaults to `csi-hostpath-groupsnapclass`; only with `groupSnapshots`. */
  readonly groupSnapshotClassName?: string;
}

export interface CsiHostPath extends CsiClassNames {
  /** The default VolumeGroupSnapshotClass, when started with `groupSnapshots`. */
  readonly groupSnapshotClassName: string | undefined;
  /** The driver's state: `volumes/<volume id>/` holds each volume's files. */
  readonly stateDir: string;
  /** The unix socket the driver serves and the sidecars dial. */
  readonly socket: string;
  /** The node name the driver reports; no Node object of that name exists. */
  readonly nodeId: string;
  /** The folder of a volume's files, from its PV's `spec.csi.volumeHandle`. */
  volumeDir(volumeHandle: string): string;
  /** The folder of a bound PVC's volume. */
  claimDir(namespace: string, claim: string): Promise<string>;
  /** The image file of a block volume (`volumeMode: Block`), from its PV's `spec.csi.volumeHandle`. */
  volumeImage(volumeHandle: string): string;
  /** The image file of a bound Block PVC's volume. */
  claimImage(namespace: string, claim: string): Promise<string>;
  /** The last lines of every process's log, to print when a test fails. */
  logs(lines?: number): string;
  /** Kills the processes; safe to call twice. */
  stop(): Promise<void>;
}

let installDir: string | undefined;

function csiInstallDir(): string {
  installDir ??= process.env.HOLDFAST_CSI_DIR
    ?? execFileSync(fileURLToPath(new URL('../../scripts/install-csi.sh', import.meta.url)), ['--print-dir'], { encoding: 'utf8' }).trim();
  return installDir;
}

function csiBinary(name: string): string {
  const path = join(csiInstallDir(), 'bin', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/install-csi.sh`);
  return path;
}

interface Layout {
  readonly dir: string;
  readonly stateDir: string;
  readonly socket: string;
  readonly nodeId: string;
}

async function startDriver(layout: Layout, driverName: string, groupSnapshots: boolean): Promise<ServerProcess> {
  await mkdir(layout.stateDir, { recursive: true });
  await mkdir(layout.dir, { recursive: true });
  const driver = startServerProcess('holdfast-hostpath', csiBinary('holdfast-hostpath'), [
    `--endpoint=unix://${layout.socket}`,
    `--nodeid=${layout.nodeId}`,
    `--drivername=${driverName}`,
    `--statedir=${layout.stateDir}`,
    ...(groupSnapshots ? ['--group-snapshots'] : []),
  ], join(layout.dir, 'holdfast-hostpath.log'));
  await waitFor('the CSI driver socket', async () => (existsSync(layout.socket) ? true : undefined), { timeoutMs: 30_000, processes: [driver] });
  return driver;
}

/**
 * The sidecars run as the cluster admin (no RBAC objects for them) and without leader
 * election; `--extra-create-metadata` hands the PVC's and snapshot's names to the driver,
 * which keeps them in its metadata files for debugging. `CSIVolumeGroupSnapshot` is a beta
 * gate, off by default, of the csi-snapshotter sidecar and the snapshot-controller (the
 * provisioner does not know it and refuses to start with it).
 */
function startSidecars(plane: ControlPlane, layout: Layout, groupSnapshots: boolean): ServerProcess[] {
  const gates = groupSnapshots ? ['--feature-gates=CSIVolumeGroupSnapshot=true'] : [];
  const common = [`--kubeconfig=${plane.kubeconfigPath}`, '--leader-election=false', '--v=4'];
  const sidecar = [...common, `--csi-address=${layout.socket}`, '--extra-create-metadata', '--timeout=30s', '--retry-interval-max=5s'];
  const log = (name: string): string => join(layout.dir, `${name}.log`);
  return [
    startServerProcess('csi-provisioner', csiBinary('csi-provisioner'), sidecar, log('csi-provisioner')),
    startServerProcess('csi-snapshotter', csiBinary('csi-snapshotter'), [...sidecar, ...gates], log('csi-snapshotter')),
    startServerProcess('snapshot-controller', csiBinary('snapshot-controller'), [...common, '--retry-interval-max=5s', ...gates], log('snapshot-controller')),
  ];
}

export async function startCsi(plane: ControlPlane, opts: CsiOptions = {}): Promise<CsiHostPath> {
  const groups = opts.groupSnapshots ?? false;
  const names: CsiClassNames = {
    driverName: opts.driverName ?? 'hostpath.csi.k8s.io',
    storageClassName: opts.storageClassName ?? 'csi-hostpath',
    snapshotClassName: opts.snapshotClassName ?? 'csi-hostpath-snapclass',
    groupSnapshotClassName: groups ? (opts.groupSnapshotClassName ?? 'csi-hostpath-groupsnapclass') : undefined,
  };
  const dir = join(plane.dir, 'csi');
  const layout: Layout = { dir, stateDir: opts.stateDir ?? join(dir, 'state'), socket: join(dir, 'csi.sock'), nodeId: `holdfast-${plane.name}-node` };
  const processes: ServerProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopped ??= (async () => {
      for (const p of [...processes].reverse()) await p.kill();
    })();
    return stopped;
  };
  const logs = (lines = 40): string => processes.map((p) => `--- ${p.name} (${p.logPath})\n${p.logTail(lines)}`).join('\n');
  try {
    const kc = plane.kubeConfig();
    processes.push(await startDriver(layout, names.driverName, groups));
    // The sidecars' informers need the snapshot kinds to exist when they start.
    await applySnapshotCrds(kc, join(csiInstallDir(), 'crd'), processes);
    await createStorageObjects(kc, names);
    processes.push(...startSidecars(plane, layout, groups));
  } catch (err) {
    const detail = logs(15);
    await stop();
    throw new Error(`starting the CSI pieces of control plane ${plane.name} failed\n${detail}`, { cause: err });
  }
  const volumeDir = (volumeHandle: string): string => join(layout.stateDir, 'volumes', volumeHandle);
  const volumeImage = (volumeHandle: string): string => join(layout.stateDir, 'volumes', `${volumeHandle}.img`);
  const claimHandle = async (namespace: string, claim: string): Promise<string> => {
    const core = plane.kubeConfig().makeApiClient(CoreV1Api);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace, name: claim });
    const pvName = pvc.spec?.volumeName;
    if (!pvName) throw new Error(`PVC ${namespace}/${claim} is not bound`);
    const handle = (await core.readPersistentVolume({ name: pvName })).spec?.csi?.volumeHandle;
    if (!handle) throw new Error(`PV ${pvName} is not a CSI volume`);
    return handle;
  };
  const claimDir = async (namespace: string, claim: string): Promise<string> => volumeDir(await claimHandle(namespace, claim));
  const claimImage = async (namespace: string, claim: string): Promise<string> => volumeImage(await claimHandle(namespace, claim));
  return { ...names, stateDir: layout.stateDir, socket: layout.socket, nodeId: layout.nodeId, volumeDir, claimDir, volumeImage, claimImage, logs, stop };
}
