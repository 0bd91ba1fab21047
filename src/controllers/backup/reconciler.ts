/**
 * Backup (method `resources`): captures the selected Kubernetes objects into one
 * repository snapshot. Steps, each idempotent, so an operator restart at any point
 * resumes: (1) read; a deleted Backup forgets its snapshot (unless its namespace is being
 * deleted: a namespace deletion must not destroy its backups, so the snapshot stays and
 * the catalog lists it as an imported Backup), then drops the finalizer;
 * (2) finished → nothing; (3) parse and admit the spec (repository exists, is Ready and
 * allows this namespace; only the operator namespace may name other namespaces);
 * (4) add the finalizer, mark InProgress; (5) reuse the snapshot an interrupted run
 * already stored (found by the Backup's uid label) or capture and store; (6) Completed.
 */
import { hostname } from 'node:os';
import type { Clock } from '../../core/clock.ts';
import { messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { backupSpecSchema, type BackupSpec, type BackupStatus } from '../../k8s/api/backup.ts';
import { backupRepositorySpecSchema } from '../../k8s/api/backup-repository.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import { FINALIZERS, SNAPSHOT_LABELS } from '../../k8s/api/group.ts';
import { parseWith } from '../../k8s/api/parse.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import type { CaptureResult, CaptureSelection } from '../../k8s/resources/capture.ts';
import { setCondition } from '../../k8s/status/conditions.ts';
import { repositoryTarget } from '../backup-repository/target.ts';
import type { RepositoryTarget, ResourceArchive } from '../ports.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { runSignal, freshStatus, refOf } from '../object-status.ts';
import { admit, type Refusal } from '../backup-repository/access.ts';
import { backupRecord, RECORD_PATH } from './record.ts';
import { needsStages, runStages, type BackupStages } from './run.ts';
import type { BackupRunContext } from './stages.ts';

export const BACKUP_PLURAL = 'backups';
const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'Inconsistent']);

export interface BackupDeps {
  readonly objects: HoldfastObjects;
  readonly archive: ResourceArchive;
  readonly capture: (selection: CaptureSelection) => Promise<CaptureResult>;
  readonly operatorNamespace: string;
  /** Recorded on every snapshot, so the catalog of another cluster knows the backup is not its own. */
  readonly clusterId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Volume data and consistency (recipes, hooks, groups); a spec that needs an absent stage fails with a clear message. */
  readonly stages?: BackupStages;
}

export class BackupReconciler implements Reconciler {
  readonly #d: BackupDeps;

  constructor(deps: BackupDeps) {
    this.#d = deps;
  }

