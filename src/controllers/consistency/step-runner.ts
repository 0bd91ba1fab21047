/**
 * Runs steps and records every outcome. An exec step runs in its pods (one, or all in
 * hook order), an HTTP step from the operator, a Job step as a Job. Each attempt is
 * bounded by the step's timeout; a failed attempt is retried `retries` more times after
 * a pause. Each pod's (or call's) result goes into status.hooks and is saved at once;
 * the last failure either stops the run (`onError: fail`, with the failure's own code,
 * classified by the recipe's engine: wrong password, unreachable database) or is only
 * recorded (`continue`). Secret parameter values never reach a message.
 */
import type { Clock } from '../../core/clock.ts';
import { HoldfastError, isHoldfastError, messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecOutput, Executor } from '../../consistency/executors/executor.ts';
import type { HookResult } from '../../k8s/api/results.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import type { KubeHttp } from '../../k8s/resources/kube-http.ts';
import type { ActionExecutors } from '../actions/cluster-executors.ts';
import { HttpStatusError, urlHost } from '../actions/http-action.ts';
import type { JobOwner } from '../actions/job-action.ts';
import { PodExecError, type PodTarget } from '../actions/pod-exec.ts';
import type { StreamArchive } from '../ports.ts';
import { classifyFailure } from './classify.ts';
import { redact } from './parameters.ts';
import { choosePods, listPods } from './pods.ts';
import type { Step } from './steps.ts';

export interface ConsistencyDeps {
  readonly objects: HoldfastObjects;
  readonly http: KubeHttp;
  readonly executors: ActionExecutors;
  readonly streams: StreamArchive;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Pause between attempts; default 1 s. */
  readonly retryDelayMs?: number;
}

/** One Backup's or Restore's run: where results go and what stops it. */
export interface StepScope {
  readonly deps: ConsistencyDeps;
  record(r: HookResult): Promise<void>;
  readonly signal: AbortSignal;
  readonly owner?: JobOwner;
}

interface Target {
  readonly label: string;
  make(): Promise<Executor>;
}

/** The pods an exec step runs in. */
export async function stepPods(step: Step, scope: StepScope, mode = step.action.target?.pods ?? 'one'): Promise<PodTarget[]> {
  const what = `${step.phase} step '${step.name}' (${step.source})`;
  const pods = choosePods(await listPods(scope.deps.http, step.namespace, step.selector), mode, what);
  return pods.map((p) => ({ namespace: p.namespace, pod: p.name, container: step.container ?? p.containers[0] ?? '' }));
}

export function podLabel(t: PodTarget): string {
  return `${t.namespace}/${t.pod}/${t.container}`;
}

function timeoutMs(step: Step): number {
  return step.action.timeoutSeconds * 1000;
}

/** The command as shown in messages: at most 80 characters, secrets blanked. */
export function execWhat(step: Step, t: PodTarget): string {
  const text = redact((step.action.exec?.command ?? []).join(' '), step.params);
  return `exec '${text.length > 80 ? `${text.slice(0, 77)}...` : text}' in ${podLabel(t)}`;
}

async function targets(step: Step, scope: StepScope): Promise<Target[]> {
  const a = step.action;
  const ex = scope.deps.executors;
  if (a.exec) {
    const command = a.exec.command;
    return (await stepPods(step, scope)).map((t) => ({ label: podLabel(t), make: async () => ex.exec(t, command, { timeoutMs: timeoutMs(step), what: execWhat(step, t) }) }));
  }
  if (a.http) {
    const http = a.http;
    return [{ label: urlHost(http.url), make: () => ex.http(http, step.namespace, timeoutMs(step)) }];
  }
  if (a.job) {
    const job = a.job;
    const spec = { namespace: step.namespace, step: step.name, action: job, timeoutMs: timeoutMs(step), ...(scope.owner ? { owner: scope.owner } : {}) };
    return [{ label: `Job ${step.namespace}/${step.name}-…`, make: async () => ex.job(spec) }];
  }
  throw new HoldfastError('CONFIG_INVALID', `step '${step.name}' has no exec, http or job`);
}

