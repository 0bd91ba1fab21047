/**
 * The Backup's ConsistencyStage: prepare → freeze (each member's freeze, then the
 * quiesce/unquiesce hooks) → `inside` (the reconciler cuts the volume snapshots; for a
 * consistency group the members' dumps run here too) → thaw, always, once the first
 * freeze started → the dumps (single recipe and dump hooks) → the verify hooks. For a
 * consistency group the window is recorded (pausedAt after every member froze and the
 * skew margin passed, unpausedAt before the first thaw) and the members' pods are
 * compared before and after: a change marks the backup Inconsistent, or fails it
 * (`onPodChange: fail`).
 * Freezes left by a crashed run (a workload still scaled to zero) are undone first.
 */
import { captureFrozen, type FreezeStrategy } from '../../consistency/freeze/freeze.ts';
import { HoldfastError } from '../../core/errors.ts';
import type { HookResult } from '../../k8s/api/results.ts';
import type { BackupRunContext, ConsistencyStage } from '../backup/stages.ts';
import { runDump } from './dumps.ts';
import { StepsFreeze } from './freeze-modes.ts';
import { groupPods, parseGoDuration, recordPodChanges } from './group-window.ts';
import { freezeTimeoutMs, memberFreeze, resolveMembers, type Member } from './members.ts';
import { scaleBackLeftover } from './scale-freeze.ts';
import { runSteps, type ConsistencyDeps, type StepScope } from './step-runner.ts';
import { hookSteps, recipeSteps } from './steps.ts';

export class OperatorConsistencyStage implements ConsistencyStage {
  readonly #deps: ConsistencyDeps;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(deps: ConsistencyDeps, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {
    this.#deps = deps;
    this.#sleep = sleep;
  }

  async window(ctx: BackupRunContext, inside: () => Promise<void>): Promise<void> {
    const scope = this.#scope(ctx);
    const ns = namespaceOf(ctx);
    const members = await resolveMembers(this.#deps.objects, ns, ctx.spec);
    for (const m of members) if (m.mode === 'scale-to-zero' && m.binding.workloadRef) await scaleBackLeftover(this.#deps.http, ns, m.binding.workloadRef);
    for (const m of members) if (m.use) await runSteps(recipeSteps(m.use, 'prepare'), scope);
    await runSteps(hookSteps(ctx.spec.hooks, 'prepare', ns), scope);
    const strategies = this.#freezes(ctx, members, scope);
    const group = ctx.spec.consistencyGroup;
    if (strategies.length === 0 && group === undefined) return inside();
    const before = group?.verifyPods ? await groupPods(this.#deps.http, members) : undefined;
    let unpausedAt = '';
    await captureFrozen(strategies, { timeoutMs: freezeTimeoutMs(members), thawAt: 'cut', clock: this.#deps.clock }, async () => {
      ctx.status.consistency = { ...ctx.status.consistency, pausedAt: this.#deps.clock.now().toISOString() };
      await ctx.save();
      if (group) await this.#sleep(parseGoDuration(group.skewMargin));
      await inside();
      if (group && ctx.spec.method === 'dump') await this.#memberDumps(ctx, members, scope, true);
      unpausedAt = this.#deps.clock.now().toISOString();
    });
    ctx.status.consistency = { ...ctx.status.consistency, unpausedAt };
    if (group && before) await recordPodChanges(ctx, group.onPodChange, before, await groupPods(this.#deps.http, members));
    await ctx.save();
  }

  /** The dumps (a group's ran inside its window), then the Backup's verify hooks. */
  async dumps(ctx: BackupRunContext): Promise<void> {
    const scope = this.#scope(ctx);
    if (ctx.spec.method === 'dump' && !ctx.spec.consistencyGroup) {
      const members = await resolveMembers(this.#deps.objects, namespaceOf(ctx), ctx.spec);
      await this.#memberDumps(ctx, members, scope, false);
      for (const step of hookSteps(ctx.spec.hooks, 'dump', namespaceOf(ctx))) await runDump(step, ctx, scope);
    }
    await runSteps(hookSteps(ctx.spec.hooks, 'verify', namespaceOf(ctx)), scope);
  }

  /** Every member's dump steps; inside a group's window, dumps of an earlier window are dropped first. */
  async #memberDumps(ctx: BackupRunContext, members: readonly Member[], scope: StepScope, fresh: boolean): Promise<void> {
    if (fresh) {
      const stale = new Set((ctx.status.dumps ?? []).map((d) => d.snapshotId));
      ctx.status.dumps = [];
      ctx.status.snapshots = (ctx.status.snapshots ?? []).filter((s) => s.type !== 'dump' || !stale.has(s.id));
    }
    for (const m of members) if (m.use) for (const step of recipeSteps(m.use, 'dump')) await runDump(step, ctx, scope);
    if (fresh) for (const step of hookSteps(ctx.spec.hooks, 'dump', namespaceOf(ctx))) await runDump(step, ctx, scope);
  }

  #freezes(ctx: BackupRunContext, members: readonly Member[], scope: StepScope): FreezeStrategy[] {
    const owner = ctx.obj.metadata?.uid ?? '';
    const out = members.map((m) => memberFreeze(m, scope, owner)).filter((s): s is FreezeStrategy => s !== undefined);
    const ns = namespaceOf(ctx);
    const q = hookSteps(ctx.spec.hooks, 'quiesce', ns);
    const u = hookSteps(ctx.spec.hooks, 'unquiesce', ns);
    if (q.length + u.length > 0) out.push(new StepsFreeze('quiesce hooks', q, u, scope));
    return out;
  }

  #scope(ctx: BackupRunContext): StepScope {
    const name = ctx.obj.metadata?.name ?? '';
    return {
      deps: this.#deps,
      signal: ctx.signal,
      owner: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', name, uid: ctx.obj.metadata?.uid ?? '' },
      record: async (r: HookResult) => {
        ctx.status.hooks = [...(ctx.status.hooks ?? []), r];
        await ctx.save();
      },
    };
  }
}

function namespaceOf(ctx: BackupRunContext): string {
  const ns = ctx.obj.metadata?.namespace;
  if (ns === undefined) throw new HoldfastError('INTERNAL', 'a Backup without a namespace');
  return ns;
}
