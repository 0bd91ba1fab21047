/**
 * BackupPolicy (namespaced) and ClusterBackupPolicy (cluster-scoped): when to back up
 * (cron in a time zone, concurrency, starting deadline), what and how (the Backup
 * template fields, flat in the spec), how long to keep (retention), and the RPO
 * objective. A policy labels the Backups it creates with its name; it does not own them,
 * so deleting a policy keeps its backups.
 */
import { z } from 'zod';
import { backupTemplateRules, backupTemplateShape, type BackupSpec } from './backup.ts';
import { conditionListSchema } from './condition.ts';
import { keepSchema } from './retention.ts';
import { labelSelectorSchema } from './selectors.ts';
import { duration, stringMap, timestamp, total, withRules } from './schema-kit.ts';

/** Five or six cron fields (seconds first when six), or a macro such as @daily. */
export const CRON_PATTERN = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\S+(\s+\S+){4,5})$/;

export const scheduleSchema = z
  .strictObject({
    cron: z
      .string()
      .min(1)
      .max(256)
      .regex(CRON_PATTERN, 'must be a cron expression of 5 or 6 fields, or a macro such as @daily')
      .describe('When to back up: a cron expression (5 fields, or 6 with seconds first) or @hourly, @daily, @weekly, @monthly, @yearly.'),
    timeZone: z
      .string()
      .max(64)
      .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA time zone such as Europe/Paris')
      .optional()
      .describe('IANA time zone of the cron expression, e.g. Europe/Paris; default UTC. Daylight-saving changes are handled.'),
    concurrencyPolicy: z
      .enum(['Allow', 'Forbid', 'Replace'])
      .default('Forbid')
      .describe('When a run is due while the previous Backup still runs: Allow both, Forbid (skip the new run), or Replace (cancel the old one).'),
    startingDeadlineSeconds: z
      .int()
      .min(0)
      .optional()
      .describe('A run missed by more than this (operator down, suspended) is skipped; absent means a missed run starts as soon as possible.'),
    suspend: z.boolean().default(false).describe('Stop creating Backups; existing ones and retention are unaffected.'),
  })
  .describe('When the policy makes Backups (as a CronJob would).');

const policyShape = {
  ...backupTemplateShape,
  schedule: scheduleSchema,
  keep: keepSchema.optional().describe('Retention of the Backups this policy made; absent keeps them all.'),
  rpo: duration('Recovery point objective: the longest acceptable time since the last successful Backup, surfaced as condition RPOMet and a metric.').optional(),
  failedBackupsHistoryLimit: z.int().min(0).max(100).default(3).describe('Failed Backups kept for inspection; older failed ones are deleted.'),
  backupLabels: stringMap('Labels put on the Backups the policy creates.', 32).optional(),
};

export const backupPolicySpecSchema = withRules(
  z.strictObject(policyShape).describe('A schedule, the backups it makes, and their retention.'),
  backupTemplateRules,
);

export const clusterBackupPolicySpecSchema = withRules(
  z
    .strictObject({
      ...policyShape,
      namespaceSelector: labelSelectorSchema
        .optional()
        .describe('Namespaces to back up, by their labels; together with selection.namespaces (the union).'),
      backupPer: z
        .enum(['namespace', 'policy'])
        .default('namespace')
        .describe(
          "namespace: one Backup per selected namespace, created in that namespace (its owners can see and restore it); policy: one Backup in the operator namespace covering every selected namespace (cluster DR, consistency groups across namespaces).",
        ),
    })
    .describe('A policy for many namespaces.'),
  [
    ...backupTemplateRules,
    {
      cel: 'has(self.namespaceSelector) || (has(self.selection) && has(self.selection.namespaces))',
      holds: (p) => p.namespaceSelector !== undefined || p.selection?.namespaces !== undefined,
      message: 'a ClusterBackupPolicy needs namespaceSelector or selection.namespaces',
      field: ['namespaceSelector'],
    },
  ],
);

const policyStatusShape = {
  observedGeneration: z.int().min(0).optional().describe('metadata.generation the status describes.'),
  conditions: conditionListSchema.optional(),
  lastScheduleTime: timestamp('When a Backup was last created.').optional(),
  nextScheduleTime: timestamp('When the next Backup is due.').optional(),
  lastBackupName: z.string().optional().describe('The Backup created last (namespace/name for a ClusterBackupPolicy).'),
  lastSuccessfulBackupName: z.string().optional().describe('The newest successful Backup.'),
  lastSuccessfulTime: timestamp('When the newest successful Backup completed.').optional(),
  active: z.array(z.string()).optional().describe('Backups of this policy still running.'),
  retention: z
    .object({
      lastAppliedAt: timestamp('When retention last ran.').optional(),
      kept: total('Backups kept.').optional(),
      deleted: total('Backups deleted by the last run.').optional(),
    })
    .optional()
    .describe('The last retention run.'),
};

export const backupPolicyStatusSchema = z.object(policyStatusShape).describe('Observed state of the policy.');

export const clusterBackupPolicyStatusSchema = z
  .object({
    ...policyStatusShape,
    namespaces: z
      .array(
        z
          .object({
            namespace: z.string().describe('A selected namespace.'),
            lastBackupName: z.string().optional().describe('Its latest Backup.'),
            lastSuccessfulTime: timestamp('When its newest successful Backup completed.').optional(),
          })
          .describe('Backups of one selected namespace.'),
      )
      .optional()
      .describe('The selected namespaces (backupPer: namespace).'),
  })
  .describe('Observed state of the policy.');

/** The spec of a Backup a policy creates: the policy's template fields, copied. */
export function backupSpecFromPolicy(policy: BackupPolicySpec | ClusterBackupPolicySpec): BackupSpec {
  const spec: Record<string, unknown> = {};
  for (const key of Object.keys(backupTemplateShape) as Array<keyof typeof backupTemplateShape>) {
    if (policy[key] !== undefined) spec[key] = structuredClone(policy[key]);
  }
  return spec as BackupSpec;
}

export type Schedule = z.output<typeof scheduleSchema>;
export type BackupPolicySpec = z.output<typeof backupPolicySpecSchema>;
export type BackupPolicySpecInput = z.input<typeof backupPolicySpecSchema>;
export type BackupPolicyStatus = z.output<typeof backupPolicyStatusSchema>;
export type ClusterBackupPolicySpec = z.output<typeof clusterBackupPolicySpecSchema>;
export type ClusterBackupPolicySpecInput = z.input<typeof clusterBackupPolicySpecSchema>;
export type ClusterBackupPolicyStatus = z.output<typeof clusterBackupPolicyStatusSchema>;
