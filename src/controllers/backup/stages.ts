/**
 * The parts of a Backup run beyond its Kubernetes objects, as small interfaces the Backup
 * reconciler calls in a fixed order:
 *
 *   prepare → freeze (recipe quiesce, hooks, group pause) → cut volume snapshots
 *   → unfreeze (always, once the freeze started) → dumps, volume moves → record → finish
 *
 * The consistency part owns the freeze window and calls back for what must happen inside
 * it (cutting snapshots; for a consistency group, the dumps too). The volume part owns
 * VolumeSnapshots, mover Jobs and their clean-up. Each writes what it did into `status`
 * and saves it through `ctx.save`, so an operator restart resumes from the status.
 */
import type { BackupSpec, BackupStatus } from '../../k8s/api/backup.ts';
import type { KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import type { RepositoryTarget } from '../ports.ts';

export interface BackupRunContext {
  readonly obj: KubeObjectJson;
  readonly spec: BackupSpec;
  /** Where the repository is, with its credentials (resolved from the BackupRepository). */
  readonly target: RepositoryTarget;
  /** The BackupRepository's name (mover Jobs resolve its Secrets again themselves). */
  readonly repositoryName: string;
  /** Namespaces the backup covers (already admitted). */
  readonly namespaces: readonly string[];
  /** The status being built; stages edit it in place. */
  readonly status: BackupStatus;
  /** Writes `status` to the Backup (merge of the status subresource). */
  save(): Promise<void>;
  /** Aborted when the Backup is deleted while running, or the operator stops. */
  readonly signal: AbortSignal;
  /**
   * True once the operator's shutdown (not a deletion) aborted `signal`: the run then leaves
   * its temporary objects, snapshots and status as they stand for the next leader to resume.
   */
  readonly interrupted: () => boolean;
}

/** Volume data (methods snapshot and snapshot+move). */
export interface VolumeStage {
  /** Finds the PVCs in scope and records them in status.volumes (phase Pending). */
  plan(ctx: BackupRunContext): Promise<void>;
  /** Cuts a VolumeSnapshot of every planned PVC; resolves when all are cut (readyToUse may still be false). */
  cut(ctx: BackupRunContext): Promise<void>;
  /** Waits until every cut snapshot is ready to use. */
  ready(ctx: BackupRunContext): Promise<void>;
  /** snapshot+move: copies each snapshot's data into the repository with mover Jobs, progress into status. */
  move(ctx: BackupRunContext): Promise<void>;
  /** Removes temporary PVCs, Jobs and (unless kept) VolumeSnapshots; safe to call repeatedly and after failures. */
  cleanup(ctx: BackupRunContext): Promise<void>;
  /** The Backup is being deleted: removes what is left of its temporary objects (by label) and, unless it retains its data, its VolumeSnapshots. */
  release?(obj: KubeObjectJson): Promise<void>;
}

/** The freeze window and the logical dumps (recipe, hooks, consistency group). */
export interface ConsistencyStage {
  /** Runs prepare, freezes, calls `inside` (snapshots cut there), and always unfreezes once the freeze started. */
  window(ctx: BackupRunContext, inside: () => Promise<void>): Promise<void>;
  /** Streams the dumps into the repository (for a consistency group they run inside the window instead). */
  dumps(ctx: BackupRunContext): Promise<void>;
}
