/**
 * A recipe bound to one database: the Recipe or ClusterRecipe the binding names, the
 * parameters filled in (binding values, then Secrets, then the recipe's defaults) and
 * checked (every required one given), and where its exec steps run by default. Built-in
 * parameters every step may use: `freezeTimeoutSeconds` (the binding's freeze watchdog)
 * and `namespace`.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { RecipeBinding } from '../../k8s/api/consistency.ts';
import { parseWith } from '../../k8s/api/parse.ts';
import { recipeSpecSchema, type RecipeSpec } from '../../k8s/api/recipe.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import type { Parameters } from './parameters.ts';

export const DEFAULT_FREEZE_TIMEOUT_S = 300;

/** The binding fields a Backup's recipe, a group member and a Restore's recipe share. */
export type BindingLike = Pick<RecipeBinding, 'podSelector' | 'container' | 'parameters' | 'parameterSecrets' | 'workloadRef' | 'freeze'> & {
  readonly recipeRef?: RecipeBinding['recipeRef'] | undefined;
};

export interface BoundRecipe {
  /** `recipe/<name>` or `clusterrecipe/<name>`, for status. */
  readonly source: string;
  readonly name: string;
  readonly spec: RecipeSpec;
  readonly params: Parameters;
}

async function fetchRecipe(objects: HoldfastObjects, namespace: string, ref: NonNullable<BindingLike['recipeRef']>): Promise<RecipeSpec> {
  const cluster = ref.kind === 'ClusterRecipe';
  const obj = await objects.get(cluster ? { plural: 'clusterrecipes', name: ref.name } : { plural: 'recipes', namespace, name: ref.name });
  const what = cluster ? `ClusterRecipe ${ref.name}` : `Recipe ${namespace}/${ref.name}`;
  if (obj === undefined) throw new HoldfastError('CONFIG_INVALID', `${what} does not exist`);
  return parseWith(recipeSpecSchema, obj.spec, what);
}

export async function bindingParameters(objects: HoldfastObjects, namespace: string, b: BindingLike): Promise<Parameters> {
  const values: Record<string, string> = {
    namespace,
    freezeTimeoutSeconds: String(b.freeze?.timeoutSeconds ?? DEFAULT_FREEZE_TIMEOUT_S),
    ...(b.parameters ?? {}),
  };
  const secrets: string[] = [];
  for (const [name, ref] of Object.entries(b.parameterSecrets ?? {})) {
    const value = await objects.secretValue(namespace, ref.name, ref.key);
    values[name] = value;
    secrets.push(value);
  }
  return { values, secrets };
}

/** Resolves the recipe and its parameters; CONFIG_INVALID when the recipe is missing or a required parameter is not given. */
export async function bindRecipe(objects: HoldfastObjects, namespace: string, b: BindingLike): Promise<BoundRecipe | undefined> {
  if (b.recipeRef === undefined) return undefined;
  const spec = await fetchRecipe(objects, namespace, b.recipeRef);
  const given = await bindingParameters(objects, namespace, b);
  const values: Record<string, string> = {};
  for (const p of spec.parameters ?? []) {
    if (p.default !== undefined) values[p.name] = p.default;
  }
  Object.assign(values, given.values);
  const missing = (spec.parameters ?? []).filter((p) => p.required && values[p.name] === undefined).map((p) => p.name);
  const name = b.recipeRef.name;
  if (missing.length > 0) throw new HoldfastError('CONFIG_INVALID', `recipe ${name} needs the parameter(s) ${missing.join(', ')}`);
  const source = `${b.recipeRef.kind === 'ClusterRecipe' ? 'clusterrecipe' : 'recipe'}/${name}`;
  return { source, name, spec, params: { values, secrets: given.secrets } };
}