  async reconcile(key: string, stopping?: AbortSignal): Promise<ReconcileResult | undefined> {
    const [namespace = '', name = ''] = key.split('/');
    const ref = { plural: BACKUP_PLURAL, namespace, name };
    const obj = await this.#d.objects.get(ref);
    if (obj === undefined) return undefined;
    if (obj.metadata?.deletionTimestamp) return this.#finalize(obj);
    const status = { ...((obj.status ?? {}) as BackupStatus) };
    if (status.phase && TERMINAL.has(status.phase)) return undefined;
    let spec: BackupSpec;
    try {
      spec = parseWith(backupSpecSchema, obj.spec, `Backup ${key}`);
    } catch (err) {
      return this.#finish(obj, 'Failed', { accepted: false, reason: REASONS.InvalidSpec, message: messageOf(err) });
    }
    if (spec.imported) return undefined;
    const admission = await admit(this.#d.objects, obj, spec, this.#d.operatorNamespace);
    if (!admission.accepted) return this.#reject(obj, admission);
    return this.#run(obj, spec, admission.target, admission.namespaces, stopping);
  }

  async #run(obj: KubeObjectJson, spec: BackupSpec, target: RepositoryTarget, namespaces: string[], stopping?: AbortSignal): Promise<ReconcileResult | undefined> {
    const ref = refOf(obj, BACKUP_PLURAL);
    const finalizers = obj.metadata?.finalizers ?? [];
    if (spec.deletionPolicy === 'delete' && !finalizers.includes(FINALIZERS.backupSnapshots)) {
      await this.#d.objects.setFinalizers(ref, [...finalizers, FINALIZERS.backupSnapshots]);
    }
    await this.#progress(obj, REASONS.CapturingResources, `capturing the objects of ${namespaces.join(', ')}`);
    const uid = obj.metadata?.uid ?? '';
    const found = await this.#d.archive.find(target, { [SNAPSHOT_LABELS.backupUid]: uid });
    if (found !== undefined) return this.#finish(obj, 'Completed', { accepted: true, snapshotId: found, capture: undefined });
    const capture = await this.#d.capture({ ...(spec.selection ?? {}), namespaces });
    const status = freshStatus<BackupStatus>(await this.#d.objects.getOrFail(ref, 'Backup'));
    if (needsStages({ spec })) {
      const failure = await this.#stages({ obj, spec, target, namespaces, status }, stopping);
      if (failure !== undefined) return this.#finish(obj, 'Failed', failure, status);
    }
    const files = capture.objects.map((o) => ({ path: o.path, data: Buffer.from(`${JSON.stringify(o.object, null, 2)}\n`) }));
    files.push({ path: RECORD_PATH, data: Buffer.from(`${JSON.stringify(backupRecord(status), null, 2)}\n`) });
    const labels = { ...(spec.snapshotLabels ?? {}), [SNAPSHOT_LABELS.backupUid]: uid, [SNAPSHOT_LABELS.backup]: `${ref.namespace}/${ref.name}`, [SNAPSHOT_LABELS.cluster]: this.#d.clusterId, [SNAPSHOT_LABELS.namespaces]: namespaces.join(',') };
    const saved = await this.#d.archive.save(target, files, { root: `/kubernetes/${ref.namespace}/${ref.name}`, labels, tags: ['resources'], hostname: hostname() });
    return this.#finish(obj, outcomePhase(capture, status), { accepted: true, snapshotId: saved.snapshotId, capture }, status);
  }

  /**
   * Runs the volume and consistency stages; on failure forgets the snapshots they stored and
   * says why. Interrupted by the operator's shutdown, it throws instead: the Backup stays
   * Running, as after a crash, and the next leader resumes it.
   */
  async #stages(run: Omit<BackupRunContext, 'save' | 'signal' | 'interrupted' | 'repositoryName'>, stopping?: AbortSignal): Promise<Refusal | undefined> {
    const ref = refOf(run.obj, BACKUP_PLURAL);
    const watch = runSignal(this.#d.objects, ref, run.obj.metadata?.uid ?? '', stopping);
    const ctx: BackupRunContext = { ...run, repositoryName: run.spec.repositoryRef.name, signal: watch.signal, interrupted: watch.interrupted, save: () => this.#d.objects.patchStatus(ref, run.status) };
    try {
      await runStages(ctx, this.#d.stages ?? {});
      return undefined;
    } catch (err) {
      if (watch.interrupted()) throw err;
      for (const s of run.status.snapshots ?? []) await this.#d.archive.forget(run.target, s.id).catch(() => undefined);
      run.status.snapshots = [];
      const cancelled = watch.deleted();
      return { accepted: false, reason: cancelled ? REASONS.Cancelled : REASONS.Failed, message: messageOf(err) };
    } finally {
      watch.stop();
    }
  }

  async #finalize(obj: KubeObjectJson): Promise<ReconcileResult | undefined> {
    const finalizers = obj.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZERS.backupSnapshots)) return undefined;
    await this.#releaseVolumes(obj);
    const status = (obj.status ?? {}) as BackupStatus;
    const snapshotId = status.snapshotId;
    const spec = backupSpecSchema.safeParse(obj.spec);
    if (snapshotId !== undefined && spec.success && !spec.data.imported && spec.data.deletionPolicy === 'delete') {
      if (await this.#namespaceGoing(obj)) this.#d.logger.info({ backup: `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`, snapshot: snapshotId }, 'the namespace is being deleted: snapshot kept, the catalog lists it as an imported Backup');
      else await this.#forget(spec.data.repositoryRef.name, [snapshotId, ...(status.snapshots ?? []).map((x) => x.id).filter((id) => id !== snapshotId)]);
    }
    await this.#d.objects.setFinalizers(refOf(obj, BACKUP_PLURAL), finalizers.filter((f) => f !== FINALIZERS.backupSnapshots));
    return undefined;
  }

  /** Temporary objects of the volume stage left by a run the deletion interrupted, and the Backup's VolumeSnapshots. */
  async #releaseVolumes(obj: KubeObjectJson): Promise<void> {
    const volumes = this.#d.stages?.volumes;
    if (volumes?.release) await volumes.release(obj);
  }

  /** Forgets the backup's snapshots: its record first, then the volume and dump snapshots it lists. */
  async #forget(repository: string, snapshotIds: readonly string[]): Promise<void> {
    const repo = await this.#d.objects.get({ plural: 'backuprepositories', name: repository });
    const repoSpec = backupRepositorySpecSchema.safeParse(repo?.spec);
    if (!repoSpec.success) return;
    const target = await repositoryTarget(repoSpec.data, this.#d.objects);
    for (const id of snapshotIds) await this.#d.archive.forget(target, id);
  }

  async #namespaceGoing(obj: KubeObjectJson): Promise<boolean> {
    return (await this.#d.objects.namespace(obj.metadata?.namespace ?? ''))?.terminating ?? true;
  }

  async #progress(obj: KubeObjectJson, reason: string, message: string): Promise<void> {
    const now = this.#d.clock.now();
    const status = freshStatus<BackupStatus>(obj);
    status.phase = 'InProgress';
    status.startTime ??= now.toISOString();
    setCondition(status, { type: 'Accepted', status: 'True', reason: REASONS.Valid, message: 'the spec is valid and allowed' }, now);
    setCondition(status, { type: 'Progressing', status: 'True', reason, message }, now);
    await this.#d.objects.patchStatus(refOf(obj, BACKUP_PLURAL), status);
  }

