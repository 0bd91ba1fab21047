/**
 * Restore (namespaced): brings a backup back — into the same namespace or mapped ones,
 * under new names (clone), partially, transformed, with a policy for objects that exist,
 * optionally pruning what was not in the backup (rollback), refilling volumes new or in
 * place, and loading dumps through the recipe. A Restore acts only inside its own
 * namespace unless it lives in the operator namespace.
 */
import { z } from 'zod';
import { hookSchema } from './actions.ts';
import { conditionListSchema } from './condition.ts';
import { recipeBindingSchema } from './consistency.ts';
import { repositoryReferenceSchema } from './refs.ts';
import { hookResultSchema, progressSchema } from './results.ts';
import { namedList, namespaceName, objectName, stringMap, stringSet, timestamp, total, withRules } from './schema-kit.ts';
import { resourceFilterShape } from './selectors.ts';
import { transformsSchema } from './transforms.ts';
import { restoreVolumesSchema } from './volumes.ts';

const sourceSchema = withRules(
  z
    .strictObject({
      backupName: objectName('A Backup in the namespace of the Restore (an imported one for a backup made elsewhere).').optional(),
      repositoryRef: repositoryReferenceSchema.optional().describe('Repository holding snapshotId.'),
      snapshotId: z.string().min(1).max(128).optional().describe("A backup's record snapshot id (or a unique prefix), e.g. from another cluster."),
    })
    .describe('What to restore: backupName, or repositoryRef with snapshotId.'),
  [
    {
      cel: 'has(self.backupName) != (has(self.repositoryRef) && has(self.snapshotId))',
      holds: (s) => (s.backupName !== undefined) !== (s.repositoryRef !== undefined && s.snapshotId !== undefined),
      message: 'source: set either backupName, or repositoryRef and snapshotId',
    },
    {
      cel: 'has(self.repositoryRef) == has(self.snapshotId)',
      holds: (s) => (s.repositoryRef !== undefined) === (s.snapshotId !== undefined),
      message: 'source: repositoryRef and snapshotId go together',
    },
  ],
);

export const restoreSpecSchema = z
  .strictObject({
    source: sourceSchema,
    selection: z
      .strictObject({
        namespaces: stringSet(namespaceName('A namespace of the backup.'), 256)
          .optional()
          .describe('Namespaces of the backup to restore; absent means all of them.'),
        ...resourceFilterShape,
      })
      .optional()
      .describe('Which of the captured objects to restore (a partial restore); absent means all.'),
    namespaceMapping: z
      .record(z.string().min(1).max(63), namespaceName('Target namespace.'))
      .optional()
      .describe('Namespace in the backup → namespace to restore into (created when missing). Targets other than the Restore\'s own namespace need the Restore to be in the operator namespace.'),
    rename: z
      .strictObject({
        names: stringMap('Name in the backup (or Kind/name) → new name.', 256).optional(),
        prefix: z.string().max(63).optional().describe('Put before every restored name.'),
        suffix: z.string().max(63).optional().describe('Put after every restored name.'),
      })
      .optional()
      .describe(
        'New names, to clone an application beside the original. References between restored objects (claims, services, config maps, secrets, selectors) follow the rename; the original name is kept in an annotation.',
      ),
    transforms: transformsSchema.optional(),
    existingResourcePolicy: z
      .enum(['skip', 'update', 'replace'])
      .default('skip')
      .describe('An object that already exists is left alone (skip), patched to the backed-up state (update), or deleted and recreated (replace).'),
    prune: z
      .boolean()
      .default(false)
      .describe('Rollback: delete objects in the restored scope (namespaces, kinds, labels) that were not in the backup.'),
    volumes: restoreVolumesSchema.optional(),
    recipe: recipeBindingSchema.optional().describe("Load the backup's dumps into this database with the recipe's load actions; default: the backup's recipe and pods, mapped."),
    hooks: namedList(hookSchema, 64).optional().describe('Extra steps (prepare, load, verify), after the recipe\'s steps of their phase.'),
    pointInTime: timestamp(
      'Restore the database to this time where the recipe supports it (e.g. WAL replay), such as a point inside a consistency window.',
    ).optional(),
  })
  .describe('What to restore, where, and how.');

export const RESTORE_PHASES = ['New', 'InProgress', 'Completed', 'PartiallyFailed', 'Failed'] as const;
export type RestorePhase = (typeof RESTORE_PHASES)[number];

