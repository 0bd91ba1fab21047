/**
 * The volume part of a Restore, mode `in-place` (restore/stages.ts): the PVCs exist and
 * keep their identity; their data is swapped under the workloads that use them.
 *
 *   before   check every PVC (exists, bound, the backup has its data in the repository);
 *            scale the owners down (replicas in status.scaledWorkloads and an annotation on
 *            the workload) and wait until no pod mounts the PVCs; keep a copy of what each
 *            PVC holds as a repository snapshot (safetySnapshotId). The PVC objects are
 *            taken out of the objects to apply, and the owners in them keep zero replicas.
 *   after    refill each PVC with a mover Job (`restore-volume --clean`) in its namespace,
 *            then scale the owners back up. When a refill fails, every PVC touched is
 *            refilled from its safety copy, the owners are scaled up, and the Restore fails.
 *   cleanup  leftover Jobs go; owners still down are scaled up (a failure before `after`).
 *
 * Every step is idempotent and what it did is in status, so a restarted operator redoes
 * only what is missing (a safety copy is never taken twice: the second would copy a
 * half-refilled volume).
 */
import type { MoverSettings } from '../../config/operator-env.ts';
import type { Clock } from '../../core/clock.ts';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import { backupRepositorySpecSchema, type BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import type { RestoreRunContext, RestoreVolumeStage } from '../restore/stages.ts';
import { PATHS, type VolumeCluster } from './cluster.ts';
import { planInPlace, scaleDownOwners, type InPlaceTarget } from './in-place-plan.ts';
import { runInPlaceJob } from './in-place-mover.ts';
import { scaleUp } from './in-place-workloads.ts';
import { MOUNT_PATH } from './mover-job.ts';
import { boundedName, ownerLabels, ownerSelector, volumeKey, volumeLabel, type Owner } from './names.ts';
import { eachLimited, StatusWriters, volumeProgress, type StatusWriter } from './status-writer.ts';

export interface InPlaceDeps {
  readonly cluster: VolumeCluster;
  readonly objects: HoldfastObjects;
  readonly mover: MoverSettings;
  readonly clock: Clock;
  readonly pollMs?: number;
}

/** Labels of a safety copy in the repository: which Restore took it, and of which PVC. */
export const SAFETY_COPY_LABELS = { restoreUid: 'holdfast.dev/safety-copy-for', volume: 'holdfast.dev/safety-copy-of' } as const;

type JobKind = 'keep' | 'fill' | 'undo';

function ownerOf(ctx: RestoreRunContext): Owner {
  return { kind: 'restore', uid: ctx.obj.metadata?.uid ?? '' };
}

export class InPlaceRestoreStage implements RestoreVolumeStage {
  readonly #d: InPlaceDeps;
  readonly #targets = new WeakMap<RestoreRunContext, InPlaceTarget[]>();
  readonly #writers = new StatusWriters<RestoreRunContext>();

  constructor(deps: InPlaceDeps) {
    this.#d = deps;
  }

  #writer(ctx: RestoreRunContext): StatusWriter {
    return this.#writers.of(ctx);
  }

  async before(ctx: RestoreRunContext): Promise<void> {
    const targets = await planInPlace(this.#d.cluster, ctx);
    this.#targets.set(ctx, targets);
    ctx.status.volumes = targets.map((t) => t.result);
    for (const t of targets) if (t.result.phase === 'Pending') t.result.phase = 'ScalingDown';
    await this.#writer(ctx).save();
    await scaleDownOwners(this.#d.cluster, ctx, targets, () => this.#writer(ctx).save());
    const todo = targets.filter((t) => t.result.safetySnapshotId === undefined);
    if (todo.length === 0) return;
    const repository = await this.#repository(ctx);
    await eachLimited(todo, ctx.spec.volumes?.parallelism ?? 2, async (t) => {
      const args = ['backup-volume', '--path', MOUNT_PATH, '--label', `${SAFETY_COPY_LABELS.restoreUid}=${ownerOf(ctx).uid}`, '--label', `${SAFETY_COPY_LABELS.volume}=${volumeLabel(t.result.namespace, t.result.claimName)}`, '--label', `namespace=${t.result.namespace}`];
      const summary = await this.#run(ctx, repository, t, 'keep', args);
      t.result.safetySnapshotId = summary.snapshotId;
      await this.#writer(ctx).save();
    });
  }

  async after(ctx: RestoreRunContext): Promise<void> {
    const targets = this.#targets.get(ctx) ?? [];
    if (targets.length === 0) return;
    const repository = await this.#repository(ctx);
    try {
      await eachLimited(targets, ctx.spec.volumes?.parallelism ?? 2, (t) => this.#refill(ctx, repository, t));
    } catch (err) {
      const undone = await this.#rollBack(ctx, repository, targets);
      await this.#scaleUp(ctx);
      throw new HoldfastError('RESTORE_TARGET', `in-place restore failed: ${messageOf(err)}; ${undone} and the workloads were scaled back up`, { cause: err });
    }
    for (const t of targets) t.result.phase = 'ScalingUp';
    await this.#writer(ctx).save();
    await this.#scaleUp(ctx);
    for (const t of targets) t.result.phase = 'Completed';
    ctx.status.progress = volumeProgress(ctx.status.volumes ?? [], this.#d.clock.now());
    await this.#writer(ctx).save();
  }

  async #refill(ctx: RestoreRunContext, repository: BackupRepositorySpec, t: InPlaceTarget): Promise<void> {
    Object.assign(t.result, { phase: 'Refilling', message: undefined });
    await this.#writer(ctx).save();
    try {
      await this.#run(ctx, repository, t, 'fill', ['restore-volume', '--clean', '--snapshot', t.result.snapshotId ?? '', '--target', MOUNT_PATH]);
      if (t.result.bytesTotal !== undefined) t.result.bytesDone = t.result.bytesTotal;
    } catch (err) {
      if (!ctx.interrupted()) Object.assign(t.result, { phase: 'Failed', message: messageOf(err).slice(0, 4000) });
      throw err;
    } finally {
      await this.#writer(ctx).save();
    }
  }

  /** Puts back what each touched PVC held; says how that went. */
  async #rollBack(ctx: RestoreRunContext, repository: BackupRepositorySpec, targets: readonly InPlaceTarget[]): Promise<string> {
    const failed: string[] = [];
    for (const t of targets.filter((x) => x.result.phase !== 'ScalingDown')) {
      const copy = t.result.safetySnapshotId ?? '';
      const why = t.result.message;
      try {
        await this.#run(ctx, repository, t, 'undo', ['restore-volume', '--clean', '--snapshot', copy, '--target', MOUNT_PATH]);
        Object.assign(t.result, { phase: 'RolledBack', message: `${why ? `${why}; ` : ''}put back what it held (snapshot ${copy.slice(0, 12)})`.slice(0, 4000) });
      } catch (err) {
        failed.push(`PVC ${t.result.namespace}/${t.result.claimName} (its copy is snapshot ${copy.slice(0, 12)}): ${messageOf(err)}`);
        Object.assign(t.result, { phase: 'Failed', message: `could not put back what it held from snapshot ${copy.slice(0, 12)}: ${messageOf(err)}`.slice(0, 4000) });
      }
      await this.#writer(ctx).save();
    }
    return failed.length === 0 ? 'every PVC holds what it held before' : `could not put back ${failed.join('; ')}`;
  }

  async #scaleUp(ctx: RestoreRunContext): Promise<void> {
    for (const w of ctx.status.scaledWorkloads ?? []) await scaleUp(this.#d.cluster, w);
  }

  #run(ctx: RestoreRunContext, repository: BackupRepositorySpec, t: InPlaceTarget, kind: JobKind, args: string[]): ReturnType<typeof runInPlaceJob> {
    const owner = ownerOf(ctx);
    const { namespace, claimName } = t.result;
    const name = boundedName([`holdfast-${kind}`, claimName, volumeKey(owner, namespace, claimName)], 63);
    const job = { name, namespace, claimName, labels: ownerLabels(owner), args, readOnly: kind === 'keep', pod: ctx.spec.volumes?.mover };
    return runInPlaceJob({ cluster: this.#d.cluster, mover: this.#d.mover, ...(this.#d.pollMs ? { pollMs: this.#d.pollMs } : {}) }, repository, job, {
      signal: ctx.signal,
      interrupted: ctx.interrupted,
      onProgress: async (s) => {
        if (kind !== 'fill') return;
        Object.assign(t.result, { bytesDone: s.bytesDone, ...(s.bytesTotal !== undefined ? { bytesTotal: s.bytesTotal } : {}) });
        ctx.status.progress = volumeProgress(ctx.status.volumes ?? [], this.#d.clock.now());
        await this.#writer(ctx).saveProgress();
      },
    });
  }

  async #repository(ctx: RestoreRunContext): Promise<BackupRepositorySpec> {
    let name = ctx.spec.source.repositoryRef?.name;
    if (name === undefined) {
      const [namespace = '', backup = ''] = (ctx.backup ?? '').split('/');
      const obj = await this.#d.objects.getOrFail({ plural: 'backups', namespace, name: backup }, 'Backup');
      name = ((obj.spec ?? {}) as { repositoryRef?: { name?: string } }).repositoryRef?.name ?? '';
    }
    const repo = await this.#d.objects.getOrFail({ plural: 'backuprepositories', name }, 'BackupRepository');
    return backupRepositorySpecSchema.parse(repo.spec);
  }

  async cleanup(ctx: RestoreRunContext): Promise<void> {
    const selector = ownerSelector(ownerOf(ctx));
    for (const namespace of new Set((ctx.status.volumes ?? []).map((v) => v.namespace))) {
      for (const job of await this.#d.cluster.list(PATHS.jobs(namespace), selector)) await this.#d.cluster.remove(PATHS.jobs(namespace), job.metadata?.name ?? '');
    }
    await this.#scaleUp(ctx);
  }
}
