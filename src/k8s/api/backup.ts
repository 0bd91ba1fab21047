/**
 * Backup (namespaced): one backup, created on demand or by a policy. Its spec fields are
 * also the template a BackupPolicy fills in (`backupTemplateShape`). Deleting a Backup
 * forgets its snapshots in the repository (finalizer) unless deletionPolicy is retain,
 * the snapshots are under an Object Lock, or the Backup was imported.
 */
import { z } from 'zod';
import { hookSchema } from './actions.ts';
import { conditionListSchema } from './condition.ts';
import { consistencyGroupSchema, recipeBindingSchema } from './consistency.ts';
import { repositoryReferenceSchema } from './refs.ts';
import { byteStatsSchema, hookResultSchema, progressSchema } from './results.ts';
import { atMostOneOf, count, namedList, namespaceName, stringMap, stringSet, timestamp, total, withRules, type CrossFieldRule } from './schema-kit.ts';
import { resourceFilterShape } from './selectors.ts';
import { backupVolumesSchema } from './volumes.ts';

export const BACKUP_METHODS = ['resources', 'dump', 'filesystem', 'snapshot', 'snapshot+move'] as const;
export type BackupMethod = (typeof BACKUP_METHODS)[number];

export const selectionSchema = z
  .strictObject({
    namespaces: stringSet(namespaceName('A namespace.'), 256)
      .optional()
      .describe(
        "Namespaces to capture. Absent means the Backup's own namespace (for a ClusterBackupPolicy: the namespaces it selects). Only Backups in the operator namespace may name other namespaces.",
      ),
    ...resourceFilterShape,
  })
  .describe('Which Kubernetes objects are captured.');

/** The fields a Backup shares with the backups a BackupPolicy or ClusterBackupPolicy makes. */
export const backupTemplateShape = {
  repositoryRef: repositoryReferenceSchema,
  selection: selectionSchema.optional(),
  method: z
    .enum(BACKUP_METHODS)
    .default('resources')
    .describe(
      'How data is taken beside the Kubernetes objects: resources (objects only), dump (logical dumps by the recipe, streamed), filesystem (PVC contents copied by a mover Job), snapshot (CSI VolumeSnapshots kept in the cluster), snapshot+move (snapshots copied into the repository).',
    ),
  volumes: backupVolumesSchema.optional(),
  recipe: recipeBindingSchema.optional().describe('The database this backup protects, and the recipe that knows it.'),
  consistencyGroup: consistencyGroupSchema.optional(),
  hooks: namedList(hookSchema, 64).optional().describe('Extra steps, run in list order within their phase, after the recipe\'s steps of that phase.'),
  snapshotLabels: stringMap('Labels stored on the repository snapshots (shown by holdfast snapshots).', 32).optional(),
  deletionPolicy: z
    .enum(['delete', 'retain'])
    .default('delete')
    .describe('delete: deleting the Backup forgets its snapshots in the repository; retain: the snapshots stay (e.g. a legal hold).'),
};

type TemplateLike = {
  method: BackupMethod;
  recipe?: unknown;
  consistencyGroup?: unknown;
  hooks?: Array<{ phase: string }>;
  volumes?: unknown;
};

export const backupTemplateRules: Array<CrossFieldRule<TemplateLike>> = [
  atMostOneOf(['recipe', 'consistencyGroup'], 'backup'),
  {
    cel: "self.method != 'dump' || has(self.recipe) || has(self.consistencyGroup) || (has(self.hooks) && self.hooks.exists(h, h.phase == 'dump'))",
    holds: (b) => b.method !== 'dump' || b.recipe !== undefined || b.consistencyGroup !== undefined || (b.hooks ?? []).some((h) => h.phase === 'dump'),
    message: 'method dump needs a recipe, a consistencyGroup or a hook with phase dump',
    field: ['method'],
  },
  {
    cel: "!has(self.volumes) || self.method != 'resources'",
    holds: (b) => b.volumes === undefined || b.method !== 'resources',
    message: 'volumes is for the filesystem, snapshot and snapshot+move methods',
    field: ['volumes'],
  },
];

export const backupSpecSchema = withRules(
  z
    .strictObject({
      ...backupTemplateShape,
      imported: z
        .strictObject({
          snapshotId: z.string().min(1).max(128).describe('The backup\'s record snapshot in the repository.'),
          sourceCluster: z.string().min(1).max(253).describe('Id of the cluster that made the backup.'),
          sourceNamespace: z.string().max(63).optional().describe('Namespace of the original Backup.'),
          sourceName: z.string().max(253).optional().describe('Name of the original Backup.'),
        })
        .optional()
        .describe('Set by the catalog sync: this Backup stands for a backup another cluster made. It is never run, and deleting it keeps the data.'),
    })
    .describe('What to back up, how, and where.'),
  [
    ...backupTemplateRules,
    {
      // A transition rule: the apiserver checks it on update; there is no old object to parse.
      cel: 'has(self.imported) == has(oldSelf.imported) && (!has(oldSelf.imported) || self == oldSelf)',
      holds: () => true,
      message: 'spec.imported cannot be added or removed, and an imported Backup is read-only',
    },
  ],
);

export const BACKUP_PHASES = ['New', 'InProgress', 'Completed', 'PartiallyFailed', 'Failed', 'Inconsistent', 'Deleting'] as const;
export type BackupPhase = (typeof BACKUP_PHASES)[number];

const kindCountSchema = z
  .object({
    group: z.string().describe('API group; empty for the core group.'),
    version: z.string().optional().describe('API version captured.'),
    kind: z.string().describe('Kind.'),
    count: count('Objects captured.'),
    failed: count('Objects that could not be captured.').optional(),
  })
  .describe('Objects captured of one kind.');