export function outcomeOf(err: unknown): HookResult['outcome'] {
  return isHoldfastError(err, 'ACTION_TIMEOUT') ? 'TimedOut' : 'Failed';
}

/** The failure as the user should read it: classified by the engine, secrets blanked, the step named. */
export function stepError(step: Step, target: string, err: unknown, attempts = 1): HoldfastError {
  const display = `${step.phase} step '${step.name}' (${step.source}) on ${target}`;
  const classified = classifyFailure(step.engine, display, err, isHoldfastError(err) ? err.code : 'ACTION_FAILED');
  // Timeouts and interruptions come back as they are, without the step's name.
  const message = classified === err ? `${display}: ${classified.message}` : classified.message;
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  return new HoldfastError(classified.code, redact(message, step.params) + tries, { cause: err });
}

export interface Ended {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly attempts: number;
  readonly out?: ExecOutput;
  readonly err?: unknown;
}

export function resultOf(step: Step, target: string, end: Ended): HookResult {
  const r: HookResult = {
    name: step.name, phase: step.phase, source: step.source, target, attempts: end.attempts,
    outcome: end.err === undefined ? 'Succeeded' : outcomeOf(end.err),
    startedAt: end.startedAt.toISOString(), finishedAt: end.finishedAt.toISOString(),
  };
  if (end.err instanceof PodExecError && end.err.exitCode !== undefined) r.exitCode = end.err.exitCode;
  if (end.err instanceof HttpStatusError) r.httpStatus = end.err.httpStatus;
  if (end.out !== undefined) {
    if (step.action.http) r.httpStatus = end.out.status;
    else r.exitCode = end.out.status;
    const tail = end.out.stdout.trim().split('\n').at(-1)?.slice(0, 200);
    if (tail) r.message = redact(tail, step.params);
  }
  if (end.err !== undefined) r.message = stepError(step, target, end.err).message.slice(0, 4096);
  return r;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

async function attempt(step: Step, target: Target, scope: StepScope): Promise<{ attempts: number; out?: ExecOutput; err?: unknown }> {
  let attempts = 0;
  let err: unknown;
  while (attempts <= step.action.retries) {
    attempts++;
    try {
      const executor = await target.make();
      return { attempts, out: await executor.run({ signal: scope.signal }) };
    } catch (e) {
      err = e;
      if (scope.signal.aborted || isHoldfastError(e, 'INTERRUPTED') || isHoldfastError(e, 'CONFIG_INVALID')) break;
      if (attempts <= step.action.retries) await pause(scope.deps.retryDelayMs ?? 1000, scope.signal);
    }
  }
  return { attempts, err };
}

/**
 * Runs the step on each of its targets in order. Throws on the first failure of an
 * `onError: fail` step; a `continue` step's failures are recorded and the run goes on.
 */
export async function runStep(step: Step, scope: StepScope): Promise<void> {
  let list: Target[];
  try {
    list = await targets(step, scope);
  } catch (err) {
    const now = scope.deps.clock.now();
    await scope.record(resultOf(step, '', { startedAt: now, finishedAt: now, attempts: 0, err }));
    if (step.action.onError === 'fail') throw stepError(step, 'its targets', err);
    return;
  }
  for (const target of list) {
    const startedAt = scope.deps.clock.now();
    const r = await attempt(step, target, scope);
    await scope.record(resultOf(step, target.label, { ...r, startedAt, finishedAt: scope.deps.clock.now() }));
    if (r.err !== undefined) {
      scope.deps.logger.warn({ step: step.name, phase: step.phase, target: target.label, error: redact(messageOf(r.err), step.params) }, 'step failed');
      if (step.action.onError === 'fail') throw stepError(step, target.label, r.err, r.attempts);
    }
  }
}

export async function runSteps(steps: readonly Step[], scope: StepScope): Promise<void> {
  for (const step of steps) await runStep(step, scope);
}
