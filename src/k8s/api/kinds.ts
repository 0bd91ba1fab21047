/**
 * The registry of Holdfast's kinds: names, scope, schemas and printer columns. The CRD
 * generator, the parsers and the tests all walk this one list.
 */
import { z } from 'zod';
import { backupPolicySpecSchema, backupPolicyStatusSchema, clusterBackupPolicySpecSchema, clusterBackupPolicyStatusSchema } from './backup-policy.ts';
import { backupRepositorySpecSchema, backupRepositoryStatusSchema } from './backup-repository.ts';
import { backupSpecSchema, backupStatusSchema } from './backup.ts';
import { API_VERSION } from './group.ts';
import { objectMetaSchema } from './meta.ts';
import { recipeSpecSchema, recipeStatusSchema } from './recipe.ts';
import { restoreSpecSchema, restoreStatusSchema } from './restore.ts';

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** 0: shown by `kubectl get`; 1: only with `-o wide`. */
  readonly priority?: number;
}

export interface KindDefinition<K extends string = string, Spec extends z.ZodType = z.ZodType, Status extends z.ZodType = z.ZodType> {
  readonly kind: K;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: 'Namespaced' | 'Cluster';
  /** Shown by `kubectl explain <kind>`. */
  readonly description: string;
  readonly spec: Spec;
  readonly status: Status;
  readonly printerColumns: readonly PrinterColumn[];
  /** Fields usable in `--field-selector` (strings, booleans or integers). */
  readonly selectableFields?: readonly string[];
}

function defineKind<K extends string, Spec extends z.ZodType, Status extends z.ZodType>(d: KindDefinition<K, Spec, Status>) {
  return d;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };
