/**
 * How a backup reaches a consistent point: a recipe bound to the pods of one database,
 * a freeze mode with a watchdog, and consistency groups that pause several databases
 * (and the applications writing to them) together and record the pause window.
 */
import { z } from 'zod';
import { labelSelectorSchema } from './selectors.ts';
import { recipeReferenceSchema, secretKeySelectorSchema, workloadReferenceSchema } from './refs.ts';
import { duration, namedList, stringMap, withRules, type CrossFieldRule } from './schema-kit.ts';

export const FREEZE_MODES = ['recipe', 'fsfreeze', 'suspend', 'scale-to-zero', 'none'] as const;
export type FreezeMode = (typeof FREEZE_MODES)[number];

export const freezeSchema = z
  .strictObject({
    mode: z
      .enum(FREEZE_MODES)
      .default('recipe')
      .describe(
        "recipe: the recipe's quiesce and unquiesce actions (database-native, e.g. pg_backup_start, FLUSH TABLES WITH READ LOCK); fsfreeze: freeze the volumes' filesystems; suspend: SIGSTOP/SIGCONT the container processes; scale-to-zero: scale workloadRef to 0 and back (the replica count is remembered); none: no freeze (crash-consistent).",
      ),
    timeoutSeconds: z
      .int()
      .min(1)
      .max(86_400)
      .default(300)
      .describe('Watchdog: the longest a freeze may last. Holdfast unfreezes after it whatever happens (the backup then fails).'),
    unquiesceWhen: z
      .enum(['snapshot-cut', 'snapshot-ready'])
      .default('snapshot-cut')
      .describe('For snapshot methods: unquiesce as soon as every VolumeSnapshot is cut, or only once they are ready to use.'),
  })
  .describe('How the application is frozen while it is captured. Unquiesce always runs once quiesce started.');

const bindingShape = {
  recipeRef: recipeReferenceSchema.optional(),
  podSelector: labelSelectorSchema.optional().describe("The database's pods, where the recipe's exec actions run."),
  container: z.string().max(63).optional().describe("Container for exec actions unless an action names one; default: the recipe's, else the first."),
  parameters: stringMap("Values of the recipe's parameters, inserted as $(name).", 64).optional(),
  parameterSecrets: z
    .record(z.string().min(1).max(63), secretKeySelectorSchema)
    .optional()
    .describe('Parameters whose values come from Secrets in the namespace of the Backup or Restore (e.g. a password).'),
  workloadRef: workloadReferenceSchema.optional().describe('The workload to scale for freeze mode scale-to-zero and for in-place restores.'),
  freeze: freezeSchema.optional().describe('Freeze mode; absent means the recipe\'s quiesce actions when a recipe is set, else none.'),
};

type BindingLike = { recipeRef?: unknown; podSelector?: unknown; workloadRef?: unknown; freeze?: { mode: FreezeMode } };

const bindingRules: Array<CrossFieldRule<BindingLike>> = [
  {
    cel: "!has(self.freeze) || self.freeze.mode != 'scale-to-zero' || has(self.workloadRef)",
    holds: (b) => b.freeze?.mode !== 'scale-to-zero' || b.workloadRef !== undefined,
    message: 'freeze mode scale-to-zero needs workloadRef',
    field: ['workloadRef'],
  },
  {
    cel: "!has(self.freeze) || self.freeze.mode != 'recipe' || has(self.recipeRef)",
    holds: (b) => b.freeze?.mode !== 'recipe' || b.recipeRef !== undefined,
    message: 'freeze mode recipe needs recipeRef',
    field: ['recipeRef'],
  },
  {
    cel: '!has(self.recipeRef) || has(self.podSelector)',
    holds: (b) => b.recipeRef === undefined || b.podSelector !== undefined,
    message: "a recipe needs podSelector to choose the database's pods",
    field: ['podSelector'],
  },
];

/** One database protected with a recipe. */
export const recipeBindingSchema = withRules(
  z
    .strictObject({ ...bindingShape, recipeRef: recipeReferenceSchema.describe('The recipe that knows this database.') })
    .describe('A recipe applied to one database: which recipe, which pods, its parameters and freeze mode.'),
  bindingRules,
);

const memberSchema = withRules(
  z
    .strictObject({
      name: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).describe('Name of the member, unique in the group; used in status.'),
      ...bindingShape,
      recipeRef: recipeReferenceSchema.optional().describe('The recipe for a database member; absent for an application that is only paused.'),
    })
    .describe('A database or an application in the group.'),
  bindingRules,
);

export const consistencyGroupSchema = z
  .strictObject({
    members: namedList(memberSchema, 16)
      .min(1)
      .describe('The databases and applications paused together; each is frozen by its freeze mode (recipe, hooks or scale-to-zero).'),
    skewMargin: duration('Wait this long after every member is paused before capturing, to cover clock skew between members.').default('1s'),
    verifyPods: z
      .boolean()
      .default(true)
      .describe("Compare the members' pods (count, names, phase, restart counts) before and after the pause window."),
    onPodChange: z
      .enum(['mark-inconsistent', 'fail'])
      .default('mark-inconsistent')
      .describe('When a pod changed during the window: keep the backup but mark it Inconsistent, or fail it.'),
  })
  .describe(
    'Several databases and the applications writing to them, paused together (the ScalarDB workflow): the backup records pausedAt and unpausedAt, so a restore can target a point inside the window.',
  );

export type Freeze = z.output<typeof freezeSchema>;
export type RecipeBinding = z.output<typeof recipeBindingSchema>;
export type ConsistencyGroup = z.output<typeof consistencyGroupSchema>;
export type ConsistencyGroupMember = z.output<typeof memberSchema>;
