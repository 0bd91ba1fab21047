/**
 * How a mover reaches a volume (`spec.volumes.moveMode`): as a directory tree mounted at
 * /data (filesystem) or as a raw device at /dev/holdfast-volume (block, `volumeDevices`;
 * the mover stores one image). `auto` follows the PVC's volumeMode; `block` forces a
 * device read, also of a Filesystem PVC (its temporary PVC is then a Block one, which the
 * storage must allow); `filesystem` cannot mount a Block PVC and says so. A restore from
 * the repository writes the way the PVC being filled is shaped: a Block PVC as a device.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { BackupVolumeStatus } from '../../k8s/api/backup.ts';
import type { BackupVolumes } from '../../k8s/api/volumes.ts';
import { DEVICE_PATH, MOUNT_PATH } from './mover-job.ts';

export type MoveMode = 'filesystem' | 'block';

type Volume = Pick<BackupVolumeStatus, 'namespace' | 'claimName' | 'volumeMode'>;

export function moveModeOf(v: Volume, requested: BackupVolumes['moveMode'] | undefined): MoveMode {
  const block = v.volumeMode === 'Block';
  if (requested === 'filesystem' && block) {
    throw new HoldfastError('CONFIG_INVALID', `PVC ${v.namespace}/${v.claimName} is a Block volume: moveMode filesystem cannot mount it as a directory; use moveMode auto or block`);
  }
  if (requested === 'block') return 'block';
  return block ? 'block' : 'filesystem';
}

/** The volumeMode of the temporary PVC a backup's mover reads. */
export function exposedVolumeMode(v: Volume, mode: MoveMode): string | undefined {
  return mode === 'block' ? 'Block' : v.volumeMode;
}

/** Where `holdfast mover backup-volume` reads the volume. */
export function backupSourceArgs(mode: MoveMode): string[] {
  return mode === 'block' ? ['--device', DEVICE_PATH] : ['--path', MOUNT_PATH];
}

/** Where `holdfast mover restore-volume` writes the volume; by the filled PVC's volumeMode. */
export function restoreTargetArgs(volumeMode: string | undefined): { mode: MoveMode; args: string[] } {
  return volumeMode === 'Block' ? { mode: 'block', args: ['--device', DEVICE_PATH] } : { mode: 'filesystem', args: ['--target', MOUNT_PATH] };
}