const condition = (type: string, priority = 0): PrinterColumn => ({
  name: type,
  type: 'string',
  jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
  description: `Status of the ${type} condition.`,
  priority,
});
const phase: PrinterColumn = { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Where it is.' };
const repository: PrinterColumn = { name: 'Repository', type: 'string', jsonPath: '.spec.repositoryRef.name', description: 'The BackupRepository.' };

export const backupRepositoryKind = defineKind({
  kind: 'BackupRepository',
  plural: 'backuprepositories',
  singular: 'backuprepository',
  shortNames: ['hfrepo'],
  scope: 'Cluster',
  description:
    'BackupRepository is a deduplicated, compressed, encrypted store of snapshots: an S3-compatible bucket or a filesystem. Namespaces use it as spec.allowedNamespaces allows.',
  spec: backupRepositorySpecSchema,
  status: backupRepositoryStatusSchema,
  printerColumns: [
    condition('Ready'),
    { name: 'Access', type: 'string', jsonPath: '.spec.accessMode', description: 'read-write or read-only.', priority: 1 },
    { name: 'ID', type: 'string', jsonPath: '.status.repositoryId', description: 'Repository id.', priority: 1 },
    { name: 'Stored', type: 'integer', jsonPath: '.status.size.storedBytes', description: 'Bytes stored.', priority: 1 },
    { name: 'Last Check', type: 'date', jsonPath: '.status.lastCheck.time', description: 'When the repository was last checked.' },
    age,
  ],
});

const policyColumns: PrinterColumn[] = [
  { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule.cron', description: 'Cron schedule.' },
  { name: 'Suspend', type: 'boolean', jsonPath: '.spec.schedule.suspend', description: 'Whether the schedule is suspended.' },
  { name: 'Method', type: 'string', jsonPath: '.spec.method', description: 'Backup method.' },
  { ...repository, priority: 1 },
  { name: 'Last Success', type: 'date', jsonPath: '.status.lastSuccessfulTime', description: 'When the newest successful Backup completed.' },
  condition('RPOMet'),
  age,
];

export const backupPolicyKind = defineKind({
  kind: 'BackupPolicy',
  plural: 'backuppolicies',
  singular: 'backuppolicy',
  shortNames: ['hfpolicy'],
  scope: 'Namespaced',
  description: 'BackupPolicy makes Backups of its namespace on a schedule, keeps them by its retention rules, and watches its RPO objective.',
  spec: backupPolicySpecSchema,
  status: backupPolicyStatusSchema,
  printerColumns: policyColumns,
  selectableFields: ['.spec.repositoryRef.name'],
});

export const clusterBackupPolicyKind = defineKind({
  kind: 'ClusterBackupPolicy',
  plural: 'clusterbackuppolicies',
  singular: 'clusterbackuppolicy',
  shortNames: ['hfcpolicy'],
  scope: 'Cluster',
  description: 'ClusterBackupPolicy makes Backups of many namespaces (chosen by labels or names) on a schedule, with retention and an RPO objective.',
  spec: clusterBackupPolicySpecSchema,
  status: clusterBackupPolicyStatusSchema,
  printerColumns: [...policyColumns.slice(0, 3), { name: 'Per', type: 'string', jsonPath: '.spec.backupPer', description: 'One Backup per namespace or per policy.', priority: 1 }, ...policyColumns.slice(3)],
  selectableFields: ['.spec.repositoryRef.name'],
});

export const backupKind = defineKind({
  kind: 'Backup',
  plural: 'backups',
  singular: 'backup',
  shortNames: ['hfbackup'],
  scope: 'Namespaced',
  description:
    'Backup is one application-consistent backup of Kubernetes objects and their data into a BackupRepository, on demand or made by a policy. Deleting it forgets its snapshots unless spec.deletionPolicy is retain.',
  spec: backupSpecSchema,
  status: backupStatusSchema,
  printerColumns: [
    phase,
    { name: 'Method', type: 'string', jsonPath: '.spec.method', description: 'Backup method.' },
    repository,
    { name: 'Snapshot', type: 'string', jsonPath: '.status.snapshotId', description: 'Record snapshot id in the repository.' },
    { name: 'Started', type: 'date', jsonPath: '.status.startTime', description: 'When the backup started.', priority: 1 },
    { name: 'New Bytes', type: 'integer', jsonPath: '.status.stats.bytesNew', description: 'Bytes not already in the repository.', priority: 1 },
    age,
  ],
  selectableFields: ['.spec.repositoryRef.name', '.status.phase'],
});

export const restoreKind = defineKind({
  kind: 'Restore',
  plural: 'restores',
  singular: 'restore',
  shortNames: ['hfrestore'],
  scope: 'Namespaced',
  description:
    'Restore brings back a Backup (or a snapshot from another cluster): to the same or mapped namespaces, as a clone under new names, partially, transformed, as a rollback with prune, and with volumes new or in place.',
  spec: restoreSpecSchema,
  status: restoreStatusSchema,
  printerColumns: [
    phase,
    { name: 'Backup', type: 'string', jsonPath: '.spec.source.backupName', description: 'The Backup restored from.' },
    { name: 'Snapshot', type: 'string', jsonPath: '.status.snapshotId', description: 'Record snapshot restored from.', priority: 1 },
    { name: 'Restored', type: 'integer', jsonPath: '.status.counts.created', description: 'Objects created.', priority: 1 },
    { name: 'Failed', type: 'integer', jsonPath: '.status.counts.failed', description: 'Objects that failed.' },
    age,
  ],
  selectableFields: ['.spec.source.backupName', '.status.phase'],
});

const recipeColumns: PrinterColumn[] = [
  { name: 'Engine', type: 'string', jsonPath: '.spec.engine', description: 'Database engine.' },
  condition('Accepted'),
  age,
];
const recipeDescription = 'knows how to quiesce, dump, load and verify one kind of database, as ordered steps per phase.';

export const recipeKind = defineKind({
  kind: 'Recipe',
  plural: 'recipes',
  singular: 'recipe',
  shortNames: ['hfrecipe'],
  scope: 'Namespaced',
  description: `Recipe ${recipeDescription} Usable by Backups and Restores in its namespace.`,
  spec: recipeSpecSchema,
  status: recipeStatusSchema,
  printerColumns: recipeColumns,
});

export const clusterRecipeKind = defineKind({
  kind: 'ClusterRecipe',
  plural: 'clusterrecipes',
  singular: 'clusterrecipe',
  shortNames: ['hfcrecipe'],
  scope: 'Cluster',
  description: `ClusterRecipe ${recipeDescription} Usable from every namespace; Holdfast ships them for PostgreSQL, MySQL/MariaDB, Redis and etcd.`,
  spec: recipeSpecSchema,
  status: recipeStatusSchema,
  printerColumns: recipeColumns,
});

export const KINDS = [
  backupRepositoryKind,
  backupPolicyKind,
  clusterBackupPolicyKind,
  backupKind,
  restoreKind,
  recipeKind,
  clusterRecipeKind,
] as const;

export type AnyKindDefinition = (typeof KINDS)[number];
export type KindName = AnyKindDefinition['kind'];

/** The full object schema of a kind: apiVersion, kind, metadata, spec, status. */
export function resourceSchema<K extends string, Spec extends z.ZodType, Status extends z.ZodType>(def: KindDefinition<K, Spec, Status>) {
  return z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(def.kind),
    metadata: objectMetaSchema,
    spec: def.spec,
    status: def.status.optional(),
  });
}