export const RESOURCE_OUTCOMES = ['Created', 'Updated', 'Replaced', 'Skipped', 'Pruned', 'Failed'] as const;
export type ResourceOutcome = (typeof RESOURCE_OUTCOMES)[number];

const resourceResultSchema = z
  .object({
    group: z.string().describe('API group; empty for the core group.'),
    kind: z.string().describe('Kind.'),
    namespace: z.string().optional().describe('Namespace it was restored into (absent for cluster-scoped objects).'),
    name: z.string().describe('Name it was restored under.'),
    originalNamespace: z.string().optional().describe('Namespace in the backup, when mapped.'),
    originalName: z.string().optional().describe('Name in the backup, when renamed.'),
    outcome: z.enum(RESOURCE_OUTCOMES).describe('What happened to the object.'),
    message: z.string().max(4096).optional().describe('Why it failed or was skipped.'),
  })
  .describe('The outcome for one object.');

const countsSchema = z
  .object({
    total: total('Objects in scope.').optional(),
    created: total('Objects created.').optional(),
    updated: total('Objects updated.').optional(),
    replaced: total('Objects replaced.').optional(),
    skipped: total('Objects skipped.').optional(),
    pruned: total('Objects pruned.').optional(),
    failed: total('Objects that failed.').optional(),
  })
  .describe('Objects per outcome.');

const volumeResultSchema = z
  .object({
    namespace: z.string().describe('Namespace of the PVC.'),
    claimName: z.string().describe('Name of the PVC.'),
    phase: z.enum(['Pending', 'ScalingDown', 'Refilling', 'ScalingUp', 'Completed', 'Failed', 'RolledBack']).describe('Where the volume is in its restore.'),
    from: z.enum(['volume-snapshot', 'repository']).optional().describe('Filled from a VolumeSnapshot in this cluster or from the repository.'),
    snapshotId: z.string().optional().describe('Repository snapshot used.'),
    safetySnapshotId: z
      .string()
      .optional()
      .describe('in-place: the repository snapshot of what the PVC held before the refill; the rollback source, kept as an undo.'),
    bytesTotal: total('Bytes to write.').optional(),
    bytesDone: total('Bytes written.').optional(),
    message: z.string().max(4096).optional().describe('Error, if any.'),
  })
  .describe('One volume of the restore.');

export const restoreStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('metadata.generation the status describes.'),
    phase: z.enum(RESTORE_PHASES).optional().describe('Where the restore is: New, InProgress, Completed, PartiallyFailed or Failed.'),
    conditions: conditionListSchema.optional(),
    startTime: timestamp('When the restore started.').optional(),
    completionTime: timestamp('When it finished.').optional(),
    backupName: z.string().optional().describe('The Backup restored from.'),
    snapshotId: z.string().optional().describe('The record snapshot restored from.'),
    counts: countsSchema.optional(),
    resources: z
      .array(resourceResultSchema)
      .optional()
      .describe('Per-object outcomes: every failed object, then the others, at most 1000 entries (see resourcesTruncated).'),
    resourcesTruncated: z.boolean().optional().describe('More objects were restored than resources lists.'),
    volumes: z.array(volumeResultSchema).optional().describe('The volumes restored.'),
    scaledWorkloads: z
      .array(
        z
          .object({
            kind: z.string().describe('Kind of the workload.'),
            namespace: z.string().describe('Namespace of the workload.'),
            name: z.string().describe('Name of the workload.'),
            replicas: z.int().min(0).describe('Replicas before the scale-down.'),
          })
          .describe('A workload scaled down.'),
      )
      .optional()
      .describe('Workloads scaled down for an in-place restore, to be scaled up again.'),
    progress: progressSchema.optional(),
    hooks: z.array(hookResultSchema).optional().describe('Hook and recipe steps, in the order they ran.'),
    errors: z.array(z.string()).optional().describe('Errors (at most 100 kept).'),
    warnings: z.array(z.string()).optional().describe('Warnings (at most 100 kept).'),
  })
  .describe('Observed state of the restore.');

export type RestoreSpec = z.output<typeof restoreSpecSchema>;
export type RestoreSpecInput = z.input<typeof restoreSpecSchema>;
export type RestoreStatus = z.output<typeof restoreStatusSchema>;
export type RestoreSource = z.output<typeof sourceSchema>;
export type ResourceResult = z.output<typeof resourceResultSchema>;
export type RestoreVolumeResult = z.output<typeof volumeResultSchema>;
