/**
 * The Restore's RestoreLoadStage: after the objects are applied (so a restored Secret or
 * database pod is there), the Restore's prepare hooks run, then each recipe load step
 * reads its artifact — the dump stored by the backup — on standard input, straight from
 * the repository; then the Restore's load hooks (same rule), then the recipe's verify
 * steps and the verify hooks. Every result goes into the Restore's status.hooks.
 *
 * Which database: the Restore's own `recipe` binding, acting in the namespace the
 * backup's namespace maps to (its parameter Secrets are read from the Restore's
 * namespace); without one, the Backup's recipe (or each consistency-group member's), in
 * the mapped namespace, with its parameter Secrets read there (they were restored).
 */
import { HoldfastError } from '../../core/errors.ts';
import type { BackupDumpStatus } from '../../k8s/api/backup.ts';
import { backupSpecSchema } from '../../k8s/api/backup.ts';
import type { HookResult } from '../../k8s/api/results.ts';
import type { RestoreLoadStage, RestoreRunContext } from '../restore/stages.ts';
import { bindRecipe, type BindingLike } from './recipe-binding.ts';
import { execWhat, podLabel, resultOf, runSteps, stepError, stepPods, type ConsistencyDeps, type StepScope } from './step-runner.ts';
import { artifactOf, hookSteps, recipeSteps, type RecipeUse, type Step } from './steps.ts';

interface Binding {
  readonly member: string | undefined;
  readonly binding: BindingLike;
  /** Where Secrets and Recipes are read. */
  readonly home: string;
  /** Where the steps act. */
  readonly namespace: string;
}

