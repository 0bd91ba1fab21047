/**
 * A parsed recipe file with its parameters filled in, turned into what the command line
 * runs: prepare and verify hooks, the quiesce/unquiesce steps as one freeze strategy,
 * and one streaming action per dump step (its stdout is stored as the artifact) and per
 * load step (its artifact goes to its stdin). Steps are named in messages by phase and
 * name, never by their command line, which may carry parameter values such as passwords.
 * Failures are classified with the built-in patterns of the recipe's `engine` when it
 * names one holdfast knows (postgresql, mariadb, mysql, redis, etcd).
 */
import type { HoldfastError } from '../../core/errors.ts';
import type { Executor, StreamingExecutor } from '../executors/executor.ts';
import { HttpCallExecutor } from '../executors/http-call.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import type { FreezeStrategy } from '../freeze/freeze.ts';
import type { Hook, Phase } from '../hooks.ts';
import { classifyBy } from './recipe.ts';
import type { RecipeFile, RecipePhase, RecipeStep } from './recipe-file.ts';
import { RecipeStepsFreeze } from './recipe-freeze.ts';
import type { QuiesceStep } from './recipe-freeze.ts';
import { expand } from './recipe-params.ts';
import type { ParameterValues } from './recipe-params.ts';
import { errorPatternsFor } from './registry.ts';

export interface ArtifactStep {
  readonly step: string;
  readonly artifact: string;
  readonly executor: StreamingExecutor;
  /** `onError: continue`: a failure is a warning and the artifact is left out. */
  readonly optional: boolean;
}

export interface FileRecipePlan {
  readonly name: string;
  /** `engine` of the recipe, else `recipe`; recorded in the snapshots' labels. */
  readonly engine: string;
  /** `recipe NAME`, for messages. */
  readonly display: string;
  /** prepare and verify hooks, in order. */
  readonly hooks: readonly Hook[];
  readonly freeze?: FreezeStrategy;
  readonly dumps: readonly ArtifactStep[];
  readonly loads: readonly ArtifactStep[];
  classify(err: unknown, fallback: 'DUMP_FAILED' | 'LOAD_FAILED' | 'ACTION_FAILED'): HoldfastError;
}

interface Built {
  readonly values: ParameterValues;
  readonly env: InheritedEnv;
}

function what(phase: RecipePhase, step: RecipeStep): string {
  return `${phase} step '${step.name}'`;
}

function localCommand(phase: RecipePhase, step: RecipeStep, b: Built, timeoutMs = step.timeoutSeconds * 1000): LocalCommandExecutor {
  const argv = (step.exec?.command ?? []).map((a) => expand(a, b.values));
  return new LocalCommandExecutor({ argv, timeoutMs, what: what(phase, step) }, b.env);
}

function executorOf(phase: RecipePhase, step: RecipeStep, b: Built): Executor {
  const h = step.http;
  if (!h) return localCommand(phase, step, b);
  const headers = h.headers ? Object.fromEntries(Object.entries(h.headers).map(([k, v]) => [k, expand(v, b.values)])) : undefined;
  return new HttpCallExecutor({
    method: h.method, url: expand(h.url, b.values), timeoutMs: step.timeoutSeconds * 1000,
    ...(headers ? { headers } : {}),
    ...(h.body !== undefined ? { body: expand(h.body, b.values) } : {}),
    ...(h.expectedStatus ? { expectStatus: h.expectedStatus } : {}),
    ...(h.caBundle ? { ca: h.caBundle } : {}),
  });
}

function hooksOf(phase: RecipePhase & Phase, steps: readonly RecipeStep[] | undefined, b: Built): Hook[] {
  return (steps ?? []).map((s) => ({ name: s.name, phase, executor: executorOf(phase, s, b), onError: s.onError, retries: s.retries }));
}

function artifactsOf(phase: 'dump' | 'load', steps: readonly RecipeStep[] | undefined, b: Built): ArtifactStep[] {
  return (steps ?? []).map((s) => ({ step: s.name, artifact: s.artifact ?? s.name, executor: localCommand(phase, s, b, 0), optional: s.onError === 'continue' }));
}

function freezeOf(recipe: RecipeFile, b: Built, classify: (err: unknown) => HoldfastError): FreezeStrategy | undefined {
  const { quiesce, unquiesce } = recipe.spec.actions;
  if (!quiesce || quiesce.length === 0) return undefined;
  const steps: QuiesceStep[] = quiesce.map((s) => {
    const hook: Hook = { name: s.name, phase: 'quiesce', executor: executorOf('quiesce', s, b), onError: s.onError, retries: s.retries };
    const held = s.exec?.hold;
    if (!held) return { hook };
    return { hook, hold: { pattern: new RegExp(held.readyPattern), stepTimeoutMs: s.timeoutSeconds * 1000, executor: (limitMs: number) => localCommand('quiesce', s, b, limitMs) } };
  });
  const watchdog = (unquiesce ?? []).flatMap((s) => (s.exec ? [s.exec.command.map((a) => expand(a, b.values))] : []));
  return new RecipeStepsFreeze({ what: `quiesce of recipe ${recipe.name}`, quiesce: steps, unquiesce: hooksOf('unquiesce', unquiesce, b), watchdog, classify }, b.env);
}

export function planRecipeFile(recipe: RecipeFile, values: ParameterValues, env: InheritedEnv): FileRecipePlan {
  const b: Built = { values, env };
  const a = recipe.spec.actions;
  const display = `recipe ${recipe.name}`;
  const patterns = errorPatternsFor(recipe.spec.engine);
  const freeze = freezeOf(recipe, b, (err) => classifyBy(patterns, display, err, 'FREEZE_FAILED'));
  return {
    name: recipe.name,
    engine: recipe.spec.engine ?? 'recipe',
    display,
    hooks: [...hooksOf('prepare', a.prepare, b), ...hooksOf('verify', a.verify, b)],
    ...(freeze ? { freeze } : {}),
    dumps: artifactsOf('dump', a.dump, b),
    loads: artifactsOf('load', a.load, b),
    classify: (err, fallback) => classifyBy(patterns, display, err, fallback),
  };
}
