/**
 * The operator's freeze modes, as strategies of the consistency layer's FreezeStrategy
 * (so `captureFrozen` gives its guarantees: every freeze that started is thawed, in
 * reverse order, and a capture that outlived its freeze fails with FREEZE_EXPIRED):
 * - steps: a recipe's quiesce/unquiesce steps, or the hooks of those phases. Quiesce
 *   counts as started with its first step, so the unquiesce steps run even when a
 *   quiesce step fails. An in-process timer thaws when the freeze timeout passes.
 * - scale-to-zero: see scale-freeze.ts.
 * `suspend` and `fsfreeze` are refused: through exec the operator cannot stop a
 * container's main process (a signal from inside the container to its PID 1 is ignored)
 * nor freeze a filesystem without a privileged agent on the node, and it could not
 * guarantee the thaw if it died. Use the recipe's database-native freeze.
 */
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { FreezeStrategy, Frozen } from '../../consistency/freeze/freeze.ts';
import type { FreezeMode } from '../../k8s/api/consistency.ts';
import { startHolds, type Held } from './hold.ts';
import { runStep, type StepScope } from './step-runner.ts';
import type { Step } from './steps.ts';

export function refuseMode(mode: FreezeMode, where: string): void {
  if (mode === 'suspend' || mode === 'fsfreeze') {
    throw new HoldfastError('CONFIG_INVALID', `${where}: freeze mode ${mode} is not supported by the operator (it cannot be done and undone safely through exec); use mode recipe (the database's own freeze) or scale-to-zero`);
  }
}

export class StepsFreeze implements FreezeStrategy {
  readonly what: string;
  readonly #quiesce: readonly Step[];
  readonly #unquiesce: readonly Step[];
  readonly #scope: StepScope;

  constructor(what: string, quiesce: readonly Step[], unquiesce: readonly Step[], scope: StepScope) {
    this.what = what;
    this.#quiesce = quiesce;
    this.#unquiesce = unquiesce;
    this.#scope = scope;
  }

  async freeze(timeoutMs: number): Promise<Frozen> {
    const holds: Held[] = [];
    let thawing: Promise<string> | undefined;
    const thaw = (): Promise<string> => (thawing ??= this.#thaw(holds));
    const deadline = Date.now() + timeoutMs;
    try {
      for (const step of this.#quiesce) {
        if (step.action.exec?.hold) holds.push(...(await startHolds(step, this.#scope, timeoutMs)));
        else await runStep(step, this.#scope);
      }
    } catch (err) {
      await thaw().catch((e: unknown) => this.#scope.deps.logger.error({ freeze: this.what, error: messageOf(e) }, 'thaw after a failed quiesce failed'));
      throw err;
    }
    const watchdog = setTimeout(() => {
      this.#scope.deps.logger.warn({ freeze: this.what, timeoutMs }, 'freeze timeout passed: thawing');
      thaw().catch(() => undefined);
    }, Math.max(0, deadline - Date.now()));
    watchdog.unref();
    return {
      held: () => thawing === undefined && Date.now() < deadline && holds.every((h) => h.alive()),
      thaw: () => {
        clearTimeout(watchdog);
        return thaw();
      },
    };
  }

  /** Every unquiesce step runs (each attempted even when another fails), then the holds are released. */
  async #thaw(holds: readonly Held[]): Promise<string> {
    let first: unknown;
    for (const step of this.#unquiesce) {
      try {
        await runStep(step, { ...this.#scope, signal: AbortSignal.timeout(step.action.timeoutSeconds * 1000 * (step.action.retries + 1) + 5000) });
      } catch (err) {
        first ??= err;
      }
    }
    for (const h of holds) await h.release();
    if (first !== undefined) throw first;
    return '';
  }
}
