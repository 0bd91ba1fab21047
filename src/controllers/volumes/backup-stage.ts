/**
 * The volume part of a Backup (methods `snapshot` and `snapshot+move`), as the Backup
 * reconciler calls it (backup/stages.ts):
 *
 *   plan     the PVCs in scope → status.volumes (Pending)
 *   cut      a VolumeGroupSnapshot per namespace and driver when the driver offers them
 *            (group-snapshots.ts; its member VolumeSnapshots are recorded per PVC), else a
 *            VolumeSnapshot per PVC in its namespace (Snapshotting → SnapshotCut); the
 *            Backup's run calls `ready` inside the freeze window too when the spec says
 *            unquiesce at snapshot-ready (backup/run.ts)
 *   ready    wait until each is ready; record its content and storage handle (SnapshotReady;
 *            for `snapshot`, Completed: the snapshots are the backup)
 *   move     per volume: import the snapshot into the operator namespace, a PVC from it, a
 *            mover Job that writes a repository snapshot incremental to this PVC's previous
 *            one (Moving → Completed), progress from the mover's log; a Block PVC (or
 *            moveMode block) is read as a device into one image (move-mode.ts)
 *   cleanup  temporary Jobs, PVCs and snapshots by label; the Backup's VolumeSnapshots too
 *            after a move (unless keepSnapshots) or a failure (a group's members by deleting
 *            their VolumeGroupSnapshot), and temporary group labels on PVCs
 *
 * Every object has a name derived from the Backup's uid and the PVC, and status is saved
 * after each step, so a restarted operator resumes where the last one stopped.
 */
