/**
 * Dump steps: the step's command runs in one pod of the database and its standard
 * output streams straight into the repository as one snapshot per artifact (nothing is
 * staged on disk). The snapshot is published only once the command exited with status
 * 0, so a failed dump leaves no snapshot. Each dump is recorded in status.dumps
 * (Running → Completed or Failed) and its snapshot in status.snapshots; a dump already
 * Completed by an earlier, interrupted run of the same Backup is kept, not redone.
 */
import { hostname } from 'node:os';
import { HoldfastError } from '../../core/errors.ts';
import type { BackupDumpStatus } from '../../k8s/api/backup.ts';
import { GROUP } from '../../k8s/api/group.ts';
import type { BackupRunContext } from '../backup/stages.ts';
import { execWhat, podLabel, resultOf, stepError, stepPods, type Ended, type StepScope } from './step-runner.ts';
import { artifactOf, type Step } from './steps.ts';

export const DUMP_LABELS = {
  /** The uid of the Backup the dump belongs to (not backup-uid: that label marks its resources snapshot). */
  backupUid: `${GROUP}/dump-of`,
  artifact: `${GROUP}/artifact`,
  member: `${GROUP}/member`,
  engine: 'db.engine',
} as const;

export function snapshotName(member: string | undefined, artifact: string): string {
  return member ? `${member}/${artifact}` : artifact;
}

function entryFor(ctx: BackupRunContext, member: string | undefined, artifact: string): BackupDumpStatus | undefined {
  return (ctx.status.dumps ?? []).find((d) => d.artifact === artifact && d.member === member);
}

async function streamOnce(step: Step, ctx: BackupRunContext, scope: StepScope, labels: Record<string, string>): Promise<{ snapshotId: string; bytes: number; target: string }> {
  const [pod] = await stepPods(step, scope, 'one');
  if (pod === undefined) throw new HoldfastError('ACTION_FAILED', `dump step '${step.name}': no pod`);
  const what = execWhat(step, pod);
  const running = scope.deps.executors.exec(pod, step.action.exec?.command ?? [], { timeoutMs: step.action.timeoutSeconds * 1000, what }).start({ signal: scope.signal });
  running.stdin.on('error', () => undefined);
  running.stdin.end();
  let exited = false;
  const done = running.done.finally(() => { exited = true; });
  done.catch(() => undefined);
  try {
    const saved = await scope.deps.streams.saveStream(ctx.target, running.stdout, {
      filename: artifactOf(step), labels, tags: ['dump'], hostname: hostname(), command: what,
      beforePublish: async () => {
        await done;
      },
    });
    return { snapshotId: saved.snapshotId, bytes: saved.bytes, target: podLabel(pod) };
  } catch (err) {
    throw Object.assign(stepError(step, podLabel(pod), err), { target: podLabel(pod) });
  } finally {
    if (!exited) running.stop();
  }
}

/** Runs one dump step with its retries; throws (after recording) unless the step says `onError: continue`. */
export async function runDump(step: Step, ctx: BackupRunContext, scope: StepScope): Promise<void> {
  if (!step.action.exec) throw new HoldfastError('CONFIG_INVALID', `dump step '${step.name}' (${step.source}): only exec steps can dump (their standard output is the stream)`);
  const artifact = artifactOf(step);
  const member = step.member;
  if (entryFor(ctx, member, artifact)?.phase === 'Completed') return;
  const startedAt = scope.deps.clock.now();
  const entry: BackupDumpStatus = { ...(member ? { member } : {}), artifact, phase: 'Running', startedAt: startedAt.toISOString() };
  ctx.status.dumps = [...(ctx.status.dumps ?? []).filter((d) => !(d.artifact === artifact && d.member === member)), entry];
  await ctx.save();
  const labels = dumpLabels(step, ctx, artifact);
  let attempts = 0;
  let last: unknown;
  while (attempts <= step.action.retries) {
    attempts++;
    try {
      const r = await streamOnce(step, ctx, scope, labels);
      Object.assign(entry, { phase: 'Completed', snapshotId: r.snapshotId, bytes: r.bytes, completedAt: scope.deps.clock.now().toISOString() });
      ctx.status.snapshots = [...(ctx.status.snapshots ?? []), { id: r.snapshotId, type: 'dump', name: snapshotName(member, artifact) }];
      await scope.record({ ...resultOf(step, r.target, { startedAt, finishedAt: scope.deps.clock.now(), attempts }), exitCode: 0, message: `${r.bytes} bytes in snapshot ${r.snapshotId.slice(0, 12)}` });
      return;
    } catch (err) {
      last = err;
      if (scope.signal.aborted) break;
    }
  }
  await recordFailure(step, scope, entry, { startedAt, finishedAt: scope.deps.clock.now(), attempts, err: last });
}

async function recordFailure(step: Step, scope: StepScope, entry: BackupDumpStatus, end: Ended): Promise<void> {
  const target = (end.err as { target?: string }).target ?? '';
  const failure = end.err instanceof HoldfastError ? end.err : stepError(step, target, end.err);
  Object.assign(entry, { phase: 'Failed', message: failure.message.slice(0, 4096), completedAt: end.finishedAt.toISOString() });
  await scope.record({ ...resultOf(step, target, { ...end, err: failure.cause ?? failure }), message: failure.message.slice(0, 4096) });
  if (step.action.onError === 'fail') throw failure;
}

function dumpLabels(step: Step, ctx: BackupRunContext, artifact: string): Record<string, string> {
  const member = step.member;
  return {
    [DUMP_LABELS.backupUid]: ctx.obj.metadata?.uid ?? '', [DUMP_LABELS.artifact]: artifact,
    ...(member ? { [DUMP_LABELS.member]: member } : {}), ...(step.engine ? { [DUMP_LABELS.engine]: step.engine } : {}),
    ...(ctx.spec.snapshotLabels ?? {}),
  };
}
