/**
 * Provenance of restored volumes (a clone of a database into a new namespace among them):
 * beside the annotations every restored object gets (the Backup, the snapshot, the
 * Restore, the original name), a PVC that a backup's volume data fills names that volume —
 * the captured claim, and the volume's repository snapshot when it has one.
 */
import { ANNOTATIONS } from '../../k8s/api/group.ts';
import type { RestoreRunContext } from '../restore/stages.ts';

export function annotateRestoredClaims(ctx: Pick<RestoreRunContext, 'objects' | 'record'>): void {
  const recorded = ctx.record?.volumes ?? [];
  for (const obj of ctx.objects) {
    if (obj.kind !== 'PersistentVolumeClaim' || obj.apiVersion !== 'v1') continue;
    const volume = recorded.find((v) => v.namespace === obj.metadata.namespace && v.claimName === obj.metadata.name);
    if (volume === undefined) continue;
    obj.metadata.annotations = {
      ...(obj.metadata.annotations ?? {}),
      [ANNOTATIONS.restoredFromVolume]: `${volume.namespace}/${volume.claimName}`,
      ...(volume.snapshotId !== undefined ? { [ANNOTATIONS.restoredFromVolumeSnapshot]: volume.snapshotId } : {}),
    };
  }
}
