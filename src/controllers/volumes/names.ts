/**
 * Names and labels of the objects the volume stages create. Names are derived from the
 * Backup's or Restore's uid and the PVC, never random, so an operator that restarts in
 * the middle finds (and reuses or cleans up) what it made before. Every such object
 * carries the label of the Backup or Restore uid it serves; clean-up lists by it.
 */
import { createHash } from 'node:crypto';
import { LABELS, MANAGED_BY_VALUE } from '../../k8s/api/group.ts';

/** Labels on repository snapshots of volumes: which PVC of which cluster (the parent of the next move). */
export const VOLUME_SNAPSHOT_LABELS = {
  volume: 'holdfast.dev/volume',
  cluster: 'holdfast.dev/cluster',
  /** Not SNAPSHOT_LABELS.backupUid: that one marks a Backup's record snapshot, which a resumed run looks for. */
  backupUid: 'holdfast.dev/volume-of-backup-uid',
} as const;

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * A DNS-1123 name from `parts`: lower-cased, other characters turned into '-', and when
 * it is longer than `max`, cut and ended with a digest of the whole so it stays unique.
 */
export function boundedName(parts: readonly string[], max = 63): string {
  const full = parts.join('-').toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (full.length <= max) return full;
  const tail = digest(parts.join('\0'), 10);
  return `${full.slice(0, max - tail.length - 1).replace(/-$/, '')}-${tail}`;
}

/** What a temporary object serves: a Backup or a Restore, by uid. */
export interface Owner {
  readonly kind: 'backup' | 'restore';
  readonly uid: string;
}

export function ownerLabels(owner: Owner): Record<string, string> {
  return { [owner.kind === 'backup' ? LABELS.backup : LABELS.restore]: owner.uid, [LABELS.managedBy]: MANAGED_BY_VALUE };
}

export function ownerSelector(owner: Owner): string {
  return `${owner.kind === 'backup' ? LABELS.backup : LABELS.restore}=${owner.uid}`;
}

/** The key of one PVC of a run: short, stable, and the same for every object made for it. */
export function volumeKey(owner: Owner, namespace: string, claim: string): string {
  return digest(`${owner.uid}/${namespace}/${claim}`, 10);
}

/** The VolumeSnapshot a backup cuts of a PVC, in the PVC's namespace: readable, and unique per Backup. */
export function backupSnapshotName(backupName: string, owner: Owner, claim: string): string {
  return boundedName([backupName, claim, owner.uid.slice(0, 8)], 253);
}

/** Temporary objects of one volume (VolumeSnapshotContent, VolumeSnapshot, PVC, Job): one name for all. */
export function temporaryName(owner: Owner, namespace: string, claim: string): string {
  return boundedName([`holdfast-${owner.kind === 'backup' ? 'move' : 'fill'}`, claim, volumeKey(owner, namespace, claim)], 63);
}

/**
 * The label value naming a PVC on its repository snapshots: `<namespace>.<claim>` (a
 * namespace has no dots, so the first one splits), cut and ended with a digest when longer
 * than a label value may be.
 */
export function volumeLabel(namespace: string, claim: string): string {
  const full = `${namespace}.${claim}`;
  if (full.length <= 63) return full;
  return `${full.slice(0, 52).replace(/[^a-z0-9]+$/, '')}-${digest(full, 10)}`;
}
