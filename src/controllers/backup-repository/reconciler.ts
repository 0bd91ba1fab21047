/**
 * BackupRepository: connects to (or initializes) the repository a spec names and reports
 * what it found. Steps, each idempotent:
 *   1. read the object (gone → nothing to do) and parse its spec (invalid → Accepted=False);
 *   2. resolve the password and S3 credentials from their Secrets (missing → Accepted=False);
 *   3. open the repository, creating it when `initialize: if-missing` (Ready=True with id
 *      and sizes, or Ready=False naming why: WrongPassword, NotInitialized, Unreachable);
 *   4. catalog sync (catalog.ts), unless spec.catalog.enabled is false: the backups of
 *      other clusters in the repository become imported Backups here;
 *   5. write the status when it changed, and look again after the recheck period (or the
 *      catalog interval, when shorter).
 */
import { isHoldfastError, messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import { parseWith } from '../../k8s/api/parse.ts';
import { backupRepositorySpecSchema, type BackupRepositorySpec, type BackupRepositoryStatus } from '../../k8s/api/backup-repository.ts';
import type { KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import { setCondition } from '../../k8s/status/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { freshStatus, refOf } from '../object-status.ts';
import type { RepositoryGateway, RepositoryInfo, RepositoryTarget, ResourceArchive } from '../ports.ts';
import { syncCatalog, type CatalogDeps, type CatalogResult } from './catalog.ts';
import { parseGoDuration } from '../../k8s/api/duration.ts';
import { repositoryTarget } from './target.ts';

export const PLURAL = 'backuprepositories';
const RECHECK_MS = 5 * 60_000;

export interface BackupRepositoryDeps extends Omit<CatalogDeps, 'archive'> {
  readonly gateway: RepositoryGateway;
  /** For the catalog sync; without it there is none. */
  readonly archive?: ResourceArchive;
  readonly logger: Logger;
}

export type Verdict =
  | { readonly accepted: false; readonly reason: string; readonly message: string }
  | { readonly accepted: true; readonly ready: false; readonly reason: string; readonly message: string }
  | { readonly accepted: true; readonly ready: true; readonly info: RepositoryInfo; readonly location: string; readonly spec: BackupRepositorySpec; readonly target: RepositoryTarget };

type CatalogOutcome = { readonly ok: true; readonly result: CatalogResult } | { readonly ok: false; readonly message: string };

export class BackupRepositoryReconciler implements Reconciler {
  readonly #d: BackupRepositoryDeps;

  constructor(deps: BackupRepositoryDeps) {
    this.#d = deps;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const obj = await this.#d.objects.get({ plural: PLURAL, name: key });
    if (obj === undefined) return undefined;
    const verdict = await this.#judge(obj);
    const catalog = verdict.accepted && verdict.ready ? await this.#sync(key, verdict.spec, verdict.target) : undefined;
    await this.#report(obj, verdict, catalog);
    const interval = verdict.accepted && verdict.ready && catalog ? parseGoDuration(verdict.spec.catalog?.interval ?? '5m') : RECHECK_MS;
    return { requeueAfterMs: Math.max(1000, Math.min(RECHECK_MS, interval)) };
  }

  async #sync(name: string, spec: BackupRepositorySpec, target: RepositoryTarget): Promise<CatalogOutcome | undefined> {
    const archive = this.#d.archive;
    if (archive === undefined || spec.catalog?.enabled === false) return undefined;
    try {
      const result = await syncCatalog({ ...this.#d, archive }, name, spec, target);
      if (result.created + result.removed > 0) this.#d.logger.info({ repository: name, ...result }, 'catalog synced');
      return { ok: true, result };
    } catch (err) {
      this.#d.logger.warn({ repository: name, err: messageOf(err) }, 'catalog sync failed');
      return { ok: false, message: messageOf(err) };
    }
  }

  async #judge(obj: KubeObjectJson): Promise<Verdict> {
    let spec: BackupRepositorySpec;
    try {
      spec = parseWith(backupRepositorySpecSchema, obj.spec, `BackupRepository ${obj.metadata?.name ?? ''}`);
    } catch (err) {
      return { accepted: false, reason: REASONS.InvalidSpec, message: messageOf(err) };
    }
    let target: RepositoryTarget;
    try {
      target = await repositoryTarget(spec, this.#d.objects);
    } catch (err) {
      return { accepted: false, reason: REASONS.SecretNotFound, message: messageOf(err) };
    }
    try {
      const initialize = spec.initialize === 'if-missing' && spec.accessMode !== 'read-only';
      return { accepted: true, ready: true, info: await this.#d.gateway.probe(target, { initialize }), location: target.location, spec, target };
    } catch (err) {
      return { accepted: true, ready: false, reason: readyReason(err), message: messageOf(err) };
    }
  }

  async #report(obj: KubeObjectJson, v: Verdict, catalog: CatalogOutcome | undefined): Promise<void> {
    const status = statusFor(obj, v, this.#d.clock.now());
    if (catalog) catalogStatus(status, catalog, this.#d.clock.now());
    const problem = v.accepted && v.ready ? undefined : v;
    if (problem) this.#d.logger.warn({ repository: obj.metadata?.name, reason: problem.reason }, 'repository not ready');
    if (JSON.stringify(status) === JSON.stringify(obj.status ?? {})) return;
    await this.#d.objects.patchStatus(refOf(obj, PLURAL), status);
    if (problem) await this.#d.objects.event(obj, 'Warning', problem.reason, problem.message);
  }
}

/** The status a verdict gives: conditions Accepted and Ready, and what the repository holds. */
export function statusFor(obj: KubeObjectJson, v: Verdict, now: Date): BackupRepositoryStatus {
  const status = freshStatus<BackupRepositoryStatus>(obj);
  const generation = status.observedGeneration;
  const accepted = v.accepted
    ? { status: 'True' as const, reason: REASONS.Valid, message: 'the spec is valid' }
    : { status: 'False' as const, reason: v.reason, message: v.message };
  setCondition(status, { type: 'Accepted', ...accepted, observedGeneration: generation }, now);
  if (v.accepted && v.ready) {
    Object.assign(status, { initialized: true, repositoryId: v.info.id, formatVersion: v.info.formatVersion, size: { storedBytes: v.info.storedBytes, packs: v.info.packs, snapshots: v.info.snapshots } });
    setCondition(status, { type: 'Ready', status: 'True', reason: REASONS.Connected, message: `opened repository ${v.info.id.slice(0, 12)} at ${v.location}`, observedGeneration: generation }, now);
  } else {
    setCondition(status, { type: 'Ready', status: 'False', reason: v.accepted ? v.reason : REASONS.Pending, message: v.message, observedGeneration: generation }, now);
  }
  return status;
}

function catalogStatus(status: BackupRepositoryStatus, c: CatalogOutcome, now: Date): void {
  if (!c.ok) {
    setCondition(status, { type: 'CatalogSynced', status: 'False', reason: REASONS.SyncFailed, message: c.message }, now);
    return;
  }
  status.catalog = { lastSyncTime: now.toISOString(), importedBackups: c.result.imported, clusters: c.result.clusters };
  const message = `${c.result.imported} backup(s) of ${c.result.clusters.length} other cluster(s)`;
  setCondition(status, { type: 'CatalogSynced', status: 'True', reason: REASONS.Synced, message }, now);
}

function readyReason(err: unknown): string {
  if (isHoldfastError(err, 'WRONG_PASSWORD')) return REASONS.WrongPassword;
  if (isHoldfastError(err, 'REPO_NOT_FOUND')) return REASONS.NotInitialized;
  if (isHoldfastError(err, 'STORAGE_PERMISSION')) return REASONS.AuthenticationFailed;
  return REASONS.Unreachable;
}
