/**
 * BackupPolicy and ClusterBackupPolicy: make Backups on a cron schedule and keep only
 * what the retention says. Each reconcile (idempotent; time from the injected clock):
 *   1. parse the spec and the schedule (invalid → Accepted=False, nothing runs);
 *   2. find the policy's units (policy-kinds.ts: its namespace, or the namespaces a
 *      ClusterBackupPolicy selects) and the Backups it made;
 *   3. the run due since the last one (lastScheduleTime, else the policy's creation):
 *      skipped when missed by more than startingDeadlineSeconds, or — with Forbid — in a
 *      unit where a Backup of the policy still runs; with Replace the running ones are
 *      deleted; else a Backup named after the run time is created (twice is harmless);
 *   4. retention, per unit, deletes expired Backups (their finalizer forgets the
 *      snapshots), never the newest successful one;
 *   5. RPOMet from the oldest of the units' newest successes; status; requeue at the
 *      next run.
 */
import type { Clock } from '../../core/clock.ts';
import { messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { BackupPolicyStatus, ClusterBackupPolicyStatus } from '../../k8s/api/backup-policy.ts';
import { REASONS } from '../../k8s/api/condition-types.ts';
import { parseGoDuration } from '../../k8s/api/duration.ts';
import { API_VERSION } from '../../k8s/api/group.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import { setCondition } from '../../k8s/status/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { freshStatus, refOf } from '../object-status.ts';
import { backupSpecForUnit, namespacedPolicy, type PolicyKind, type PolicySpec, type PolicyUnit } from './policy-kinds.ts';
import { retentionPlan, type PolicyBackup } from './retention-plan.ts';
import { dueRun, nextRun, parseSchedule, runName } from './schedule.ts';

export const POLICY_PLURAL = 'backuppolicies';
const RUNNING = new Set(['New', 'InProgress', undefined]);
const RECHECK_MS = 5 * 60_000;

type Status = BackupPolicyStatus & Pick<ClusterBackupPolicyStatus, 'namespaces'>;

/** A Backup of the policy, with the namespace it lives in. */
interface UnitBackup extends PolicyBackup {
  readonly namespace: string;
}

export interface PolicyDeps {
  readonly objects: HoldfastObjects;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where a ClusterBackupPolicy with backupPer: policy puts its Backups. */
  readonly operatorNamespace?: string;
  /** Seconds since the newest successful Backup, for the RPO metric. */
  readonly observeRpo?: (policy: string, seconds: number | undefined) => void;
}

export class BackupPolicyReconciler implements Reconciler {
  readonly #d: PolicyDeps;
  readonly #kind: PolicyKind;

  constructor(deps: PolicyDeps, kind: PolicyKind = namespacedPolicy) {
    this.#d = deps;
    this.#kind = kind;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const obj = await this.#d.objects.get(this.#kind.ref(key));
    if (obj === undefined || obj.metadata?.deletionTimestamp) return undefined;
    const now = this.#d.clock.now();
    const status = freshStatus<Status>(obj);
    let spec: PolicySpec;
    let cron;
    try {
      spec = this.#kind.parse(obj, key);
      cron = parseSchedule(spec.schedule.cron, spec.schedule.timeZone);
    } catch (err) {
      setCondition(status, { type: 'Accepted', status: 'False', reason: REASONS.InvalidSpec, message: messageOf(err) }, now);
      await this.#d.objects.patchStatus(refOf(obj, this.#kind.plural), status);
      await this.#d.objects.event(obj, 'Warning', REASONS.InvalidSpec, messageOf(err));
      return undefined;
    }
    setCondition(status, { type: 'Accepted', status: 'True', reason: REASONS.Valid, message: 'the spec is valid' }, now);
    const units = await this.#kind.units(this.#d.objects, obj, spec, this.#d.operatorNamespace ?? '');
    let backups = await this.#backups(obj);
    if (!spec.schedule.suspend) backups = await this.#schedule(obj, spec, cron, status, { units, backups });
    await this.#retain(spec, status, units, backups);
    this.#rpo(key, spec, status, units, backups);
    const next = spec.schedule.suspend ? undefined : nextRun(cron, now);
    if (next) status.nextScheduleTime = next.toISOString();
    await this.#d.objects.patchStatus(refOf(obj, this.#kind.plural), status);
    const untilNext = next ? next.getTime() - now.getTime() : RECHECK_MS;
    return { requeueAfterMs: Math.max(1000, Math.min(untilNext, RECHECK_MS)) };
  }

  async #backups(obj: KubeObjectJson): Promise<UnitBackup[]> {
    const items = await this.#kind.backups(this.#d.objects, obj);
    return items.map((b) => {
      const st = (b.status ?? {}) as { phase?: string; completionTime?: string };
      return { namespace: b.metadata?.namespace ?? '', name: b.metadata?.name ?? '', phase: st.phase, time: st.completionTime ?? String(b.metadata?.creationTimestamp ?? '') };
    });
  }

  async #schedule(obj: KubeObjectJson, spec: PolicySpec, cron: ReturnType<typeof parseSchedule>, status: Status, state: { units: PolicyUnit[]; backups: UnitBackup[] }): Promise<UnitBackup[]> {
    const now = this.#d.clock.now();
    const since = new Date(status.lastScheduleTime ?? String(obj.metadata?.creationTimestamp ?? now.toISOString()));
    const due = dueRun(cron, since, now);
    if (due === undefined) return state.backups;
    status.lastScheduleTime = due.toISOString();
    let backups = state.backups;
    for (const unit of state.units) {
      const created = await this.#run(obj, spec, unit, due, backups);
      if (created === undefined) continue;
      status.lastBackupName = this.#kind.kind === 'BackupPolicy' ? created.name : `${created.namespace}/${created.name}`;
      backups = [...backups.filter((b) => b.namespace !== created.namespace || b.name !== created.name), created];
    }
    return backups;
  }

  /** Creates the unit's Backup for the run at `due`, unless the run is skipped there. */
  async #run(obj: KubeObjectJson, spec: PolicySpec, unit: PolicyUnit, due: Date, backups: readonly UnitBackup[]): Promise<UnitBackup | undefined> {
    const now = this.#d.clock.now();
    const policy = obj.metadata?.name ?? '';
    const running = backups.filter((b) => b.namespace === unit.namespace && RUNNING.has(b.phase));
    const skip = skipReason(spec, due, now, running);
    if (skip) {
      this.#d.logger.info({ policy, namespace: unit.namespace, run: due.toISOString() }, skip);
      return undefined;
    }
    if (spec.schedule.concurrencyPolicy === 'Replace') {
      for (const b of running) await this.#d.objects.delete({ plural: 'backups', namespace: b.namespace, name: b.name });
    }
    const name = runName(policy, due);
    await this.#d.objects.create('backups', unit.namespace, {
      apiVersion: API_VERSION,
      kind: 'Backup',
      metadata: { name, labels: { ...(spec.backupLabels ?? {}), [this.#kind.label]: policy } },
      spec: backupSpecForUnit(this.#kind, spec, unit),
    });
    return { namespace: unit.namespace, name, phase: undefined, time: now.toISOString() };
  }

  async #retain(spec: PolicySpec, status: Status, units: readonly PolicyUnit[], backups: readonly UnitBackup[]): Promise<void> {
    let kept = 0;
    let deleted = 0;
    for (const namespace of unitNamespaces(units, backups)) {
      const plan = retentionPlan(backups.filter((b) => b.namespace === namespace), spec.keep, spec.failedBackupsHistoryLimit);
      for (const name of plan.remove) await this.#d.objects.delete({ plural: 'backups', namespace, name });
      kept += plan.keep.length;
      deleted += plan.remove.length;
    }
    if (deleted > 0 || status.retention === undefined) status.retention = { lastAppliedAt: this.#d.clock.now().toISOString(), kept, deleted };
    status.active = backups.filter((b) => RUNNING.has(b.phase)).map((b) => this.#kind.kind === 'BackupPolicy' ? b.name : `${b.namespace}/${b.name}`);
    setCondition(status, { type: 'RetentionApplied', status: 'True', reason: REASONS.Done, message: `kept ${kept}, deleted ${deleted}` }, this.#d.clock.now());
  }

  #rpo(key: string, spec: PolicySpec, status: Status, units: readonly PolicyUnit[], backups: readonly UnitBackup[]): void {
    const now = this.#d.clock.now();
    const newest = units.map((u) => ({ unit: u, backup: newestSuccess(backups.filter((b) => b.namespace === u.namespace)) }));
    if (this.#kind.kind === 'ClusterBackupPolicy') status.namespaces = perNamespace(newest, backups);
    const latest = newestSuccess(backups);
    if (latest) Object.assign(status, { lastSuccessfulBackupName: this.#kind.kind === 'BackupPolicy' ? latest.name : `${latest.namespace}/${latest.name}`, lastSuccessfulTime: latest.time });
    const missing = newest.filter((n) => n.backup === undefined).map((n) => n.unit.namespace);
    const oldest = newest.map((n) => n.backup?.time).filter((t) => t !== undefined).sort()[0];
    const age = missing.length > 0 || oldest === undefined ? undefined : (now.getTime() - Date.parse(oldest)) / 1000;
    this.#d.observeRpo?.(key, age);
    if (spec.rpo === undefined) return;
    const objective = parseGoDuration(spec.rpo) / 1000;
    const cond = age === undefined
      ? { status: 'False' as const, reason: REASONS.NoSuccessfulBackup, message: missing.length > 0 && this.#kind.kind === 'ClusterBackupPolicy' ? `no successful Backup yet in ${missing.join(', ')}` : 'no Backup of this policy has succeeded yet' }
      : age <= objective
        ? { status: 'True' as const, reason: REASONS.WithinObjective, message: `newest successful Backup is ${Math.round(age)} s old (objective ${spec.rpo})` }
        : { status: 'False' as const, reason: REASONS.ObjectiveMissed, message: `newest successful Backup is ${Math.round(age)} s old, over the objective ${spec.rpo}` };
    setCondition(status, { type: 'RPOMet', ...cond }, now);
  }
}

/** Why the due run is not started, or undefined to start it. */
function skipReason(spec: PolicySpec, due: Date, now: Date, running: readonly PolicyBackup[]): string | undefined {
  const deadline = spec.schedule.startingDeadlineSeconds;
  if (deadline !== undefined && now.getTime() - due.getTime() > deadline * 1000) return `run missed its starting deadline of ${deadline} s; skipped`;
  if (running.length > 0 && spec.schedule.concurrencyPolicy === 'Forbid') return `Backup ${running.map((b) => b.name).join(', ')} still runs; run skipped (Forbid)`;
  return undefined;
}

function newestSuccess<B extends PolicyBackup>(backups: readonly B[]): B | undefined {
  return backups.filter((b) => b.phase === 'Completed' || b.phase === 'PartiallyFailed').sort((a, b) => b.time.localeCompare(a.time))[0];
}

/** Every namespace retention looks at: the units', and where older Backups of the policy are. */
function unitNamespaces(units: readonly PolicyUnit[], backups: readonly UnitBackup[]): string[] {
  return [...new Set([...units.map((u) => u.namespace), ...backups.map((b) => b.namespace)])];
}

function perNamespace(newest: ReadonlyArray<{ unit: PolicyUnit; backup: UnitBackup | undefined }>, backups: readonly UnitBackup[]): NonNullable<Status['namespaces']> {
  return newest.map(({ unit, backup }) => {
    const last = backups.filter((b) => b.namespace === unit.namespace).sort((a, b) => b.time.localeCompare(a.time))[0];
    return { namespace: unit.namespace, ...(last ? { lastBackupName: last.name } : {}), ...(backup ? { lastSuccessfulTime: backup.time } : {}) };
  });
}