  async #reject(obj: KubeObjectJson, a: Refusal): Promise<ReconcileResult | undefined> {
    if (a.retryAfterMs !== undefined) {
      const status = freshStatus<BackupStatus>(obj);
      status.phase ??= 'New';
      setCondition(status, { type: 'Accepted', status: 'False', reason: a.reason, message: a.message }, this.#d.clock.now());
      await this.#d.objects.patchStatus(refOf(obj, BACKUP_PLURAL), status);
      return { requeueAfterMs: a.retryAfterMs };
    }
    return this.#finish(obj, 'Failed', { accepted: false, reason: a.reason, message: a.message });
  }

  async #finish(obj: KubeObjectJson, phase: FinalPhase, r: Outcome, base?: BackupStatus): Promise<undefined> {
    const now = this.#d.clock.now();
    const status = base ?? freshStatus<BackupStatus>(obj);
    status.phase = phase;
    status.completionTime = now.toISOString();
    status.clusterId = this.#d.clusterId;
    if (r.accepted) {
      setCondition(status, { type: 'Accepted', status: 'True', reason: REASONS.Valid, message: 'the spec is valid and allowed' }, now);
      status.snapshotId = r.snapshotId;
      status.snapshots = [{ id: r.snapshotId, type: 'resources' }, ...(status.snapshots ?? []).filter((s) => s.type !== 'resources')];
      if (r.capture) applyCapture(status, r.capture);
    } else {
      const accepted = r.reason === REASONS.Failed || r.reason === REASONS.Cancelled;
      setCondition(status, accepted ? { type: 'Accepted', status: 'True', reason: REASONS.Valid, message: 'the spec is valid and allowed' } : { type: 'Accepted', status: 'False', reason: r.reason, message: r.message }, now);
      status.errors = [...(status.errors ?? []), r.message].slice(-100);
    }
    setCondition(status, { type: 'Progressing', status: 'False', reason: REASONS.Done, message: `backup ${phase.toLowerCase()}` }, now);
    setCondition(status, { type: 'Succeeded', status: phase === 'Failed' ? 'False' : 'True', reason: phase, message: r.accepted ? `snapshot ${r.snapshotId.slice(0, 12)}` : r.message }, now);
    await this.#d.objects.patchStatus(refOf(obj, BACKUP_PLURAL), status);
    await this.#d.objects.event(obj, phase === 'Completed' ? 'Normal' : 'Warning', phase, r.accepted ? `stored as snapshot ${r.snapshotId.slice(0, 12)}` : r.message);
    return undefined;
  }
}

type FinalPhase = 'Completed' | 'PartiallyFailed' | 'Failed' | 'Inconsistent';

/** Inconsistent when a consistency group saw its pods change; PartiallyFailed when objects or hooks failed. */
function outcomePhase(capture: CaptureResult, status: BackupStatus): FinalPhase {
  if (status.consistency?.consistent === false) return 'Inconsistent';
  const hookFailed = (status.hooks ?? []).some((h) => h.outcome === 'Failed' || h.outcome === 'TimedOut');
  return capture.errors.length > 0 || hookFailed ? 'PartiallyFailed' : 'Completed';
}

type Outcome =
  | { readonly accepted: true; readonly snapshotId: string; readonly capture: CaptureResult | undefined }
  | { readonly accepted: false; readonly reason: string; readonly message: string };


function applyCapture(status: BackupStatus, c: CaptureResult): void {
  status.resources = { total: c.objects.length, byKind: c.perKind.map((k) => ({ group: k.group, version: k.version, kind: k.kind, count: k.count })) };
  if (c.warnings.length > 0) status.warnings = c.warnings.slice(0, 100);
  if (c.errors.length > 0) status.errors = c.errors.slice(0, 100);
}