function isStdinClosed(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

export class OperatorLoadStage implements RestoreLoadStage {
  readonly #deps: ConsistencyDeps;

  constructor(deps: ConsistencyDeps) {
    this.#deps = deps;
  }

  async load(ctx: RestoreRunContext): Promise<void> {
    const scope = this.#scope(ctx);
    const ns = ctx.obj.metadata?.namespace ?? '';
    const uses: RecipeUse[] = [];
    for (const b of await this.#bindings(ctx)) {
      const bound = await bindRecipe(this.#deps.objects, b.home, b.binding);
      if (bound) uses.push({ bound, binding: b.binding, namespace: b.namespace, ...(b.member ? { member: b.member } : {}) });
    }
    await runSteps(hookSteps(ctx.spec.hooks, 'prepare', ns), scope);
    for (const use of uses) for (const step of recipeSteps(use, 'load')) await this.#loadStep(step, ctx, scope);
    for (const step of hookSteps(ctx.spec.hooks, 'load', ns)) await this.#loadStep(step, ctx, scope);
    for (const use of uses) await runSteps(recipeSteps(use, 'verify'), scope);
    await runSteps(hookSteps(ctx.spec.hooks, 'verify', ns), scope);
  }

  async #bindings(ctx: RestoreRunContext): Promise<Binding[]> {
    const ns = ctx.obj.metadata?.namespace ?? '';
    const [backupNs = ns, backupName] = (ctx.backup ?? '').split('/');
    if (ctx.spec.recipe) return [{ member: undefined, binding: ctx.spec.recipe, home: ns, namespace: ctx.spec.namespaceMapping?.[backupNs] ?? ns }];
    if (backupName !== undefined) return this.#backupBindings(ctx, backupNs, backupName);
    if ((ctx.record?.dumps.length ?? 0) === 0) return [];
    throw new HoldfastError('CONFIG_INVALID', 'the backup has dumps: give spec.recipe to say which database to load them into');
  }

  /** The Backup's own recipe (or group members' recipes), acting in the namespace its namespace maps to. */
  async #backupBindings(ctx: RestoreRunContext, backupNs: string, backupName: string): Promise<Binding[]> {
    const map = (from: string): string => ctx.spec.namespaceMapping?.[from] ?? from;
    const backup = await this.#deps.objects.get({ plural: 'backups', namespace: backupNs, name: backupName });
    const spec = backupSpecSchema.safeParse(backup?.spec);
    if (!spec.success) throw new HoldfastError('CONFIG_INVALID', `Backup ${ctx.backup ?? ''} cannot be read to find its recipe: give spec.recipe`);
    const target = map(backupNs);
    if (spec.data.recipe) return [{ member: undefined, binding: spec.data.recipe, home: target, namespace: target }];
    return (spec.data.consistencyGroup?.members ?? []).filter((m) => m.recipeRef).map((m) => ({ member: m.name, binding: m, home: target, namespace: target }));
  }

  #dumpFor(ctx: RestoreRunContext, step: Step): BackupDumpStatus {
    const artifact = artifactOf(step);
    const done = (ctx.record?.dumps ?? []).filter((d) => d.phase === 'Completed' && d.snapshotId !== undefined && d.artifact === artifact);
    const found = done.find((d) => d.member === step.member) ?? (done.length === 1 ? done[0] : undefined);
    if (found === undefined) {
      const have = (ctx.record?.dumps ?? []).map((d) => (d.member ? `${d.member}/${d.artifact}` : d.artifact)).join(', ') || 'none';
      throw new HoldfastError('CONFIG_INVALID', `load step '${step.name}' (${step.source}) needs the dump '${artifact}'${step.member ? ` of member ${step.member}` : ''}, which the backup does not have (it has: ${have})`);
    }
    return found;
  }

  async #loadStep(step: Step, ctx: RestoreRunContext, scope: StepScope): Promise<void> {
    if (!step.action.exec) throw new HoldfastError('CONFIG_INVALID', `load step '${step.name}' (${step.source}): only exec steps can load (the dump is their standard input)`);
    const dump = this.#dumpFor(ctx, step);
    const startedAt = this.#deps.clock.now();
    let attempts = 0;
    let target = '';
    for (;;) {
      attempts++;
      try {
        const [pod] = await stepPods(step, scope, 'one');
        if (pod === undefined) throw new HoldfastError('ACTION_FAILED', 'no pod');
        target = podLabel(pod);
        const bytes = await this.#feed(step, ctx, scope, pod, dump.snapshotId ?? '');
        await scope.record({ ...resultOf(step, target, { startedAt, finishedAt: this.#deps.clock.now(), attempts }), exitCode: 0, message: `${bytes} bytes from snapshot ${(dump.snapshotId ?? '').slice(0, 12)}` });
        return;
      } catch (err) {
        if (attempts <= step.action.retries && !scope.signal.aborted) continue;
        await scope.record(resultOf(step, target, { startedAt, finishedAt: this.#deps.clock.now(), attempts, err }));
        if (step.action.onError === 'fail') throw stepError(step, target, err, attempts);
        return;
      }
    }
  }

  async #feed(step: Step, ctx: RestoreRunContext, scope: StepScope, pod: Parameters<typeof podLabel>[0], snapshotId: string): Promise<number> {
    const running = this.#deps.executors.exec(pod, step.action.exec?.command ?? [], { timeoutMs: step.action.timeoutSeconds * 1000, what: execWhat(step, pod) }).start({ signal: scope.signal });
    let bytes = 0;
    let feedErr: unknown;
    running.stdout.resume();
    try {
      bytes = await this.#deps.streams.readStream(ctx.target, snapshotId, running.stdin);
      await new Promise<void>((resolve, reject) => running.stdin.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } catch (err) {
      feedErr = err;
      if (!isStdinClosed(err)) running.stop();
    }
    try {
      await running.done;
    } catch (err) {
      if (feedErr === undefined || isStdinClosed(feedErr)) throw err;
    }
    if (feedErr !== undefined) throw feedErr;
    return bytes;
  }

  #scope(ctx: RestoreRunContext): StepScope {
    return {
      deps: this.#deps,
      signal: ctx.signal,
      owner: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', name: ctx.obj.metadata?.name ?? '', uid: ctx.obj.metadata?.uid ?? '' },
      record: async (r: HookResult) => {
        ctx.status.hooks = [...(ctx.status.hooks ?? []), r];
        await ctx.save();
      },
    };
  }
}
