/**
 * Recipe (namespaced) and ClusterRecipe (cluster-scoped, shipped for PostgreSQL,
 * MySQL/MariaDB, Redis and etcd): what a database needs at each phase of a backup or
 * restore, as ordered actions, with the parameters a binding fills in.
 */
import { z } from 'zod';
import { actionSchema, HOOK_PHASES } from './actions.ts';
import { conditionListSchema } from './condition.ts';
import { namedList, withRules } from './schema-kit.ts';

const parameterSchema = z
  .strictObject({
    name: z.string().min(1).max(63).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and _').describe('Name, used as $(name).'),
    description: z.string().max(1024).optional().describe('What the parameter means.'),
    default: z.string().max(4096).optional().describe('Value when the binding gives none.'),
    required: z.boolean().default(false).describe('A binding must give a value.'),
  })
  .describe('A parameter of the recipe.');

const stepList = (phase: string) => namedList(actionSchema, 32).optional().describe(`Steps of the ${phase} phase, in order.`);

const actionsSchema = withRules(
  z
    .strictObject({
      prepare: stepList('prepare (before anything is frozen, e.g. a checkpoint)'),
      quiesce: stepList('quiesce (bring the database to a consistent, frozen point)'),
      unquiesce: stepList('unquiesce (release the freeze; always runs once quiesce started)'),
      dump: stepList('dump (each step\'s standard output is streamed into the repository as its artifact)'),
      load: stepList('load (each step reads its artifact on standard input)'),
      verify: stepList('verify (check a restored database)'),
    })
    .describe('Ordered steps per phase.'),
  [
    {
      cel: '!has(self.quiesce) || has(self.unquiesce)',
      holds: (a) => a.quiesce === undefined || a.unquiesce !== undefined,
      message: 'a recipe with quiesce steps needs unquiesce steps',
      field: ['unquiesce'],
    },
  ],
);

export const recipeSpecSchema = z
  .strictObject({
    description: z.string().max(4096).optional().describe('What the recipe protects and how.'),
    engine: z.string().max(63).optional().describe('The database engine, for display: postgresql, mysql, mariadb, redis, etcd …'),
    container: z.string().max(63).optional().describe('Default container of exec steps (e.g. postgres).'),
    parameters: namedList(parameterSchema, 64).optional().describe('Parameters the steps use as $(name).'),
    actions: actionsSchema,
  })
  .describe('How to quiesce, dump, load and verify one kind of database.');

export const recipeStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('metadata.generation the status describes.'),
    conditions: conditionListSchema.optional(),
  })
  .describe('Observed state of the recipe.');

export const RECIPE_PHASES = HOOK_PHASES;

export type RecipeSpec = z.output<typeof recipeSpecSchema>;
export type RecipeSpecInput = z.input<typeof recipeSpecSchema>;
export type RecipeStatus = z.output<typeof recipeStatusSchema>;
export type RecipeParameter = z.output<typeof parameterSchema>;
export type RecipeActions = z.output<typeof actionsSchema>;
