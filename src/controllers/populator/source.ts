/**
 * The volume populator's data source. A PVC names a Holdfast backup volume with
 *
 *   spec.dataSourceRef: { apiGroup: holdfast.dev, kind: Backup, name: <a Backup in the PVC's namespace> }
 *   metadata.annotations["holdfast.dev/source-volume"]: <namespace>/<claimName>   (or just <claimName>)
 *
 * The annotation picks one of the Backup's volumes; without it, the Backup's only volume,
 * else the one whose claim has the PVC's name. The Backup must be in the PVC's namespace
 * (Kubernetes' cross-namespace data sources are alpha and off by default), so a PVC can
 * only be filled from a backup its namespace may already read.
 */
import { GROUP, ANNOTATIONS } from '../../k8s/api/group.ts';
import type { BackupStatus, BackupVolumeStatus } from '../../k8s/api/backup.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import { isRecord } from '../../k8s/resources/types.ts';

export const POPULATOR_REASONS = {
  BackupNotFound: 'BackupNotFound',
  BackupNotCompleted: 'BackupNotCompleted',
  VolumeNotFound: 'VolumeNotFound',
  VolumeNotInRepository: 'VolumeNotInRepository',
  Populating: 'Populating',
  PopulateFailed: 'PopulateFailed',
  Populated: 'Populated',
} as const;

export interface ClaimLike {
  metadata?: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string>; resourceVersion?: string; deletionTimestamp?: string };
  spec?: unknown;
}

export interface PopulateSource {
  readonly backup: string;
  readonly repository: string;
  readonly volume: BackupVolumeStatus;
  readonly snapshotId: string;
}

export interface NotReady {
  readonly reason: string;
  readonly message: string;
  readonly retryAfterMs: number;
}

/** The Backup a PVC's dataSourceRef names, when it names one. */
export function backupReference(claim: ClaimLike): string | undefined {
  const spec = isRecord(claim.spec) ? claim.spec : {};
  const ref = isRecord(spec.dataSourceRef) ? spec.dataSourceRef : undefined;
  if (ref?.apiGroup !== GROUP || ref.kind !== 'Backup' || typeof ref.name !== 'string') return undefined;
  return ref.name;
}

export async function resolveSource(objects: HoldfastObjects, claim: ClaimLike, backupName: string): Promise<PopulateSource | NotReady> {
  const namespace = claim.metadata?.namespace ?? '';
  const backup = await objects.get({ plural: 'backups', namespace, name: backupName });
  const where = `Backup ${namespace}/${backupName}`;
  if (backup === undefined) return { reason: POPULATOR_REASONS.BackupNotFound, message: `${where} named by spec.dataSourceRef does not exist`, retryAfterMs: 30_000 };
  const status = (backup.status ?? {}) as BackupStatus;
  if (status.phase !== 'Completed' && status.phase !== 'PartiallyFailed') {
    return { reason: POPULATOR_REASONS.BackupNotCompleted, message: `${where} has not completed (phase ${status.phase ?? 'New'})`, retryAfterMs: 10_000 };
  }
  const volume = chooseVolume(where, status.volumes ?? [], claim);
  if ('reason' in volume) return volume;
  const repository = ((backup.spec ?? {}) as { repositoryRef?: { name?: string } }).repositoryRef?.name ?? '';
  return { backup: `${namespace}/${backupName}`, repository, volume: volume.volume, snapshotId: volume.snapshotId };
}

function chooseVolume(where: string, volumes: readonly BackupVolumeStatus[], claim: ClaimLike): { volume: BackupVolumeStatus; snapshotId: string } | NotReady {
  const picked = pickVolume(volumes, claim);
  if (picked === undefined) {
    const known = volumes.map((v) => `${v.namespace}/${v.claimName}`).join(', ') || 'none';
    const wanted = claim.metadata?.annotations?.[ANNOTATIONS.sourceVolume];
    const message = wanted ? `${where} holds no volume ${wanted} (it holds: ${known})` : `${where} holds several volumes (${known}); name one with the annotation ${ANNOTATIONS.sourceVolume}: <namespace>/<claimName>`;
    return { reason: POPULATOR_REASONS.VolumeNotFound, message, retryAfterMs: 60_000 };
  }
  if (picked.snapshotId === undefined) {
    const hint = picked.volumeSnapshotName ? `; use spec.dataSource VolumeSnapshot ${picked.volumeSnapshotName} instead` : '';
    return { reason: POPULATOR_REASONS.VolumeNotInRepository, message: `${where} has no copy of volume ${picked.namespace}/${picked.claimName} in the repository (method snapshot+move makes one)${hint}`, retryAfterMs: 60_000 };
  }
  return { volume: picked, snapshotId: picked.snapshotId };
}

function pickVolume(volumes: readonly BackupVolumeStatus[], claim: ClaimLike): BackupVolumeStatus | undefined {
  const wanted = claim.metadata?.annotations?.[ANNOTATIONS.sourceVolume];
  if (wanted !== undefined) {
    const [a = '', b] = wanted.split('/');
    const matches = volumes.filter((v) => (b === undefined ? v.claimName === a : v.namespace === a && v.claimName === b));
    return matches.length === 1 ? matches[0] : undefined;
  }
  if (volumes.length === 1) return volumes[0];
  const named = volumes.filter((v) => v.claimName === claim.metadata?.name);
  return named.length === 1 ? named[0] : undefined;
}
