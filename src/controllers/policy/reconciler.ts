/**
 * BackupPolicy: makes Backups on a cron schedule and keeps only what its retention says.
 * Each reconcile (idempotent; time from the injected clock):
 *   1. parse the spec and the schedule (invalid → Accepted=False, nothing runs);
 *   2. the run due since the last one (lastScheduleTime, else the policy's creation):
 *      skipped when missed by more than startingDeadlineSeconds, or — with Forbid —
 *      while a Backup of the policy still runs; with Replace the running ones are
 *      deleted; else a Backup named after the run time is created (twice is harmless);
 *   3. retention deletes expired Backups (their finalizer forgets the snapshots), never
 *      the newest successful one;
 *   4. RPOMet from the newest successful Backup; status; requeue at the next run.
 */
import type { Clock } from '../../core/clock.ts';
import { messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { backupPolicySpecSchema, backupSpecFromPolicy, type BackupPolicySpec, type BackupPolicyStatus } from '../../k8s/api/backup-policy.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import { parseGoDuration } from '../../k8s/api/duration.ts';
import { API_VERSION, LABELS } from '../../k8s/api/group.ts';
import { parseWith } from '../../k8s/api/parse.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import { setCondition } from '../../k8s/status/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { freshStatus, refOf } from '../object-status.ts';
import { retentionPlan, type PolicyBackup } from './retention-plan.ts';
import { dueRun, nextRun, parseSchedule, runName } from './schedule.ts';

export const POLICY_PLURAL = 'backuppolicies';
const RUNNING = new Set(['New', 'InProgress', undefined]);
const RECHECK_MS = 5 * 60_000;

export interface PolicyDeps {
  readonly objects: HoldfastObjects;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Seconds since the newest successful Backup, for the RPO metric. */
  readonly observeRpo?: (policy: string, seconds: number | undefined) => void;
}

export class BackupPolicyReconciler implements Reconciler {
  readonly #d: PolicyDeps;

  constructor(deps: PolicyDeps) {
    this.#d = deps;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const [namespace = '', name = ''] = key.split('/');
    const obj = await this.#d.objects.get({ plural: POLICY_PLURAL, namespace, name });
    if (obj === undefined || obj.metadata?.deletionTimestamp) return undefined;
    const now = this.#d.clock.now();
    const status = freshStatus<BackupPolicyStatus>(obj);
    let spec: BackupPolicySpec;
    let cron;
    try {
      spec = parseWith(backupPolicySpecSchema, obj.spec, `BackupPolicy ${key}`);
      cron = parseSchedule(spec.schedule.cron, spec.schedule.timeZone);
    } catch (err) {
      setCondition(status, { type: 'Accepted', status: 'False', reason: REASONS.InvalidSpec, message: messageOf(err) }, now);
      await this.#d.objects.patchStatus(refOf(obj, POLICY_PLURAL), status);
      return undefined;
    }
    setCondition(status, { type: 'Accepted', status: 'True', reason: REASONS.Valid, message: 'the spec is valid' }, now);
    let backups = await this.#backups(obj);
    if (!spec.schedule.suspend) backups = await this.#schedule(obj, spec, cron, status, backups);
    await this.#retain(obj, spec, status, backups);
    this.#rpo(key, spec, status, backups);
    const next = spec.schedule.suspend ? undefined : nextRun(cron, now);
    if (next) status.nextScheduleTime = next.toISOString();
    await this.#d.objects.patchStatus(refOf(obj, POLICY_PLURAL), status);
    const untilNext = next ? next.getTime() - now.getTime() : RECHECK_MS;
    return { requeueAfterMs: Math.max(1000, Math.min(untilNext, RECHECK_MS)) };
  }

  async #backups(obj: KubeObjectJson): Promise<PolicyBackup[]> {
    const items = await this.#d.objects.list('backups', obj.metadata?.namespace ?? '', `${LABELS.policy}=${obj.metadata?.name ?? ''}`);
    return items.map((b) => {
      const st = (b.status ?? {}) as { phase?: string; completionTime?: string };
      return { name: b.metadata?.name ?? '', phase: st.phase, time: st.completionTime ?? String(b.metadata?.creationTimestamp ?? '') };
    });
  }

  async #schedule(obj: KubeObjectJson, spec: BackupPolicySpec, cron: ReturnType<typeof parseSchedule>, status: BackupPolicyStatus, backups: PolicyBackup[]): Promise<PolicyBackup[]> {
    const now = this.#d.clock.now();
    const since = new Date(status.lastScheduleTime ?? String(obj.metadata?.creationTimestamp ?? now.toISOString()));
    const due = dueRun(cron, since, now);
    if (due === undefined) return backups;
    status.lastScheduleTime = due.toISOString();
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const running = backups.filter((b) => RUNNING.has(b.phase));
    const skip = skipReason(spec, due, now, running);
    if (skip) {
      this.#d.logger.info({ policy: `${namespace}/${name}`, run: due.toISOString() }, skip);
      return backups;
    }
    if (spec.schedule.concurrencyPolicy === 'Replace') {
      for (const b of running) await this.#d.objects.delete({ plural: 'backups', namespace, name: b.name });
    }
    const backupName = runName(name, due);
    await this.#d.objects.create('backups', namespace, {
      apiVersion: API_VERSION,
      kind: 'Backup',
      metadata: { name: backupName, labels: { ...(spec.backupLabels ?? {}), [LABELS.policy]: name } },
      spec: backupSpecFromPolicy(spec),
    });
    status.lastBackupName = backupName;
    return [...backups.filter((b) => b.name !== backupName), { name: backupName, phase: undefined, time: now.toISOString() }];
  }

  async #retain(obj: KubeObjectJson, spec: BackupPolicySpec, status: BackupPolicyStatus, backups: PolicyBackup[]): Promise<void> {
    const plan = retentionPlan(backups, spec.keep, spec.failedBackupsHistoryLimit);
    for (const name of plan.remove) await this.#d.objects.delete({ plural: 'backups', namespace: obj.metadata?.namespace ?? '', name });
    if (plan.remove.length > 0 || status.retention === undefined) {
      status.retention = { lastAppliedAt: this.#d.clock.now().toISOString(), kept: plan.keep.length, deleted: plan.remove.length };
    }
    status.active = backups.filter((b) => RUNNING.has(b.phase)).map((b) => b.name);
    setCondition(status, { type: 'RetentionApplied', status: 'True', reason: REASONS.Done, message: `kept ${plan.keep.length}, deleted ${plan.remove.length}` }, this.#d.clock.now());
  }

  #rpo(key: string, spec: BackupPolicySpec, status: BackupPolicyStatus, backups: PolicyBackup[]): void {
    const now = this.#d.clock.now();
    const newest = backups.filter((b) => b.phase === 'Completed' || b.phase === 'PartiallyFailed').sort((a, b) => b.time.localeCompare(a.time))[0];
    if (newest) Object.assign(status, { lastSuccessfulBackupName: newest.name, lastSuccessfulTime: newest.time });
    const age = newest ? (now.getTime() - Date.parse(newest.time)) / 1000 : undefined;
    this.#d.observeRpo?.(key, age);
    if (spec.rpo === undefined) return;
    const objective = parseGoDuration(spec.rpo) / 1000;
    const cond = age === undefined
      ? { status: 'False' as const, reason: REASONS.NoSuccessfulBackup, message: 'no Backup of this policy has succeeded yet' }
      : age <= objective
        ? { status: 'True' as const, reason: REASONS.WithinObjective, message: `newest successful Backup is ${Math.round(age)} s old (objective ${spec.rpo})` }
        : { status: 'False' as const, reason: REASONS.ObjectiveMissed, message: `newest successful Backup is ${Math.round(age)} s old, over the objective ${spec.rpo}` };
    setCondition(status, { type: 'RPOMet', ...cond }, now);
  }
}

/** Why the due run is not started, or undefined to start it. */
function skipReason(spec: BackupPolicySpec, due: Date, now: Date, running: readonly PolicyBackup[]): string | undefined {
  const deadline = spec.schedule.startingDeadlineSeconds;
  if (deadline !== undefined && now.getTime() - due.getTime() > deadline * 1000) return `run missed its starting deadline of ${deadline} s; skipped`;
  if (running.length > 0 && spec.schedule.concurrencyPolicy === 'Forbid') return `Backup ${running.map((b) => b.name).join(', ')} still runs; run skipped (Forbid)`;
  return undefined;
}
