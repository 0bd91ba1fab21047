import type { RecipeSpecInput } from '../api/recipe.ts';
import type { HookPhase } from '../api/actions.ts';
import type { ObjectMeta } from '../api/meta.ts';
import { clusterRecipeSchema, recipeSchema, type ClusterRecipe, type ClusterRecipeInput, type Recipe, type RecipeInput } from '../api/resources.ts';
import { ResourceBuilder } from './resource-builder.ts';
import type { z } from 'zod';

type Step = NonNullable<RecipeSpecInput['actions']['dump']>[number];

class AnyRecipeBuilder<Input extends RecipeInput | ClusterRecipeInput, Output> extends ResourceBuilder<Input, Output> {
  protected constructor(schema: z.ZodType<Output>, kind: Input['kind'], metadata: ObjectMeta) {
    super(schema, kind, metadata, { actions: {} } as Input['spec']);
  }

  private get recipe(): RecipeSpecInput {
    return this.spec as RecipeSpecInput;
  }

  engine(engine: string): this {
    this.recipe.engine = engine;
    return this;
  }

  container(container: string): this {
    this.recipe.container = container;
    return this;
  }

  parameter(name: string, options: { default?: string; required?: boolean; description?: string } = {}): this {
    this.recipe.parameters = [...(this.recipe.parameters ?? []), { name, ...options }];
    return this;
  }

  /** Appends a step to a phase. */
  step(phase: HookPhase, step: Step): this {
    this.recipe.actions[phase] = [...(this.recipe.actions[phase] ?? []), step];
    return this;
  }

  /** Appends an exec step running `command` to a phase. */
  exec(phase: HookPhase, name: string, command: string[], options: Omit<Step, 'name' | 'exec'> = {}): this {
    return this.step(phase, { name, exec: { command }, ...options });
  }
}

export class RecipeBuilder extends AnyRecipeBuilder<RecipeInput, Recipe> {
  constructor(namespace: string, name: string) {
    super(recipeSchema, 'Recipe', { namespace, name });
  }
}

export class ClusterRecipeBuilder extends AnyRecipeBuilder<ClusterRecipeInput, ClusterRecipe> {
  constructor(name: string) {
    super(clusterRecipeSchema, 'ClusterRecipe', { name });
  }
}

export function forRecipe(namespace: string, name: string): RecipeBuilder {
  return new RecipeBuilder(namespace, name);
}

export function forClusterRecipe(name: string): ClusterRecipeBuilder {
  return new ClusterRecipeBuilder(name);
}
