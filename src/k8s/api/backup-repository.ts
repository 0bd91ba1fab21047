/**
 * BackupRepository (cluster-scoped): where snapshots are stored — an S3-compatible bucket
 * or a filesystem — with the Secret holding the repository password, and the namespaces
 * allowed to use it.
 */
import { z } from 'zod';
import { conditionListSchema } from './condition.ts';
import { clusterSecretKeySelectorSchema, clusterSecretReferenceSchema } from './refs.ts';
import { labelSelectorSchema } from './selectors.ts';
import { duration, exactlyOneOf, namespaceName, objectName, timestamp, total, withRules } from './schema-kit.ts';

const s3Schema = z
  .strictObject({
    endpoint: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^/]+/, 'must be an http:// or https:// URL')
      .optional()
      .describe('S3 endpoint URL (MinIO, Ceph RGW …); absent means AWS S3 for the region.'),
    bucket: z.string().min(3).max(63).describe('Bucket name.'),
    prefix: z.string().max(1024).default('').describe('Key prefix of the repository inside the bucket, e.g. clusters/prod.'),
    region: z.string().max(64).default('us-east-1').describe('Bucket region.'),
    credentialsSecretRef: clusterSecretReferenceSchema
      .extend({
        accessKeyIdKey: z.string().max(253).default('AWS_ACCESS_KEY_ID').describe('Key of the access key id.'),
        secretAccessKeyKey: z.string().max(253).default('AWS_SECRET_ACCESS_KEY').describe('Key of the secret access key.'),
        sessionTokenKey: z.string().max(253).optional().describe('Key of a session token, if any.'),
      })
      .optional()
      .describe("Secret with the access keys; absent means the SDK's default chain (e.g. IRSA or pod identity)."),
    caBundle: z.string().max(65536).optional().describe('PEM-encoded CA certificates trusted for the endpoint, beside the system ones.'),
    forcePathStyle: z.boolean().default(false).describe('Address the bucket as a path (endpoint/bucket), as MinIO and Ceph need.'),
    objectLock: z
      .strictObject({
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).describe('S3 Object Lock retention mode.'),
        retentionDays: z.int().min(1).max(36_500).describe('Days each stored object stays locked.'),
      })
      .optional()
      .describe('Write every object under S3 Object Lock (the bucket must have it enabled): an immutable repository. Locked snapshots cannot be forgotten early.'),
  })
  .describe('An S3-compatible bucket.');