import type { MoverSettings } from '../../config/operator-env.ts';
import { HoldfastError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Clock } from '../../core/clock.ts';
import type { BackupStatus, BackupVolumeStatus } from '../../k8s/api/backup.ts';
import { backupRepositorySpecSchema, type BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import { backupSpecSchema } from '../../k8s/api/backup.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import type { BackupRunContext, VolumeStage } from '../backup/stages.ts';
import { PATHS, type VolumeCluster } from './cluster.ts';
import { exposeSnapshot } from './exposer.ts';
import { backupSourceArgs, exposedVolumeMode, moveModeOf, type MoveMode } from './move-mode.ts';
import { moverJob, repositoryAccess } from './mover-job.ts';
import type { MoverStatus, MoverSummary } from './mover-output.ts';
import { runInPlaceJob } from './in-place-mover.ts';
import { runMoverJob } from './mover-run.ts';
import { backupSnapshotName, ownerLabels, temporaryName, VOLUME_SNAPSHOT_LABELS, volumeLabel, type Owner } from './names.ts';
import { planVolumes } from './plan.ts';
import { groupsOf, groupSnapshotClassFor, groupSnapshotName, removeBackupSnapshots, startGroupCut, waitForGroupCut, type GroupClass, type GroupCut } from './group-snapshots.ts';
import { snapshotClassFor, snapshotOfClaim, waitForSnapshot } from './snapshots.ts';
import { eachLimited, StatusWriters, volumeProgress, type StatusWriter } from './status-writer.ts';
import { removeTemporaryObjects } from './temporary-objects.ts';

export interface VolumeStageDeps {
  readonly cluster: VolumeCluster;
  readonly objects: HoldfastObjects;
  readonly operatorNamespace: string;
  readonly clusterId: string;
  readonly mover: MoverSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often a running mover Job is looked at; default 1 s. */
  readonly pollMs?: number;
}

type Method = BackupVolumeStatus['method'];

function ownerOf(obj: KubeObjectJson): Owner {
  return { kind: 'backup', uid: obj.metadata?.uid ?? '' };
}

function methodOf(ctx: BackupRunContext): Method {
  const method = ctx.spec.method;
  if (method === 'snapshot' || method === 'snapshot+move' || method === 'filesystem') return method;
  throw new HoldfastError('CONFIG_INVALID', `method ${method} takes no volumes`);
}

export class BackupVolumeStage implements VolumeStage {
  readonly #d: VolumeStageDeps;
  readonly #writers = new StatusWriters<BackupRunContext>();

  constructor(deps: VolumeStageDeps) {
    this.#d = deps;
  }

  #writer(ctx: BackupRunContext): StatusWriter {
    return this.#writers.of(ctx);
  }

  async plan(ctx: BackupRunContext): Promise<void> {
    const method = methodOf(ctx);
    const volumes = await planVolumes(this.#d.cluster, { namespaces: ctx.namespaces, volumes: ctx.spec.volumes, method, previous: ctx.status.volumes ?? [] });
    // Refused before any snapshot is cut: a move mode that cannot read a volume.
    if (method !== 'snapshot') for (const v of volumes) moveModeOf(v, ctx.spec.volumes?.moveMode);
    ctx.status.volumes = volumes;
    ctx.status.progress = volumeProgress(volumes, this.#d.clock.now());
    await this.#writer(ctx).save();
  }

  async cut(ctx: BackupRunContext): Promise<void> {
    // Method filesystem reads the live PVCs (move, inside the freeze window): nothing to cut.
    if (ctx.spec.method === 'filesystem') return;
    const volumes = (ctx.status.volumes ?? []).filter((v) => v.phase === 'Pending' || v.phase === 'Snapshotting');
    if (volumes.length > 0) {
      const groups = await this.#groups(ctx, volumes);
      const grouped = new Set(groups.flatMap((g) => g.volumes));
      const singles = volumes.filter((v) => !grouped.has(v));
      await this.#startSingles(ctx, singles);
      await this.#startGroups(ctx, groups);
      await this.#writer(ctx).save();
      const deadline = this.#deadline(ctx);
      for (const v of singles) {
        const facts = await waitForSnapshot(this.#d.cluster, { namespace: v.namespace, name: v.volumeSnapshotName ?? '', until: 'cut', deadline, signal: ctx.signal });
        Object.assign(v, { phase: 'SnapshotCut', volumeSnapshotContentName: facts.contentName });
      }
      for (const g of groups) await this.#groupCut(ctx, g, deadline);
      await this.#writer(ctx).save();
    }
  }

  async #startSingles(ctx: BackupRunContext, volumes: readonly BackupVolumeStatus[]): Promise<void> {
    const classes = new Map<string, string>();
    const owner = ownerOf(ctx.obj);
    for (const v of volumes) {
      const driver = v.driver ?? '';
      if (!classes.has(driver)) classes.set(driver, await snapshotClassFor(this.#d.cluster, driver, ctx.spec.volumes?.volumeSnapshotClassName));
      const name = backupSnapshotName(ctx.obj.metadata?.name ?? '', owner, v.claimName);
      await this.#d.cluster.create(PATHS.snapshots(v.namespace), snapshotOfClaim({ namespace: v.namespace, name, claim: v.claimName, className: classes.get(driver) ?? '', labels: this.#snapshotLabels(owner, v) }));
      Object.assign(v, { phase: 'Snapshotting', volumeSnapshotName: name, startedAt: v.startedAt ?? this.#d.clock.now().toISOString() });
    }
  }

  #snapshotLabels(owner: Owner, v: BackupVolumeStatus): Record<string, string> {
    return { ...ownerLabels(owner), [VOLUME_SNAPSHOT_LABELS.volume]: volumeLabel(v.namespace, v.claimName) };
  }

  async #startGroups(ctx: BackupRunContext, groups: readonly GroupCut[]): Promise<void> {
    const owner = ownerOf(ctx.obj);
    for (const g of groups) {
      // Recorded first: the clean-up finds the group (and its temporary labels) by it.
      for (const v of g.volumes) Object.assign(v, { phase: 'Snapshotting', volumeGroupSnapshotName: g.name, startedAt: v.startedAt ?? this.#d.clock.now().toISOString() });
      await startGroupCut(this.#d.cluster, g, { claimSelector: ctx.spec.volumes?.claimSelector, labels: ownerLabels(owner) });
    }
  }

  /** Waits for a group's cut, then records each member VolumeSnapshot and its content on its PVC's entry. */
  async #groupCut(ctx: BackupRunContext, g: GroupCut, deadline: number): Promise<void> {
    const owner = ownerOf(ctx.obj);
    const members = await waitForGroupCut(this.#d.cluster, g, { deadline, signal: ctx.signal });
    for (const v of g.volumes) {
      const name = members.get(v.claimName) ?? '';
      await this.#d.cluster.mergePatch(PATHS.snapshots(v.namespace), name, { metadata: { labels: this.#snapshotLabels(owner, v) } });
      const facts = await waitForSnapshot(this.#d.cluster, { namespace: v.namespace, name, until: 'cut', deadline, signal: ctx.signal });
      Object.assign(v, { phase: 'SnapshotCut', volumeSnapshotName: name, volumeSnapshotContentName: facts.contentName });
    }
  }

  /**
   * The group snapshots to cut: per namespace and driver, when the driver has a
   * VolumeGroupSnapshotClass (groupSnapshot auto or required; required fails without one).
   */
  async #groups(ctx: BackupRunContext, volumes: readonly BackupVolumeStatus[]): Promise<GroupCut[]> {
    const mode = ctx.spec.volumes?.groupSnapshot ?? 'auto';
    if (mode === 'never') return [];
    const classes = new Map<string, GroupClass | undefined>();
    for (const driver of new Set(volumes.map((v) => v.driver ?? ''))) {
      const groupClass = await groupSnapshotClassFor(this.#d.cluster, driver, ctx.spec.volumes?.volumeGroupSnapshotClassName);
      if (mode === 'required' && groupClass === undefined) {
        throw new HoldfastError('CONFIG_INVALID', `spec.volumes.groupSnapshot is required, but CSI driver ${driver} offers no group snapshots (no VolumeGroupSnapshotClass for it)`);
      }
      classes.set(driver, groupClass);
    }
    const uid = ctx.obj.metadata?.uid ?? '';
    return groupsOf(volumes, classes, (driver) => groupSnapshotName(ctx.obj.metadata?.name ?? '', uid, driver));
  }

  #deadline(ctx: BackupRunContext): number {
    return Date.now() + (ctx.spec.volumes?.readyTimeoutSeconds ?? 1800) * 1000;
  }

  async ready(ctx: BackupRunContext): Promise<void> {
    if (ctx.spec.method === 'filesystem') return;
    const volumes = (ctx.status.volumes ?? []).filter((v) => v.phase === 'Snapshotting' || v.phase === 'SnapshotCut');
    const deadline = this.#deadline(ctx);
    const snapshotOnly = ctx.spec.method === 'snapshot';
    for (const v of volumes) {
      const facts = await waitForSnapshot(this.#d.cluster, { namespace: v.namespace, name: v.volumeSnapshotName ?? '', until: 'ready', deadline, signal: ctx.signal });
      if (facts.snapshotHandle === undefined) throw new HoldfastError('COMMAND_FAILED', `VolumeSnapshotContent ${facts.contentName} of ${v.namespace}/${v.claimName} reports no snapshot handle`);
      Object.assign(v, { phase: snapshotOnly ? 'Completed' : 'SnapshotReady', volumeSnapshotContentName: facts.contentName, snapshotHandle: facts.snapshotHandle });
      if (snapshotOnly) v.completedAt = this.#d.clock.now().toISOString();
    }
    ctx.status.progress = volumeProgress(ctx.status.volumes ?? [], this.#d.clock.now());
    await this.#writer(ctx).save();
  }

  async move(ctx: BackupRunContext): Promise<void> {
    const volumes = (ctx.status.volumes ?? []).filter((v) => v.phase !== 'Completed');
    if (volumes.length === 0) return;
    const repo = await this.#d.objects.getOrFail({ plural: 'backuprepositories', name: ctx.repositoryName }, 'BackupRepository');
    const repoSpec = backupRepositorySpecSchema.parse(repo.spec);
    if (ctx.spec.method === 'filesystem') return this.#copyLive(ctx, volumes, repoSpec);
    const access = repositoryAccess(repoSpec, this.#d.operatorNamespace);
    const classes = new Map<string, string>();
    for (const v of volumes) if (!classes.has(v.driver ?? '')) classes.set(v.driver ?? '', await snapshotClassFor(this.#d.cluster, v.driver ?? '', ctx.spec.volumes?.volumeSnapshotClassName));
    await eachLimited(volumes, ctx.spec.volumes?.parallelism ?? 2, async (v) => {
      try {
        await this.#moveOne(ctx, v, { access, className: classes.get(v.driver ?? '') });
      } catch (err) {
        throw await this.#failed(ctx, v, err);
      }
    });
  }

  /** Marks the volume Failed with the error's message (not when the operator's shutdown interrupted it) and returns the error. */
  async #failed(ctx: BackupRunContext, v: BackupVolumeStatus, err: unknown): Promise<unknown> {
    if (ctx.interrupted()) return err;
    Object.assign(v, { phase: 'Failed', message: err instanceof Error ? err.message.slice(0, 4000) : String(err) });
    await this.#writer(ctx).save();
    return err;
  }

  /**
   * Method filesystem: a mover Job beside each PVC (in its namespace, as in-place restores
   * run theirs: a pod mounts only claims of its own namespace) reads the live volume
   * read-only. Consistency comes from the freeze window the run holds around it.
   */
  async #copyLive(ctx: BackupRunContext, volumes: readonly BackupVolumeStatus[], repository: BackupRepositorySpec): Promise<void> {
    const owner = ownerOf(ctx.obj);
    const writer = this.#writer(ctx);
    const deps = { cluster: this.#d.cluster, mover: this.#d.mover, ...(this.#d.pollMs ? { pollMs: this.#d.pollMs } : {}) };
    await eachLimited(volumes, ctx.spec.volumes?.parallelism ?? 2, async (v) => {
      const mode = moveModeOf(v, ctx.spec.volumes?.moveMode);
      Object.assign(v, { phase: 'Moving', message: undefined, startedAt: v.startedAt ?? this.#d.clock.now().toISOString() });
      await writer.save();
      const job = { name: temporaryName(owner, v.namespace, v.claimName), namespace: v.namespace, claimName: v.claimName, labels: ownerLabels(owner), args: this.#backupArgs(owner, v, mode), readOnly: true, block: mode === 'block', pod: ctx.spec.volumes?.mover };
      try {
        const summary = await runInPlaceJob(deps, repository, job, { signal: ctx.signal, interrupted: ctx.interrupted, onProgress: (s) => this.#progress(ctx, v, s) });
        this.#recordMove(ctx.status, v, summary);
        await writer.save();
      } catch (err) {
        throw await this.#failed(ctx, v, err);
      }
    });
  }

  async #progress(ctx: BackupRunContext, v: BackupVolumeStatus, s: MoverStatus): Promise<void> {
    Object.assign(v, { bytesDone: s.bytesDone, ...(s.bytesTotal !== undefined ? { bytesTotal: s.bytesTotal } : {}) });
    ctx.status.progress = volumeProgress(ctx.status.volumes ?? [], this.#d.clock.now());
    await this.#writer(ctx).saveProgress();
  }

  async #moveOne(ctx: BackupRunContext, v: BackupVolumeStatus, o: { access: ReturnType<typeof repositoryAccess>; className: string | undefined }): Promise<void> {
    if (v.snapshotHandle === undefined) throw new HoldfastError('INTERNAL', `volume ${v.namespace}/${v.claimName} has no snapshot handle to move`);
    const owner = ownerOf(ctx.obj);
    const name = temporaryName(owner, v.namespace, v.claimName);
    const labels = ownerLabels(owner);
    const writer = this.#writer(ctx);
    const mode = moveModeOf(v, ctx.spec.volumes?.moveMode);
    Object.assign(v, { phase: 'Moving', message: undefined });
    await writer.save();
    const place = { namespace: this.#d.operatorNamespace, name, labels, signal: ctx.signal, deadline: this.#deadline(ctx) };
    await exposeSnapshot(this.#d.cluster, place, { driver: v.driver ?? '', snapshotHandle: v.snapshotHandle, className: o.className, shape: { storageClassName: v.storageClassName, volumeMode: exposedVolumeMode(v, mode), size: v.capacity ?? '1Gi' } });
    const args = this.#backupArgs(owner, v, mode);
    const job = moverJob({ name, namespace: this.#d.operatorNamespace, labels, claimName: name, args, readOnly: true, block: mode === 'block', pod: ctx.spec.volumes?.mover }, o.access, this.#d.mover);
    const summary = await runMoverJob({
      cluster: this.#d.cluster, job, signal: ctx.signal, interrupted: ctx.interrupted, ...(this.#d.pollMs ? { pollMs: this.#d.pollMs } : {}),
      onProgress: (s) => this.#progress(ctx, v, s),
    });
    this.#recordMove(ctx.status, v, summary);
    await writer.save();
    await removeTemporaryObjects(this.#d.cluster, { namespace: this.#d.operatorNamespace, name });
  }

  #backupArgs(owner: Owner, v: BackupVolumeStatus, mode: MoveMode): string[] {
    const volume = `${VOLUME_SNAPSHOT_LABELS.volume}=${volumeLabel(v.namespace, v.claimName)}`;
    const cluster = `${VOLUME_SNAPSHOT_LABELS.cluster}=${this.#d.clusterId}`;
    return [
      'backup-volume', ...backupSourceArgs(mode),
      '--label', volume, '--label', cluster, '--label', `${VOLUME_SNAPSHOT_LABELS.backupUid}=${owner.uid}`, '--label', `namespace=${v.namespace}`,
      '--parent-label', volume, '--parent-label', cluster,
    ];
  }

  #recordMove(status: BackupStatus, v: BackupVolumeStatus, s: MoverSummary): void {
    Object.assign(v, {
      phase: 'Completed', snapshotId: s.snapshotId, bytesTotal: s.bytesTotal, bytesDone: s.bytesTotal, completedAt: this.#d.clock.now().toISOString(),
      ...(s.parent ? { parentSnapshotId: s.parent } : {}), ...(s.bytesNew !== undefined ? { bytesNew: s.bytesNew } : {}),
    });
    status.snapshots = [...(status.snapshots ?? []).filter((x) => x.id !== s.snapshotId), { id: s.snapshotId, type: 'volume', name: `${v.namespace}/${v.claimName}` }];
    const stats = status.stats ?? {};
    status.stats = {
      ...stats,
      bytesRead: (stats.bytesRead ?? 0) + s.bytesDone,
      bytesNew: (stats.bytesNew ?? 0) + (s.bytesNew ?? 0),
      filesChanged: (stats.filesChanged ?? 0) + (s.filesChanged ?? 0),
      filesUnchanged: (stats.filesUnchanged ?? 0) + (s.filesUnchanged ?? 0),
    };
    status.progress = volumeProgress(status.volumes ?? [], this.#d.clock.now());
  }

  async cleanup(ctx: BackupRunContext): Promise<void> {
    await removeTemporaryObjects(this.#d.cluster, { namespace: this.#d.operatorNamespace, owner: ownerOf(ctx.obj) });
    const volumes = ctx.status.volumes ?? [];
    const complete = volumes.every((v) => v.phase === 'Completed');
    const keep = ctx.spec.method === 'snapshot' ? complete : (ctx.spec.volumes?.keepSnapshots ?? false) && complete;
    if (keep) return;
    await removeBackupSnapshots(this.#d.cluster, volumes);
    for (const v of volumes) {
      delete v.volumeSnapshotName;
      delete v.volumeSnapshotContentName;
      delete v.volumeGroupSnapshotName;
      delete v.snapshotHandle;
    }
    await this.#writer(ctx).save();
  }

  /**
   * The Backup is going: its temporary objects go, and its VolumeSnapshots too unless
   * it keeps its data (deletionPolicy retain).
   */
  async release(obj: KubeObjectJson): Promise<void> {
    const owner = ownerOf(obj);
    await removeTemporaryObjects(this.#d.cluster, { namespace: this.#d.operatorNamespace, owner });
    const spec = backupSpecSchema.safeParse(obj.spec);
    if (!spec.success || spec.data.deletionPolicy === 'retain' || spec.data.imported !== undefined) return;
    await removeBackupSnapshots(this.#d.cluster, ((obj.status ?? {}) as BackupStatus).volumes ?? []);
  }
}
