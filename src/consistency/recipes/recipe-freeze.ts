/**
 * A recipe file's quiesce and unquiesce steps as one freeze strategy, with the same
 * guarantees as every other: once quiesce started, the unquiesce steps always run (each
 * attempted, whatever the one before did), and a watchdog outside this process bounds
 * the freeze — a detached `sleep N; unquiesce commands…` armed before the first quiesce
 * step. A held step (`exec.hold`) keeps running while frozen (a session holding a lock):
 * the freeze counts as taken once a line of its output matches `readyPattern`; on thaw
 * the unquiesce steps run, then its stdin is closed, and it is ended if still running
 * 10 s later. Such a command must end the freeze by itself when its own time is up (a
 * server-side sleep), as the operator requires too.
 */
import { createInterface } from 'node:readline';
import { HoldfastError } from '../../core/errors.ts';
import type { RunningAction, StreamingExecutor } from '../executors/executor.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import { armWatchdog, disarm } from '../freeze/command-freeze.ts';
import type { FreezeStrategy, Frozen } from '../freeze/freeze.ts';
import { runHook } from '../hooks.ts';
import type { Hook } from '../hooks.ts';

export interface HeldStep {
  readonly pattern: RegExp;
  /** The step's own time limit: how long it may take to report the freeze. */
  readonly stepTimeoutMs: number;
  /** The command, bounded by `limitMs` (the freeze's timeout plus slack). */
  executor(limitMs: number): StreamingExecutor;
}

export interface QuiesceStep {
  readonly hook: Hook;
  readonly hold?: HeldStep;
}

export interface RecipeFreezeSpec {
  readonly what: string;
  readonly quiesce: readonly QuiesceStep[];
  readonly unquiesce: readonly Hook[];
  /** argv of the unquiesce steps that are local commands: what the watchdog runs. */
  readonly watchdog: readonly (readonly string[])[];
  /** Turns a quiesce failure into a clear error (wrong password, unreachable server). */
  classify?(err: unknown): HoldfastError;
}

const RELEASE_GRACE_MS = 10_000;
const HOLD_SLACK_MS = 30_000;

interface Holding {
  alive(): boolean;
  release(): Promise<void>;
}

function waitReady(running: RunningAction, step: string, pattern: RegExp, limitMs: number): Promise<void> {
  const lines = createInterface({ input: running.stdout });
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HoldfastError('ACTION_TIMEOUT', `quiesce step '${step}': no line matched /${pattern.source}/ within ${limitMs / 1000} s`)), limitMs);
    lines.on('line', (line) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      resolve();
    });
    running.done.then(
      () => reject(new HoldfastError('FREEZE_FAILED', `quiesce step '${step}' ended before it reported the freeze`)),
      (err: unknown) => reject(err as Error),
    ).finally(() => clearTimeout(timer));
  });
}

async function hold(step: QuiesceStep & { hold: HeldStep }, freezeTimeoutMs: number): Promise<Holding> {
  const running = step.hold.executor(Math.max(step.hold.stepTimeoutMs, freezeTimeoutMs + HOLD_SLACK_MS)).start();
  let ended = false;
  const exited = running.done.then(() => { ended = true; }, () => { ended = true; });
  try {
    await waitReady(running, step.hook.name, step.hold.pattern, Math.min(step.hold.stepTimeoutMs, freezeTimeoutMs));
  } catch (err) {
    running.stop();
    await exited;
    throw err;
  }
  return {
    alive: () => !ended,
    release: async () => {
      running.stdin.end();
      const timer = setTimeout(() => running.stop(), RELEASE_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

export class RecipeStepsFreeze implements FreezeStrategy {
  readonly what: string;
  readonly #spec: RecipeFreezeSpec;
  readonly #env: InheritedEnv;

  constructor(spec: RecipeFreezeSpec, env: InheritedEnv) {
    this.#spec = spec;
    this.#env = env;
    this.what = spec.what;
  }

  async freeze(timeoutMs: number): Promise<Frozen> {
    const timeoutS = Math.max(1, Math.ceil(timeoutMs / 1000));
    const watchdog = this.#spec.watchdog.length > 0 ? armWatchdog(this.#spec.watchdog, timeoutS, this.#env) : undefined;
    const expires = Date.now() + timeoutS * 1000;
    const holding: Holding[] = [];
    try {
      for (const step of this.#spec.quiesce) {
        if (step.hold) holding.push(await hold({ ...step, hold: step.hold }, timeoutMs));
        else await this.#runQuiesce(step.hook);
      }
    } catch (err) {
      await this.#release(holding).catch(() => {});
      disarm(watchdog);
      throw this.#spec.classify ? this.#spec.classify(err) : err;
    }
    return {
      held: () => Date.now() < expires && holding.every((h) => h.alive()),
      thaw: async () => {
        try {
          await this.#release(holding);
        } finally {
          disarm(watchdog);
        }
        return '';
      },
    };
  }

  async #runQuiesce(hook: Hook): Promise<void> {
    const r = await runHook(hook);
    if (r.status === 'failed' && hook.onError === 'fail') {
      throw new HoldfastError(r.code === 'ACTION_TIMEOUT' ? 'ACTION_TIMEOUT' : 'FREEZE_FAILED', `quiesce step '${hook.name}' failed: ${r.error ?? 'unknown error'}`);
    }
  }

  /** Every unquiesce step, then every held command closed; the first failure is reported after all ran. */
  async #release(holding: readonly Holding[]): Promise<void> {
    const failures: string[] = [];
    for (const hook of this.#spec.unquiesce) {
      const r = await runHook(hook);
      if (r.status === 'failed' && hook.onError === 'fail') failures.push(`unquiesce step '${hook.name}' failed: ${r.error ?? 'unknown error'}`);
    }
    for (const h of [...holding].reverse()) await h.release();
    if (failures.length > 0) throw new HoldfastError('FREEZE_FAILED', failures.join('; '));
  }
}