const filesystemSchema = withRules(
  z
    .strictObject({
      path: z
        .string()
        .max(4096)
        .regex(/^\//, 'must be an absolute path')
        .optional()
        .describe('Absolute path mounted into the operator and mover pods (e.g. NFS configured in the Helm chart).'),
      pvc: z
        .strictObject({
          claimName: objectName('PVC in the operator namespace, mounted by the operator and mover pods (ReadWriteMany for movers on other nodes).'),
          subPath: z.string().max(4096).default('').describe('Directory inside the volume.'),
        })
        .optional()
        .describe('A PVC holding the repository.'),
    })
    .describe('A repository on a filesystem: exactly one of path or pvc.'),
  [exactlyOneOf(['path', 'pvc'], 'filesystem')],
);

const backendSchema = withRules(
  z.strictObject({ s3: s3Schema.optional(), filesystem: filesystemSchema.optional() }).describe('The storage: exactly one of s3 or filesystem.'),
  [exactlyOneOf(['s3', 'filesystem'], 'backend')],
);

const allowedNamespacesSchema = withRules(
  z
    .strictObject({
      from: z
        .enum(['none', 'selector', 'all'])
        .default('none')
        .describe(
          'none: only ClusterBackupPolicies, Backups and Restores in the operator namespace and the catalog use the repository; selector: also namespaces matching selector or listed in names; all: every namespace.',
        ),
      selector: labelSelectorSchema.optional().describe('Namespaces with these labels, for from: selector.'),
      names: z.array(namespaceName('A namespace.')).max(256).optional().describe('Namespaces by name, for from: selector.'),
    })
    .describe('Which namespaces may store backups in and restore from this repository.'),
  [
    {
      cel: "self.from == 'selector' || (!has(self.selector) && !has(self.names))",
      holds: (a) => a.from === 'selector' || (a.selector === undefined && a.names === undefined),
      message: 'selector and names are only used with from: selector',
    },
    {
      cel: "self.from != 'selector' || has(self.selector) || has(self.names)",
      holds: (a) => a.from !== 'selector' || a.selector !== undefined || a.names !== undefined,
      message: 'from: selector needs selector or names',
    },
  ],
);

export const backupRepositorySpecSchema = z
  .strictObject({
    backend: backendSchema,
    encryption: z
      .strictObject({
        keySecretRef: clusterSecretKeySelectorSchema.describe('Secret key holding the repository password (it unlocks a key slot).'),
      })
      .describe('Repository encryption. The repository is always encrypted; this names its password.'),
    accessMode: z
      .enum(['read-write', 'read-only'])
      .default('read-write')
      .describe('read-only: never write (e.g. a disaster-recovery cluster that restores another cluster\'s backups); no init, no maintenance.'),
    initialize: z
      .enum(['if-missing', 'never'])
      .default('if-missing')
      .describe('if-missing: create the repository when the location is empty; never: report NotInitialized instead.'),
    allowedNamespaces: allowedNamespacesSchema.optional().describe('Which namespaces may use this repository; absent means from: none.'),
    catalog: z
      .strictObject({
        enabled: z.boolean().default(true).describe('List the backups other clusters stored here as read-only Backup objects.'),
        interval: duration('How often to look for new backups.').default('5m'),
        namespace: namespaceName("Namespace for imported Backups; default: the backup's original namespace when it exists here, else the operator namespace.").optional(),
      })
      .optional()
      .describe('Catalog sync (export/import): backups made by other clusters appear here for restore.'),
    maintenance: z
      .strictObject({
        checkSchedule: z.string().min(1).max(256).optional().describe('Cron schedule of repository checks; absent means no scheduled check.'),
        readDataPercent: z.int().min(0).max(100).default(0).describe('Share of pack data each check reads and authenticates.'),
        pruneSchedule: z.string().min(1).max(256).optional().describe('Cron schedule of prune (garbage collection of forgotten data).'),
        timeZone: z.string().max(64).optional().describe('IANA time zone of the schedules; default UTC.'),
      })
      .optional()
      .describe('Scheduled checks and prunes, run by the operator as Jobs.'),
  })
  .describe('Where and how snapshots are stored.');

export const backupRepositoryStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('metadata.generation the status describes.'),
    conditions: conditionListSchema.optional(),
    initialized: z.boolean().optional().describe('The repository exists and was opened with the password.'),
    repositoryId: z.string().optional().describe('Id of the repository, from its config.'),
    formatVersion: z.int().optional().describe('Repository format version.'),
    size: z
      .object({
        storedBytes: total('Bytes stored in packs.').optional(),
        packs: total('Number of packs.').optional(),
        snapshots: total('Number of snapshots.').optional(),
        updatedAt: timestamp('When these figures were measured.').optional(),
      })
      .optional()
      .describe('Size of the repository.'),
    lastCheck: z
      .object({
        time: timestamp('When the check finished.').optional(),
        result: z.enum(['Passed', 'Failed']).optional().describe('Outcome of the check.'),
        readDataPercent: z.int().optional().describe('Share of pack data read.'),
        message: z.string().max(4096).optional().describe('Errors found, if any.'),
      })
      .optional()
      .describe('The last repository check.'),
    lastPrune: z
      .object({
        time: timestamp('When the prune finished.').optional(),
        freedBytes: total('Bytes freed.').optional(),
      })
      .optional()
      .describe('The last prune.'),
    catalog: z
      .object({
        lastSyncTime: timestamp('When the catalog was last read.').optional(),
        importedBackups: total('Backup objects created from other clusters\' snapshots.').optional(),
        clusters: z.array(z.string()).optional().describe('Ids of the clusters whose backups are in the repository.'),
      })
      .optional()
      .describe('Catalog sync.'),
  })
  .describe('Observed state of the repository.');

export type BackupRepositorySpec = z.output<typeof backupRepositorySpecSchema>;
export type BackupRepositorySpecInput = z.input<typeof backupRepositorySpecSchema>;
export type BackupRepositoryStatus = z.output<typeof backupRepositoryStatusSchema>;
export type S3Backend = z.output<typeof s3Schema>;
export type FilesystemBackend = z.output<typeof filesystemSchema>;
