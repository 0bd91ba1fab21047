/**
 * BackupRepository: connects to (or initializes) the repository a spec names and reports
 * what it found. Steps, each idempotent:
 *   1. read the object (gone → nothing to do) and parse its spec (invalid → Accepted=False);
 *   2. resolve the password and S3 credentials from their Secrets (missing → Accepted=False);
 *   3. open the repository, creating it when `initialize: if-missing` (Ready=True with id
 *      and sizes, or Ready=False naming why: WrongPassword, NotInitialized, Unreachable);
 *   4. write the status when it changed, and look again after the recheck period.
 */
import type { Clock } from '../../core/clock.ts';
import { isHoldfastError, messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import { parseWith } from '../../k8s/api/parse.ts';
import { backupRepositorySpecSchema, type BackupRepositorySpec, type BackupRepositoryStatus } from '../../k8s/api/backup-repository.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import { setCondition } from '../../k8s/status/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { freshStatus, refOf } from '../object-status.ts';
import type { RepositoryGateway, RepositoryInfo, RepositoryTarget } from '../ports.ts';
import { repositoryTarget } from './target.ts';

export const PLURAL = 'backuprepositories';
const RECHECK_MS = 5 * 60_000;

export interface BackupRepositoryDeps {
  readonly objects: HoldfastObjects;
  readonly gateway: RepositoryGateway;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type Verdict =
  | { readonly accepted: false; readonly reason: string; readonly message: string }
  | { readonly accepted: true; readonly ready: false; readonly reason: string; readonly message: string }
  | { readonly accepted: true; readonly ready: true; readonly info: RepositoryInfo; readonly location: string };

export class BackupRepositoryReconciler implements Reconciler {
  readonly #d: BackupRepositoryDeps;

  constructor(deps: BackupRepositoryDeps) {
    this.#d = deps;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const obj = await this.#d.objects.get({ plural: PLURAL, name: key });
    if (obj === undefined) return undefined;
    const verdict = await this.#judge(obj);
    await this.#report(obj, verdict);
    return { requeueAfterMs: RECHECK_MS };
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
      return { accepted: true, ready: true, info: await this.#d.gateway.probe(target, { initialize }), location: target.location };
    } catch (err) {
      return { accepted: true, ready: false, reason: readyReason(err), message: messageOf(err) };
    }
  }

  async #report(obj: KubeObjectJson, v: Verdict): Promise<void> {
    const status = statusFor(obj, v, this.#d.clock.now());
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

function readyReason(err: unknown): string {
  if (isHoldfastError(err, 'WRONG_PASSWORD')) return REASONS.WrongPassword;
  if (isHoldfastError(err, 'REPO_NOT_FOUND')) return REASONS.NotInitialized;
  if (isHoldfastError(err, 'STORAGE_PERMISSION')) return REASONS.AuthenticationFailed;
  return REASONS.Unreachable;
}
