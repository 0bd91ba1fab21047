/**
 * What a Backup protects, as members: its one recipe binding, or each member of its
 * consistency group (a database with a recipe, or an application that is only paused).
 * Each member knows its freeze strategy (recipe quiesce steps, scale-to-zero, none) and
 * the pods to watch during a group's window.
 */
import type { FreezeStrategy } from '../../consistency/freeze/freeze.ts';
import type { BackupSpec } from '../../k8s/api/backup.ts';
import type { FreezeMode } from '../../k8s/api/consistency.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import { refuseMode, StepsFreeze } from './freeze-modes.ts';
import { bindRecipe, DEFAULT_FREEZE_TIMEOUT_S, type BindingLike } from './recipe-binding.ts';
import { ScaleToZeroFreeze } from './scale-freeze.ts';
import type { StepScope } from './step-runner.ts';
import { recipeSteps, type RecipeUse } from './steps.ts';

export interface Member {
  readonly name: string | undefined;
  readonly namespace: string;
  readonly binding: BindingLike;
  readonly use: RecipeUse | undefined;
  readonly mode: FreezeMode;
}

function modeOf(b: BindingLike, use: RecipeUse | undefined): FreezeMode {
  if (b.freeze) return b.freeze.mode;
  return use && (use.bound.spec.actions.quiesce?.length ?? 0) > 0 ? 'recipe' : 'none';
}

/** The spec's members with their recipes resolved; CONFIG_INVALID for a missing recipe, a missing parameter or a refused freeze mode. */
export async function resolveMembers(objects: HoldfastObjects, namespace: string, spec: BackupSpec): Promise<Member[]> {
  const raw: Array<{ name: string | undefined; binding: BindingLike }> = spec.recipe
    ? [{ name: undefined, binding: spec.recipe }]
    : (spec.consistencyGroup?.members ?? []).map((m) => ({ name: m.name, binding: m }));
  const out: Member[] = [];
  for (const { name, binding } of raw) {
    const bound = await bindRecipe(objects, namespace, binding);
    const use = bound ? { bound, binding, namespace, ...(name ? { member: name } : {}) } : undefined;
    const mode = modeOf(binding, use);
    refuseMode(mode, name ? `member ${name}` : 'the recipe binding');
    out.push({ name, namespace, binding, use, mode });
  }
  return out;
}

/** The longest of the members' freeze timeouts (a member without one has the default): the watchdog of the whole window. */
export function freezeTimeoutMs(members: readonly Member[]): number {
  const seconds = members.map((m) => m.binding.freeze?.timeoutSeconds ?? DEFAULT_FREEZE_TIMEOUT_S);
  return (seconds.length > 0 ? Math.max(...seconds) : DEFAULT_FREEZE_TIMEOUT_S) * 1000;
}

/** The member's freeze, or undefined for mode none. */
export function memberFreeze(m: Member, scope: StepScope, owner: string): FreezeStrategy | undefined {
  const where = m.name ? `member ${m.name}` : 'recipe';
  if (m.mode === 'scale-to-zero' && m.binding.workloadRef) {
    return new ScaleToZeroFreeze(m.namespace, m.binding.workloadRef, owner, m.name ? `member ${m.name}` : 'freeze', scope);
  }
  if (m.mode === 'recipe' && m.use) {
    const q = recipeSteps(m.use, 'quiesce');
    const u = recipeSteps(m.use, 'unquiesce');
    return q.length + u.length > 0 ? new StepsFreeze(`quiesce of ${where} (${m.use.bound.source})`, q, u, scope) : undefined;
  }
  return undefined;
}
