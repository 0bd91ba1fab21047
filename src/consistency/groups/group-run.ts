/**
 * One run of a consistency group: probe the members' processes, pause everything (the
 * pause command first, then each member's native freeze), record `pausedAt`, wait the
 * clock-skew margin so every member's clock is surely past the pause, capture each
 * member in turn, record `unpausedAt`, resume everything (always, in reverse order,
 * through captureFrozen), probe again. A probe that differs (or fails) makes the run
 * inconsistent; the captures are kept either way, and the caller labels them.
 */
import type { Clock } from '../../core/clock.ts';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import { executorFor } from '../executors/action-spec.ts';
import type { ActionSpec } from '../executors/action-spec.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import { CommandFreeze } from '../freeze/command-freeze.ts';
import { captureFrozen } from '../freeze/freeze.ts';
import type { FreezeStrategy } from '../freeze/freeze.ts';
import { recipeFor } from '../recipes/registry.ts';
import { parseDatabaseUrl } from '../recipes/target.ts';
import type { GroupMember, GroupSpec } from './group-spec.ts';
import { parseProbeOutput, probeChanges } from './probe.ts';
import type { ProbedProcess } from './probe.ts';

export interface GroupDeps {
  readonly env: InheritedEnv;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  /** A resume that failed while another error was already on its way out. */
  readonly onThawError?: (what: string, err: unknown) => void;
}

export interface GroupWindow {
  readonly pausedAt: string;
  readonly unpausedAt: string;
}

export interface GroupRun<T> {
  readonly captures: readonly T[];
  readonly window: GroupWindow;
  readonly consistent: boolean;
  /** Why the run is not consistent: one line per changed process (or the failed probe). */
  readonly changes: readonly string[];
}

export type CaptureMember<T> = (member: GroupMember, pausedAt: string) => Promise<T>;
export type CapturePaths<T> = (paths: readonly string[], pausedAt: string) => Promise<T>;

const PROBE_TIMEOUT_MS = 60_000;

/** The pause command and each member's native freeze, in the order they are taken. */
export function groupFreezes(spec: GroupSpec, env: InheritedEnv): FreezeStrategy[] {
  const strategies: FreezeStrategy[] = [];
  if (spec.pause) strategies.push(new CommandFreeze({ what: `pause of group ${spec.name}`, freeze: spec.pause.pause, thaw: spec.pause.resume }, env));
  for (const m of spec.members.filter((x) => x.freeze)) {
    const recipe = recipeFor(parseDatabaseUrl(m.url), env);
    if (recipe.freeze) strategies.push(recipe.freeze());
  }
  if (strategies.length === 0) throw new HoldfastError('CONFIG_INVALID', `group ${spec.name}: nothing pauses it (no pause command, no member with a native freeze)`);
  return strategies;
}

async function probe(action: ActionSpec, env: InheritedEnv): Promise<ProbedProcess[]> {
  const executor = executorFor(action, PROBE_TIMEOUT_MS, { env });
  return parseProbeOutput((await executor.run()).stdout, `members probe (${executor.what})`);
}

async function probeAfter(action: ActionSpec | undefined, before: readonly ProbedProcess[], env: InheritedEnv): Promise<string[]> {
  if (!action) return [];
  try {
    return probeChanges(before, await probe(action, env));
  } catch (err) {
    return [`the members probe after the pause failed: ${messageOf(err)}`];
  }
}

/** Captures the members in order, then the paths (if the group lists any), all inside one pause window. */
export async function runGroup<T>(spec: GroupSpec, deps: GroupDeps, capture: CaptureMember<T>, capturePaths?: CapturePaths<T>): Promise<GroupRun<T>> {
  const paths = spec.paths ?? [];
  if (paths.length > 0 && !capturePaths) throw new HoldfastError('CONFIG_INVALID', `group ${spec.name} lists paths, which cannot be captured here`);
  const strategies = groupFreezes(spec, deps.env);
  const before = spec.probe ? await probe(spec.probe, deps.env) : [];
  let unpausedAt = '';
  const r = await captureFrozen(strategies, { timeoutMs: spec.timeoutMs, thawAt: 'cut', clock: deps.clock, ...(deps.onThawError ? { onThawError: deps.onThawError } : {}) }, async () => {
    const pausedAt = deps.clock.now().toISOString();
    await deps.sleep(spec.clockSkewMarginMs);
    const captures: T[] = [];
    for (const member of spec.members) captures.push(await capture(member, pausedAt));
    if (capturePaths && paths.length > 0) captures.push(await capturePaths(paths, pausedAt));
    unpausedAt = deps.clock.now().toISOString();
    return { pausedAt, captures };
  });
  const changes = await probeAfter(spec.probe, before, deps.env);
  return { captures: r.cut.captures, window: { pausedAt: r.cut.pausedAt, unpausedAt }, consistent: changes.length === 0, changes };
}
