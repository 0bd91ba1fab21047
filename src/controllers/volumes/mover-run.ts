/**
 * Runs one mover Job to its end: creates it (or finds the one an earlier run of the
 * operator created), follows its pod's log for progress, and returns the summary from the
 * container's termination message (else the log's last summary line). A failed mover
 * fails with the tail of its output; a pod that cannot start (a missing Secret key, an
 * image that cannot be pulled) fails after `startGraceMs`. Aborting the signal deletes the
 * Job, and with it the pod, unless `interrupted()` says the operator is stopping: then the
 * Job runs on and the next leader's run adopts it (creating it finds it there).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';
import { CONTAINER } from './mover-job.ts';
import { failureText, findSummary, lastStatus, type MoverStatus, type MoverSummary } from './mover-output.ts';

export interface MoverRun {
  readonly cluster: VolumeCluster;
  readonly job: JsonObject;
  readonly signal: AbortSignal;
  /** True when the abort is the operator's shutdown: the Job is left running. */
  readonly interrupted?: () => boolean;
  readonly onProgress: (status: MoverStatus) => Promise<void>;
  readonly pollMs?: number;
  readonly startGraceMs?: number;
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

interface PodJson extends JsonObject {
  status?: { phase?: string; containerStatuses?: Array<{ name?: string; state?: ContainerState }> };
}

/** Waiting reasons that do not fix themselves quickly. */
const STUCK = new Set(['CreateContainerConfigError', 'CreateContainerError', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'RunContainerError']);

function describeJob(job: JsonObject): string {
  return `mover Job ${job.metadata?.namespace ?? ''}/${job.metadata?.name ?? ''}`;
}

export async function runMoverJob(run: MoverRun): Promise<MoverSummary> {
  const namespace = run.job.metadata?.namespace ?? '';
  const name = run.job.metadata?.name ?? '';
  await run.cluster.create(PATHS.jobs(namespace), run.job);
  const startedAt = Date.now();
  const stuck = { since: undefined as number | undefined };
  try {
    for (;;) {
      run.signal.throwIfAborted();
      const summary = await step(run, namespace, name, stuck);
      if (summary !== undefined) return summary;
      await sleep(Math.min(run.pollMs ?? 1000, 250 + (Date.now() - startedAt) / 4), undefined, { signal: run.signal });
    }
  } catch (err) {
    if (!run.signal.aborted) throw err;
    if (!run.interrupted?.()) await run.cluster.remove(PATHS.jobs(namespace), name).catch(() => undefined);
    throw run.signal.reason instanceof Error ? run.signal.reason : new HoldfastError('INTERRUPTED', `${describeJob(run.job)} was stopped: ${messageOf(run.signal.reason)}`);
  }
}

/** One look at the Job: its summary once it succeeded, an error once it failed, else progress. */
async function step(run: MoverRun, namespace: string, name: string, stuck: { since: number | undefined }): Promise<MoverSummary | undefined> {
  const job = await run.cluster.get(PATHS.jobs(namespace), name);
  if (job === undefined) throw new HoldfastError('INTERRUPTED', `${describeJob(run.job)} was deleted while it ran`);
  const pod = await moverPod(run.cluster, namespace, name);
  const outcome = jobOutcome(job);
  if (outcome === 'succeeded') return summaryOf(run, pod);
  if (outcome === 'failed') throw new HoldfastError('COMMAND_FAILED', `${describeJob(run.job)} failed: ${await failureOf(run, job, pod)}`);
  if (pod === undefined) return undefined;
  checkStuck(run, pod, stuck);
  if (pod.status?.phase === 'Running') await reportProgress(run, namespace, pod);
  return undefined;
}

function checkStuck(run: MoverRun, pod: PodJson, stuck: { since: number | undefined }): void {
  const waiting = containerState(pod)?.waiting;
  const reason = waiting?.reason ?? '';
  stuck.since = STUCK.has(reason) ? (stuck.since ?? Date.now()) : undefined;
  if (stuck.since !== undefined && Date.now() - stuck.since > (run.startGraceMs ?? 120_000)) {
    throw new HoldfastError('COMMAND_FAILED', `${describeJob(run.job)} cannot start: ${reason}: ${waiting?.message ?? ''}`);
  }
}

function jobOutcome(job: JsonObject): 'succeeded' | 'failed' | undefined {
  const status = (job.status ?? {}) as { succeeded?: number; failed?: number; conditions?: Array<{ type?: string; status?: string }> };
  const condition = (type: string): boolean => (status.conditions ?? []).some((c) => c.type === type && c.status === 'True');
  if (condition('Complete') || (status.succeeded ?? 0) > 0) return 'succeeded';
  if (condition('Failed') || (status.failed ?? 0) > 0) return 'failed';
  return undefined;
}

async function moverPod(cluster: VolumeCluster, namespace: string, job: string): Promise<PodJson | undefined> {
  const pods = await cluster.list<PodJson>(PATHS.pods(namespace), `job-name=${job}`);
  return pods.at(-1);
}

function containerState(pod: PodJson): ContainerState | undefined {
  return (pod.status?.containerStatuses ?? []).find((c) => c.name === CONTAINER)?.state;
}

async function reportProgress(run: MoverRun, namespace: string, pod: PodJson): Promise<void> {
  const log = await run.cluster.podLog(namespace, pod.metadata?.name ?? '', CONTAINER, 5);
  const status = log === undefined ? undefined : lastStatus(log);
  if (status !== undefined) await run.onProgress(status);
}

async function summaryOf(run: MoverRun, pod: PodJson | undefined): Promise<MoverSummary> {
  const message = pod ? (containerState(pod)?.terminated?.message ?? '') : '';
  const fromMessage = findSummary(message);
  if (fromMessage !== undefined) return fromMessage;
  const log = pod ? await logTail(run.cluster, pod, 20) : undefined;
  const fromLog = log === undefined ? undefined : findSummary(log);
  if (fromLog !== undefined) return fromLog;
  throw new HoldfastError('COMMAND_FAILED', `${describeJob(run.job)} succeeded but left no summary (termination message or log)`);
}

async function failureOf(run: MoverRun, job: JsonObject, pod: PodJson | undefined): Promise<string> {
  const terminated = pod ? containerState(pod)?.terminated : undefined;
  let text = failureText(terminated?.message ?? '');
  if (text === '' && pod) text = failureText((await logTail(run.cluster, pod, 20)) ?? '');
  if (text === '') text = jobFailure(job);
  const code = terminated?.exitCode === undefined ? '' : ` (exit code ${terminated.exitCode})`;
  return `${text || 'no output'}${code}`;
}

function jobFailure(job: JsonObject): string {
  const conditions = ((job.status ?? {}) as { conditions?: Array<{ type?: string; reason?: string; message?: string }> }).conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed');
  return [failed?.reason, failed?.message].filter(Boolean).join(': ');
}

function logTail(cluster: VolumeCluster, pod: PodJson, lines: number): Promise<string | undefined> {
  const meta = pod.metadata ?? {};
  return cluster.podLog(meta.namespace ?? '', meta.name ?? '', CONTAINER, lines);
}
