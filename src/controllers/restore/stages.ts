/**
 * The parts of a Restore beyond applying objects, called by the Restore reconciler:
 *
 *   volumes.before (in place: scale the owners down; new: point the PVCs at their data)
 *   → apply the objects → volumes.after (refill PVCs with mover Jobs, scale back up;
 *   on failure put back what was there) → dumps.load (the recipe's load steps)
 *   → volumes.cleanup (always)
 *
 * Each stage records what it did in `status` and saves it through `ctx.save`.
 */
import type { RestoreSpec, RestoreStatus } from '../../k8s/api/restore.ts';
import type { KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import type { KubeObject } from '../../k8s/resources/types.ts';
import type { BackupRecord } from '../backup/record.ts';
import type { RepositoryTarget } from '../ports.ts';

export interface RestoreRunContext {
  readonly obj: KubeObjectJson;
  readonly spec: RestoreSpec;
  readonly target: RepositoryTarget;
  /** The backup's resources snapshot. */
  readonly snapshotId: string;
  /** namespace/name of the source Backup, when restoring from one. */
  readonly backup?: string;
  /** The backup's record (volumes, dumps, window); absent for backups of objects only. */
  readonly record: BackupRecord | undefined;
  /** The objects about to be applied; `volumes.before` may rewrite them (e.g. a PVC's dataSourceRef). */
  objects: KubeObject[];
  readonly status: RestoreStatus;
  save(): Promise<void>;
  /** Aborted when the Restore is deleted while running, or the operator stops. */
  readonly signal: AbortSignal;
  /**
   * True once the operator's shutdown (not a deletion) aborted `signal`: the run then leaves
   * its temporary objects, snapshots and status as they stand for the next leader to resume.
   */
  readonly interrupted: () => boolean;
}

export interface RestoreVolumeStage {
  before(ctx: RestoreRunContext): Promise<void>;
  after(ctx: RestoreRunContext): Promise<void>;
  cleanup(ctx: RestoreRunContext): Promise<void>;
}

export interface RestoreLoadStage {
  /** Loads the backup's dumps into the target database(s) and runs verify steps. */
  load(ctx: RestoreRunContext): Promise<void>;
}

export interface RestoreStages {
  readonly volumes?: RestoreVolumeStage;
  readonly dumps?: RestoreLoadStage;
}

/** Whether the restore has volume data or dumps to bring back. */
export function restoreNeedsStages(ctx: Pick<RestoreRunContext, 'record' | 'spec'>): { volumes: boolean; dumps: boolean } {
  const volumes = (ctx.record?.volumes.length ?? 0) > 0;
  const dumps = (ctx.record?.dumps.length ?? 0) > 0 || ctx.spec.recipe !== undefined;
  return { volumes, dumps };
}