const volumeStatusSchema = z
  .object({
    namespace: z.string().describe('Namespace of the PVC.'),
    claimName: z.string().describe('Name of the PVC.'),
    method: z.enum(['filesystem', 'snapshot', 'snapshot+move']).describe('How the volume was taken.'),
    phase: z.enum(['Pending', 'Snapshotting', 'SnapshotCut', 'SnapshotReady', 'Moving', 'Completed', 'Failed']).describe('Where the volume is in its backup.'),
    storageClassName: z.string().optional().describe('Storage class of the PVC.'),
    capacity: z.string().optional().describe('Size of the volume, e.g. 10Gi.'),
    volumeMode: z.enum(['Filesystem', 'Block']).optional().describe('Volume mode of the PVC.'),
    accessModes: z.array(z.string()).optional().describe('Access modes of the PVC.'),
    driver: z.string().optional().describe('CSI driver.'),
    volumeSnapshotName: z.string().optional().describe('The VolumeSnapshot.'),
    volumeSnapshotContentName: z.string().optional().describe('Its VolumeSnapshotContent.'),
    volumeGroupSnapshotName: z.string().optional().describe('The VolumeGroupSnapshot it belongs to, if any.'),
    snapshotHandle: z.string().optional().describe("The storage system's snapshot handle, for import into another cluster."),
    snapshotId: z.string().optional().describe('Repository snapshot with the volume data (filesystem, snapshot+move).'),
    parentSnapshotId: z.string().optional().describe('The previous snapshot of this volume the move was incremental to.'),
    bytesTotal: total('Bytes to move.').optional(),
    bytesDone: total('Bytes moved.').optional(),
    bytesNew: total('Bytes not already in the repository.').optional(),
    startedAt: timestamp('When work on the volume started.').optional(),
    completedAt: timestamp('When it finished.').optional(),
    message: z.string().max(4096).optional().describe('Error, if any.'),
  })
  .describe('One volume of the backup.');

const dumpStatusSchema = z
  .object({
    member: z.string().optional().describe('Consistency-group member the dump belongs to, if any.'),
    artifact: z.string().describe('Name of the stored stream.'),
    phase: z.enum(['Running', 'Completed', 'Failed']).describe('State of the dump.'),
    snapshotId: z.string().optional().describe('Repository snapshot holding the stream.'),
    bytes: total('Bytes of the stream.').optional(),
    startedAt: timestamp('When the dump started.').optional(),
    completedAt: timestamp('When it finished.').optional(),
    message: z.string().max(4096).optional().describe('Error, if any.'),
  })
  .describe('One logical dump streamed into the repository.');

const consistencyStatusSchema = z
  .object({
    pausedAt: timestamp('When the last member was frozen: the start of the consistency window.').optional(),
    unpausedAt: timestamp('When the first member was released: the end of the window.').optional(),
    consistent: z.boolean().optional().describe('No pod changed during the window (count, names, phase, restarts).'),
    podChanges: z.array(z.string()).optional().describe('What changed, e.g. "db/pg-0 restarts 0→1".'),
  })
  .describe('The window in which every frozen member was paused; a restore can target a point inside it.');

export const backupStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('metadata.generation the status describes.'),
    phase: z.enum(BACKUP_PHASES).optional().describe('Where the backup is: New, InProgress, Completed, PartiallyFailed, Failed, Inconsistent or Deleting.'),
    conditions: conditionListSchema.optional(),
    startTime: timestamp('When the backup started.').optional(),
    completionTime: timestamp('When it finished.').optional(),
    clusterId: z.string().optional().describe('Id of the cluster that made the backup.'),
    repositoryId: z.string().optional().describe('Id of the repository holding it.'),
    snapshotId: z.string().optional().describe("The backup's record snapshot: the captured objects and the list of the other snapshots."),
    snapshots: z
      .array(
        z
          .object({
            id: z.string().describe('Snapshot id.'),
            type: z.enum(['resources', 'volume', 'dump']).describe('What the snapshot holds.'),
            name: z.string().optional().describe('The PVC (namespace/claim) or dump artifact.'),
          })
          .describe('A repository snapshot of the backup.'),
      )
      .optional()
      .describe('Every repository snapshot of the backup.'),
    resources: z
      .object({
        total: total('Objects captured.'),
        failed: total('Objects that could not be captured.').optional(),
        byKind: z.array(kindCountSchema).optional().describe('Objects captured per kind.'),
      })
      .optional()
      .describe('The Kubernetes objects captured.'),
    volumes: z.array(volumeStatusSchema).optional().describe('The volumes captured.'),
    dumps: z.array(dumpStatusSchema).optional().describe('The logical dumps captured.'),
    stats: byteStatsSchema.optional(),
    progress: progressSchema.optional(),
    consistency: consistencyStatusSchema.optional(),
    hooks: z.array(hookResultSchema).optional().describe('Hook and recipe steps, in the order they ran.'),
    errors: z.array(z.string()).optional().describe('Errors (at most 100 kept).'),
    warnings: z.array(z.string()).optional().describe('Warnings (at most 100 kept).'),
  })
  .describe('Observed state of the backup.');

export type BackupSpec = z.output<typeof backupSpecSchema>;
export type BackupSpecInput = z.input<typeof backupSpecSchema>;
export type BackupStatus = z.output<typeof backupStatusSchema>;
export type BackupSelection = z.output<typeof selectionSchema>;
export type BackupVolumeStatus = z.output<typeof volumeStatusSchema>;
export type BackupDumpStatus = z.output<typeof dumpStatusSchema>;
export type ConsistencyWindow = z.output<typeof consistencyStatusSchema>;
