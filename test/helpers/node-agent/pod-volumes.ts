/**
 * A pod's volumes as host folders, and each container's bind mounts of them. A
 * `persistentVolumeClaim` (or a generic `ephemeral` volume, whose claim the
 * controller-manager makes) is its bound PV's folder: a CSI volume of the test driver
 * (`csi.volumeDir(volumeHandle)`, in place of NodeStage/NodePublish), or a `hostPath` /
 * `local` PV's path. A claim of `volumeMode: Block` is its volume's image file
 * (`csi.volumeImage`), which a container's `volumeDevices` entry bind-mounts at its
 * `devicePath`: a regular file stands in for the device node (no loop devices, so the agent
 * needs nothing beyond bind mounts); programs that only read and write it, seek in it and
 * stat its size cannot tell, while ioctls such as BLKGETSIZE64 fail on it. A Block claim in
 * `volumeMounts`, or a Filesystem one in `volumeDevices`, fails the pod as the kubelet
 * would. An unbound, missing or terminating claim keeps the pod waiting, as the
 * kubelet's volume manager does. `emptyDir` is a folder of the pod; `hostPath` the path
 * itself; file-filled kinds are written by volume-files.ts and mounted read-only, as the
 * kubelet mounts them. Any other kind fails the pod with a message naming it.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { CoreV1Api, V1Container, V1PersistentVolume, V1Volume } from '@kubernetes/client-node';
import type { MountSpec } from './container-process.ts';
import { expand } from './container-env.ts';
import { NodeAgentError, isNotFound } from './errors.ts';
import { volumeFiles, writeVolumeFiles } from './volume-files.ts';
import type { FileVolumeContext } from './volume-files.ts';

/** The part of test/helpers/csi.ts the agent uses. */
export interface CsiVolumes {
  readonly driverName: string;
  volumeDir(volumeHandle: string): string;
  volumeImage(volumeHandle: string): string;
}

export interface PreparedVolume {
  readonly hostPath: string;
  readonly readOnly: boolean;
  /** A Block claim: `hostPath` is the image file that stands in for the device. */
  readonly block?: boolean;
}

export interface VolumeContext extends FileVolumeContext {
  readonly core: CoreV1Api;
  readonly csi: CsiVolumes | undefined;
  /** The pod's own folder on the node. */
  readonly podDir: string;
}

function waiting(message: string): NodeAgentError {
  return new NodeAgentError('WAITING', message);
}

function pvPath(pv: V1PersistentVolume, csi: CsiVolumes | undefined, block: boolean): string {
  const name = pv.metadata?.name ?? '';
  const source = pv.spec;
  if (source?.csi) {
    if (csi === undefined) throw new NodeAgentError('UNSUPPORTED_POD', `PV ${name} is a CSI volume (driver ${source.csi.driver}) but the node agent was started without opts.csi`);
    if (source.csi.driver !== csi.driverName) throw new NodeAgentError('UNSUPPORTED_POD', `PV ${name} belongs to CSI driver ${source.csi.driver}, not the test driver ${csi.driverName}`);
    return block ? csi.volumeImage(source.csi.volumeHandle) : csi.volumeDir(source.csi.volumeHandle);
  }
  const path = source?.hostPath?.path ?? source?.local?.path;
  if (path === undefined) throw new NodeAgentError('UNSUPPORTED_POD', `PV ${name}: the node agent mounts CSI volumes of the test driver, hostPath and local PVs only`);
  return path;
}

async function claimVolume(namespace: string, claim: string, ctx: VolumeContext, readOnly: boolean): Promise<PreparedVolume> {
  let pvc;
  try {
    pvc = await ctx.core.readNamespacedPersistentVolumeClaim({ namespace, name: claim });
  } catch (err) {
    if (isNotFound(err)) throw waiting(`persistentvolumeclaim "${claim}" not found`);
    throw err;
  }
  if (pvc.metadata?.deletionTimestamp) throw waiting(`persistentvolumeclaim "${claim}" is being deleted`);
  const block = pvc.spec?.volumeMode === 'Block';
  const pvName = pvc.spec?.volumeName;
  if (pvc.status?.phase !== 'Bound' || !pvName) throw waiting(`persistentvolumeclaim "${claim}" is not bound`);
  const hostPath = pvPath(await ctx.core.readPersistentVolume({ name: pvName }), ctx.csi, block);
  return { hostPath, readOnly, ...(block ? { block } : {}) };
}

