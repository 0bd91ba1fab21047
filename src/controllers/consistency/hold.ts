/**
 * Held quiesce steps (`exec.hold`): the command takes the freeze and keeps it while it
 * runs (a client session holding FLUSH TABLES WITH READ LOCK, or psql in backup mode).
 * The freeze counts as taken once a line of its output matches `readyPattern`. To
 * release it, the unquiesce steps run (e.g. cancel the session's sleep) and then the
 * command's standard input is closed; a command still running 10 s later has its exec
 * session ended. The command ends the freeze by itself when its own timeout passes
 * (the server-side sleep), so a lost operator never leaves the database frozen.
 */
import { createInterface } from 'node:readline';
import { HoldfastError } from '../../core/errors.ts';
import type { RunningAction } from '../../consistency/executors/executor.ts';
import { execWhat, podLabel, resultOf, stepError, stepPods, type StepScope } from './step-runner.ts';
import type { Step } from './steps.ts';

const RELEASE_GRACE_MS = 10_000;
const HOLD_SLACK_MS = 30_000;

export interface Held {
  alive(): boolean;
  release(): Promise<void>;
}

function waitReady(running: RunningAction, pattern: RegExp, limitMs: number): Promise<string> {
  const lines = createInterface({ input: running.stdout });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HoldfastError('ACTION_TIMEOUT', `no line matched the ready pattern /${pattern.source}/ within ${limitMs / 1000} s`)), limitMs);
    lines.on('line', (line) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      resolve(line);
    });
    running.done.then(
      () => reject(new HoldfastError('FREEZE_FAILED', 'the command ended before it reported the freeze')),
      (err: unknown) => reject(err as Error),
    ).finally(() => clearTimeout(timer));
  });
}

async function holdOne(step: Step, scope: StepScope, pod: Parameters<typeof podLabel>[0], freezeTimeoutMs: number): Promise<Held> {
  const hold = step.action.exec?.hold;
  const command = step.action.exec?.command ?? [];
  const limit = Math.max(step.action.timeoutSeconds * 1000, freezeTimeoutMs + HOLD_SLACK_MS);
  const executor = scope.deps.executors.exec(pod, command, { timeoutMs: limit, what: execWhat(step, pod) });
  const startedAt = scope.deps.clock.now();
  const running = executor.start({ signal: scope.signal });
  let ended = false;
  running.done.then(() => { ended = true; }, () => { ended = true; });
  try {
    await waitReady(running, new RegExp(hold?.readyPattern ?? '.'), Math.min(step.action.timeoutSeconds * 1000, freezeTimeoutMs));
  } catch (err) {
    running.stop();
    await scope.record(resultOf(step, podLabel(pod), { startedAt, finishedAt: scope.deps.clock.now(), attempts: 1, err }));
    throw stepError(step, podLabel(pod), err);
  }
  await scope.record({ ...resultOf(step, podLabel(pod), { startedAt, finishedAt: scope.deps.clock.now(), attempts: 1 }), message: 'frozen; held until unquiesce' });
  return {
    alive: () => !ended,
    release: async () => {
      running.stdin.on('error', () => undefined);
      running.stdin.end();
      const exited = running.done.then(() => true, () => true);
      const inTime = await Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), RELEASE_GRACE_MS).unref())]);
      if (!inTime) running.stop();
    },
  };
}

/** Takes the held freeze in each of the step's pods; on a failure the holds already taken are released. */
export async function startHolds(step: Step, scope: StepScope, freezeTimeoutMs: number): Promise<Held[]> {
  const held: Held[] = [];
  try {
    for (const pod of await stepPods(step, scope)) held.push(await holdOne(step, scope, pod, freezeTimeoutMs));
  } catch (err) {
    for (const h of held) await h.release();
    throw err;
  }
  return held;
}
