/**
 * Restore: brings back the objects of a backup's resources snapshot. Steps: (1) read;
 * finished → nothing; (2) parse; resolve the source (a Completed Backup in the same
 * namespace, or a repository + snapshot id); admit (the target namespaces are the
 * Restore's own unless it lives in the operator namespace; the repository allows it);
 * (3) InProgress; (4) read the snapshot's files and restore them in dependency order
 * with mapping, renames, transforms, the existing-resource policy and prune; (5) record
 * each object's outcome; Completed, or PartiallyFailed when any object failed.
 */
import type { Clock } from '../../core/clock.ts';
import { messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { BackupStatus } from '../../k8s/api/backup.ts';
import { backupSpecSchema } from '../../k8s/api/backup.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import { parseWith } from '../../k8s/api/parse.ts';
import { restoreSpecSchema, type RestoreSpec, type RestoreStatus } from '../../k8s/api/restore.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import type { RestoreResourcesResult } from '../../k8s/resources/restore.ts';
import type { KubeObject } from '../../k8s/resources/types.ts';
import { setCondition } from '../../k8s/status/conditions.ts';
import { checkNamespaces, grantedByClusterPolicy, repositoryFor, type AccessOptions, type Refusal } from '../backup-repository/access.ts';
import type { ArchivedFile, RepositoryTarget, ResourceArchive } from '../ports.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { runSignal, freshStatus, refOf } from '../object-status.ts';
import { statusResources } from '../../k8s/resources/outcomes.ts';
import { parseArchivePath } from '../../k8s/resources/archive-path.ts';
import { readRecord } from '../backup/record.ts';
import { runRestoreStages } from './run.ts';
import type { RestoreRunContext, RestoreStages } from './stages.ts';

export const RESTORE_PLURAL = 'restores';
const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed']);

export interface RestoreDeps {
  readonly objects: HoldfastObjects;
  readonly archive: ResourceArchive;
  readonly restore: (objects: readonly KubeObject[], spec: RestoreSpec, provenance: { restore: string; backup?: string; snapshotId?: string }) => Promise<RestoreResourcesResult>;
  readonly operatorNamespace: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Volume data and dump loads; a backup that has them fails to restore with a clear message when a stage is absent. */
  readonly stages?: RestoreStages;
}

interface Source {
  readonly target: RepositoryTarget;
  readonly snapshotId: string;
  readonly backup?: string;
  /** The namespaces the backup captured, from its objects. */
}

export class RestoreReconciler implements Reconciler {
  readonly #d: RestoreDeps;

  constructor(deps: RestoreDeps) {
    this.#d = deps;
  }

  async reconcile(key: string, stopping?: AbortSignal): Promise<ReconcileResult | undefined> {
    const [namespace = '', name = ''] = key.split('/');
    const obj = await this.#d.objects.get({ plural: RESTORE_PLURAL, namespace, name });
    if (obj === undefined || obj.metadata?.deletionTimestamp) return undefined;
    const phase = (obj.status as RestoreStatus | undefined)?.phase;
    if (phase && TERMINAL.has(phase)) return undefined;
    let spec: RestoreSpec;
    try {
      spec = parseWith(restoreSpecSchema, obj.spec, `Restore ${key}`);
    } catch (err) {
      return this.#fail(obj, { accepted: false, reason: REASONS.InvalidSpec, message: messageOf(err) });
    }
    const source = await this.#source(obj, spec);
    if ('accepted' in source) return source.retryAfterMs !== undefined ? this.#wait(obj, source) : this.#fail(obj, source);
    await this.#progress(obj, source);
    const files = await this.#d.archive.read(source.target, source.snapshotId);
    const objects = files.filter((f) => parseArchivePath(f.path) !== undefined).map((f) => JSON.parse(f.data.toString('utf8')) as KubeObject);
    const refused = checkNamespaces('Restore', namespace, targetNamespaces(objects, spec), this.#d.operatorNamespace);
    if (refused) return this.#fail(obj, refused);
    return this.#run(key, obj, spec, source, { files, objects, stopping });
  }

  /**
   * Applies the objects with the volume and dump stages around them; a Restore deleted
   * meanwhile stops its run. Interrupted by the operator's shutdown, it throws instead: the
   * Restore stays Running, as after a crash, and the next leader resumes it.
   */
  async #run(key: string, obj: KubeObjectJson, spec: RestoreSpec, source: Source, read: { files: ArchivedFile[]; objects: KubeObject[]; stopping?: AbortSignal | undefined }): Promise<undefined> {
    const status = freshStatus<RestoreStatus>(await this.#d.objects.getOrFail(refOf(obj, RESTORE_PLURAL), 'Restore'));
    const watch = runSignal(this.#d.objects, refOf(obj, RESTORE_PLURAL), obj.metadata?.uid ?? '', read.stopping);
    const ctx = this.#context(obj, spec, source, { objects: read.objects, record: readRecord(read.files), status, signal: watch.signal, interrupted: watch.interrupted });
    const provenance = provenanceOf(key, source);
    try {
      const result = await runRestoreStages(ctx, this.#d.stages ?? {}, () => this.#d.restore(ctx.objects, spec, provenance));
      return await this.#finish(obj, source, result, status);
    } catch (err) {
      if (watch.interrupted()) throw err;
      return this.#fail(obj, { accepted: false, reason: watch.deleted() ? REASONS.Cancelled : REASONS.Failed, message: messageOf(err) }, status);
    } finally {
      watch.stop();
    }
  }

  #context(obj: KubeObjectJson, spec: RestoreSpec, source: Source, parts: Pick<RestoreRunContext, 'objects' | 'record' | 'status' | 'signal' | 'interrupted'>): RestoreRunContext {
    const ref = refOf(obj, RESTORE_PLURAL);
    return {
      obj, spec, target: source.target, snapshotId: source.snapshotId, ...(source.backup ? { backup: source.backup } : {}), ...parts,
      save: () => this.#d.objects.patchStatus(ref, parts.status),
    };
  }

  async #source(obj: KubeObjectJson, spec: RestoreSpec): Promise<Source | Refusal> {
    const namespace = obj.metadata?.namespace ?? '';
    const write = { operatorNamespace: this.#d.operatorNamespace, write: false };
    if (spec.source.backupName === undefined) {
      const repo = await repositoryFor(this.#d.objects, spec.source.repositoryRef?.name ?? '', namespace, write);
      return 'target' in repo ? { target: repo.target, snapshotId: spec.source.snapshotId ?? '' } : repo;
    }
    return this.#fromBackup(namespace, spec.source.backupName, write);
  }

  async #fromBackup(namespace: string, backupName: string, access: AccessOptions): Promise<Source | Refusal> {
    const backup = await this.#d.objects.get({ plural: 'backups', namespace, name: backupName });
    if (backup === undefined) return { accepted: false, reason: REASONS.BackupNotFound, message: `Backup ${namespace}/${backupName} does not exist`, retryAfterMs: 30_000 };
    const bspec = backupSpecSchema.safeParse(backup.spec);
    const snapshotId = restorableSnapshot(backup, bspec.success ? bspec.data.imported?.snapshotId : undefined);
    if (!bspec.success || snapshotId === undefined) {
      return { accepted: false, reason: REASONS.BackupNotCompleted, message: `Backup ${namespace}/${backupName} has not completed`, retryAfterMs: 10_000 };
    }
    const granted = (repository: string): Promise<boolean> => grantedByClusterPolicy(this.#d.objects, backup, repository);
    const repo = await repositoryFor(this.#d.objects, bspec.data.repositoryRef.name, namespace, { ...access, granted });
    return 'target' in repo ? { target: repo.target, snapshotId, backup: `${namespace}/${backupName}` } : repo;
  }

  async #progress(obj: KubeObjectJson, source: Source): Promise<void> {
    const now = this.#d.clock.now();
    const status = freshStatus<RestoreStatus>(obj);
    status.phase = 'InProgress';
    status.startTime ??= now.toISOString();
    status.snapshotId = source.snapshotId;
    setCondition(status, { type: 'Accepted', status: 'True', reason: REASONS.Valid, message: 'the spec is valid and allowed' }, now);
    setCondition(status, { type: 'Progressing', status: 'True', reason: REASONS.RestoringResources, message: `restoring snapshot ${source.snapshotId.slice(0, 12)}` }, now);
    await this.#d.objects.patchStatus(refOf(obj, RESTORE_PLURAL), status);
  }

  async #wait(obj: KubeObjectJson, r: Refusal): Promise<ReconcileResult> {
    const status = freshStatus<RestoreStatus>(obj);
    status.phase ??= 'New';
    setCondition(status, { type: 'Accepted', status: 'False', reason: r.reason, message: r.message }, this.#d.clock.now());
    await this.#d.objects.patchStatus(refOf(obj, RESTORE_PLURAL), status);
    return { requeueAfterMs: r.retryAfterMs ?? 30_000 };
  }

  async #fail(obj: KubeObjectJson, r: Refusal, base?: RestoreStatus): Promise<undefined> {
    const now = this.#d.clock.now();
    const status = base ?? freshStatus<RestoreStatus>(obj);
    status.phase = 'Failed';
    status.completionTime = now.toISOString();
    status.errors = [...(status.errors ?? []), r.message].slice(-100);
    if (r.reason !== REASONS.Failed && r.reason !== REASONS.Cancelled) setCondition(status, { type: 'Accepted', status: 'False', reason: r.reason, message: r.message }, now);
    setCondition(status, { type: 'Succeeded', status: 'False', reason: 'Failed', message: r.message }, now);
    await this.#d.objects.patchStatus(refOf(obj, RESTORE_PLURAL), status);
    await this.#d.objects.event(obj, 'Warning', r.reason, r.message);
    return undefined;
  }

  async #finish(obj: KubeObjectJson, source: Source, result: RestoreResourcesResult, status: RestoreStatus): Promise<undefined> {
    const now = this.#d.clock.now();
    const { counts, resources, resourcesTruncated } = statusResources(result.resources);
    const failed = result.resources.filter((r) => r.outcome === 'Failed').length;
    status.phase = failed > 0 ? 'PartiallyFailed' : 'Completed';
    status.completionTime = now.toISOString();
    Object.assign(status, { counts, resources, resourcesTruncated, ...(source.backup ? { backupName: source.backup.split('/')[1] } : {}) });
    if (result.warnings.length > 0) status.warnings = result.warnings.slice(0, 100);
    setCondition(status, { type: 'Accepted', status: 'True', reason: REASONS.Valid, message: 'the spec is valid and allowed' }, now);
    setCondition(status, { type: 'Progressing', status: 'False', reason: REASONS.Done, message: 'restore finished' }, now);
    setCondition(status, { type: 'Succeeded', status: 'True', reason: status.phase, message: `${result.resources.length} object(s), ${failed} failed` }, now);
    await this.#d.objects.patchStatus(refOf(obj, RESTORE_PLURAL), status);
    await this.#d.objects.event(obj, failed > 0 ? 'Warning' : 'Normal', status.phase, `${result.resources.length} object(s) restored from snapshot ${source.snapshotId.slice(0, 12)}, ${failed} failed`);
    return undefined;
  }
}

function provenanceOf(restore: string, source: Source): { restore: string; backup?: string; snapshotId: string } {
  return { restore, ...(source.backup ? { backup: source.backup } : {}), snapshotId: source.snapshotId };
}

/** The snapshot of a finished (or imported) Backup. */
function restorableSnapshot(backup: KubeObjectJson, imported: string | undefined): string | undefined {
  if (imported !== undefined) return imported;
  const status = (backup.status ?? {}) as BackupStatus;
  return status.phase === 'Completed' || status.phase === 'PartiallyFailed' ? status.snapshotId : undefined;
}

/** Where the objects will land: each namespace of the backup, through the mapping. */
function targetNamespaces(objects: readonly KubeObject[], spec: RestoreSpec): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    const ns = o.metadata?.namespace ?? (o.kind === 'Namespace' ? o.metadata?.name : undefined);
    if (ns !== undefined) out.add(spec.namespaceMapping?.[ns] ?? ns);
  }
  return [...out];
}