async function hostPathVolume(volume: V1Volume): Promise<string> {
  const source = volume.hostPath;
  const path = source?.path ?? '';
  if (source?.type === 'DirectoryOrCreate') await mkdir(path, { recursive: true });
  if (source?.type === 'FileOrCreate') await writeFile(path, '', { flag: 'a' });
  return path;
}

async function prepareVolume(volume: V1Volume, ctx: VolumeContext): Promise<PreparedVolume> {
  const namespace = ctx.pod.metadata?.namespace ?? '';
  if (volume.persistentVolumeClaim) {
    return claimVolume(namespace, volume.persistentVolumeClaim.claimName, ctx, volume.persistentVolumeClaim.readOnly ?? false);
  }
  if (volume.ephemeral) return claimVolume(namespace, `${ctx.pod.metadata?.name ?? ''}-${volume.name}`, ctx, false);
  if (volume.hostPath) return { hostPath: await hostPathVolume(volume), readOnly: false };
  const dir = join(ctx.podDir, 'volumes', volume.name);
  if (volume.emptyDir) {
    await mkdir(dir, { recursive: true });
    return { hostPath: dir, readOnly: false };
  }
  const filled = await volumeFiles(volume, ctx);
  if (filled === undefined) {
    const kind = Object.keys(volume).filter((k) => k !== 'name').join(', ');
    throw new NodeAgentError('UNSUPPORTED_POD', `volume ${volume.name}: the node agent does not support ${kind} volumes (it supports persistentVolumeClaim, ephemeral, emptyDir, hostPath, secret, configMap, downwardAPI, projected)`);
  }
  await writeVolumeFiles(dir, filled.files, filled.defaultMode);
  return { hostPath: dir, readOnly: true };
}

/** Throws `WAITING` while a claim, Secret or ConfigMap is not there yet. */
export async function preparePodVolumes(ctx: VolumeContext): Promise<Map<string, PreparedVolume>> {
  const prepared = new Map<string, PreparedVolume>();
  for (const volume of ctx.pod.spec?.volumes ?? []) prepared.set(volume.name, await prepareVolume(volume, ctx));
  return prepared;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A container's `volumeDevices`: each Block claim's image file bind-mounted on a file at `devicePath`. */
function deviceMounts(container: V1Container, volumes: ReadonlyMap<string, PreparedVolume>): MountSpec[] {
  return (container.volumeDevices ?? []).map((vd) => {
    const volume = volumes.get(vd.name);
    if (volume === undefined) throw new NodeAgentError('UNSUPPORTED_POD', `container ${container.name} has device ${vd.name}, which the pod does not have as a volume`);
    if (volume.block !== true) throw new NodeAgentError('UNSUPPORTED_POD', `container ${container.name}: volume ${vd.name} in volumeDevices is not a block volume (a PVC of volumeMode Block)`);
    return { source: volume.hostPath, target: vd.devicePath, readOnly: volume.readOnly, file: true };
  });
}

export async function containerMounts(container: V1Container, volumes: ReadonlyMap<string, PreparedVolume>, env: ReadonlyMap<string, string>): Promise<MountSpec[]> {
  const mounts: MountSpec[] = deviceMounts(container, volumes);
  for (const vm of container.volumeMounts ?? []) {
    const volume = volumes.get(vm.name);
    if (volume === undefined) throw new NodeAgentError('UNSUPPORTED_POD', `container ${container.name} mounts volume ${vm.name}, which the pod does not have`);
    if (volume.block === true) throw new NodeAgentError('UNSUPPORTED_POD', `container ${container.name} mounts volume ${vm.name}, a block volume: give it in volumeDevices`);
    const subPath = vm.subPathExpr === undefined ? (vm.subPath ?? '') : expand(vm.subPathExpr, env);
    const source = subPath === '' ? volume.hostPath : normalize(join(volume.hostPath, subPath));
    if (!source.startsWith(volume.hostPath)) throw new NodeAgentError('UNSUPPORTED_POD', `subPath ${subPath} of volume ${vm.name} leaves the volume`);
    const file = await isFile(source);
    if (!file && subPath !== '') await mkdir(source, { recursive: true });
    mounts.push({ source, target: vm.mountPath, readOnly: (vm.readOnly ?? false) || volume.readOnly, file });
  }
  return mounts;
}
