/**
 * Hooks: actions bound to a phase of a backup or restore. Hooks of one phase run one
 * after the other in the order given. Each attempt is bounded by the hook's timeout; a
 * failed attempt is retried up to `retries` more times with a short pause. When the
 * last attempt fails, `onError: fail` stops the phase with that error, while
 * `onError: continue` records the failure and moves on. Every outcome is recorded.
 */
import { z } from 'zod';
import { HoldfastError, isHoldfastError, messageOf } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';
import { actionSchema, executorFor } from './executors/action-spec.ts';
import type { ExecutorDeps } from './executors/action-spec.ts';
import type { Executor } from './executors/executor.ts';

export const PHASES = ['prepare', 'quiesce', 'unquiesce', 'dump', 'load', 'verify'] as const;
export type Phase = (typeof PHASES)[number];
export type OnError = 'fail' | 'continue';

export const hookSchema = z.strictObject({
  name: z.string().optional(),
  phase: z.enum(PHASES),
  run: actionSchema,
  timeoutSeconds: z.number().positive().default(60),
  onError: z.enum(['fail', 'continue']).default('fail'),
  retries: z.number().int().min(0).max(10).default(0),
});
export type HookSpec = z.infer<typeof hookSchema>;

export interface Hook {
  readonly name: string;
  readonly phase: Phase;
  readonly executor: Executor;
  readonly onError: OnError;
  /** Extra attempts after the first failure (bounded by the schema to 10). */
  readonly retries: number;
}

export interface HookResult {
  readonly name: string;
  readonly phase: Phase;
  readonly status: 'succeeded' | 'failed';
  readonly attempts: number;
  readonly durationMs: number;
  /** The action's output of the successful attempt (hooks may report a value, e.g. a backup label). */
  readonly output?: string;
  readonly error?: string;
  readonly code?: ErrorCode;
}

export interface PhaseOptions {
  readonly signal?: AbortSignal;
  /** Pause between attempts; default 1 s. */
  readonly retryDelayMs?: number;
  /** Called with every result as soon as it is known. */
  readonly onResult?: (r: HookResult) => void;
}

export function hookFromSpec(spec: HookSpec, index: number, deps: ExecutorDeps): Hook {
  return {
    name: spec.name ?? `${spec.phase}-${index + 1}`,
    phase: spec.phase,
    executor: executorFor(spec.run, spec.timeoutSeconds * 1000, deps),
    onError: spec.onError,
    retries: spec.retries,
  };
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** Runs one hook with its retries; never throws — the result says how it went. */
export async function runHook(hook: Hook, opts: PhaseOptions = {}): Promise<HookResult> {
  const started = performance.now();
  let last: unknown;
  let attempts = 0;
  while (attempts <= hook.retries) {
    attempts++;
    try {
      const out = await hook.executor.run(opts.signal ? { signal: opts.signal } : {});
      return { name: hook.name, phase: hook.phase, status: 'succeeded', attempts, durationMs: performance.now() - started, output: out.stdout };
    } catch (err) {
      last = err;
      if (isHoldfastError(err, 'INTERRUPTED') || opts.signal?.aborted) break;
      if (attempts <= hook.retries) await pause(opts.retryDelayMs ?? 1000, opts.signal);
    }
  }
  return {
    name: hook.name, phase: hook.phase, status: 'failed', attempts, durationMs: performance.now() - started,
    error: messageOf(last), code: isHoldfastError(last) ? last.code : 'ACTION_FAILED',
  };
}

/**
 * Runs the hooks of `phase` in order. Resolves with every result; rejects with the
 * failing hook's error (code kept, hook named) at the first `onError: fail` failure.
 */
export async function runPhase(hooks: readonly Hook[], phase: Phase, opts: PhaseOptions = {}): Promise<HookResult[]> {
  const results: HookResult[] = [];
  for (const hook of hooks.filter((h) => h.phase === phase)) {
    const r = await runHook(hook, opts);
    results.push(r);
    opts.onResult?.(r);
    if (r.status === 'failed' && hook.onError === 'fail') {
      const tries = r.attempts > 1 ? ` after ${r.attempts} attempts` : '';
      throw new HoldfastError(r.code ?? 'ACTION_FAILED', `${phase} hook '${hook.name}' failed${tries}: ${r.error ?? 'unknown error'}`);
    }
  }
  return results;
}
