/**
 * Steps: one recipe action or hook, ready to run — parameters inserted, its pods'
 * selector (the binding's narrowed by the action's target), its default container,
 * where it came from (for status), and the engine whose error text classifies its
 * failures. Within a phase, recipe steps run first, then the Backup's or Restore's
 * hooks, each list in its own order.
 */
import type { Action, Hook, HookPhase } from '../../k8s/api/actions.ts';
import type { LabelSelector } from '../../k8s/api/selectors.ts';
import { expandAction, NO_PARAMETERS, type Parameters } from './parameters.ts';
import type { BindingLike, BoundRecipe } from './recipe-binding.ts';

export interface Step {
  readonly name: string;
  readonly phase: HookPhase;
  /** `clusterrecipe/<name>`, `recipe/<name>`, `hook`, or with ` (member <name>)` for a group member. */
  readonly source: string;
  readonly action: Action;
  readonly namespace: string;
  readonly selector: LabelSelector | undefined;
  readonly container: string | undefined;
  readonly params: Parameters;
  readonly engine: string | undefined;
  /** The group member the step belongs to. */
  readonly member: string | undefined;
}

export function mergeSelectors(a: LabelSelector | undefined, b: LabelSelector | undefined): LabelSelector | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return {
    matchLabels: { ...(a.matchLabels ?? {}), ...(b.matchLabels ?? {}) },
    matchExpressions: [...(a.matchExpressions ?? []), ...(b.matchExpressions ?? [])],
  };
}

export interface RecipeUse {
  readonly bound: BoundRecipe;
  readonly binding: BindingLike;
  readonly namespace: string;
  readonly member?: string;
}

export function recipeSteps(use: RecipeUse, phase: HookPhase): Step[] {
  const actions = use.bound.spec.actions[phase] ?? [];
  const source = use.member ? `${use.bound.source} (member ${use.member})` : use.bound.source;
  return actions.map((a) => ({
    name: a.name, phase, source,
    action: expandAction(a, use.bound.params),
    namespace: use.namespace,
    selector: mergeSelectors(use.binding.podSelector, a.target?.podSelector),
    container: a.exec?.container ?? a.target?.container ?? use.binding.container ?? use.bound.spec.container,
    params: use.bound.params,
    engine: use.bound.spec.engine,
    member: use.member,
  }));
}

export function hookSteps(hooks: readonly Hook[] | undefined, phase: HookPhase, namespace: string, params: Parameters = NO_PARAMETERS): Step[] {
  return (hooks ?? []).filter((h) => h.phase === phase).map((h) => ({
    name: h.name, phase, source: 'hook',
    action: expandAction(h, params),
    namespace,
    selector: h.target?.podSelector,
    container: h.exec?.container ?? h.target?.container,
    params, engine: undefined, member: undefined,
  }));
}

/** The stored artifact a dump or load step writes or reads. */
export function artifactOf(step: Step): string {
  return step.action.artifact ?? step.name;
}
