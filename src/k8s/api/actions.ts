/**
 * Actions and hooks: the steps that bring an application to a consistent point, capture
 * it and let it go. A Recipe lists actions per phase; a Backup, BackupPolicy or Restore
 * can add hooks (an action plus its phase). Each action is exactly one of `exec` (a
 * command in a container of the target pods, or a local process in CLI mode), `http` (a
 * request) or `job` (a Job running a client image). Strings in commands, URLs, headers
 * and bodies may use `$(name)` to insert a recipe parameter.
 */
import { z } from 'zod';
import { labelSelectorSchema } from './selectors.ts';
import { localObjectReferenceSchema, secretKeySelectorSchema } from './refs.ts';
import { exactlyOneOf, objectName, stringMap, withRules } from './schema-kit.ts';

export const HOOK_PHASES = ['prepare', 'quiesce', 'unquiesce', 'dump', 'load', 'verify'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

const STEP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ARTIFACT_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;

const execSchema = z
  .strictObject({
    command: z
      .array(z.string().max(8192))
      .min(1)
      .max(64)
      .describe('The command and its arguments, run without a shell (use ["sh", "-c", "..."] for one); $(name) inserts a parameter.'),
    container: z.string().max(63).optional().describe("Container to run in; default: the target's container, else the pod's first container."),
    hold: z
      .strictObject({
        readyPattern: z
          .string()
          .min(1)
          .max(1024)
          .describe('Regular expression: the freeze counts as taken once a line of the standard output matches.'),
      })
      .optional()
      .describe(
        'For quiesce actions whose command must keep running while frozen (e.g. a session holding FLUSH TABLES WITH READ LOCK): Holdfast waits for readyPattern, captures, then ends the command by closing its standard input. The command must also end the freeze by itself when its timeout passes, so a lost operator never leaves the database frozen.',
      ),
  })
  .describe('Run a command in a container of the target pods (the exec subresource). Without a cluster (CLI), run it as a local process.');

const httpSchema = z
  .strictObject({
    url: z.string().min(1).max(2048).regex(/^https?:\/\//, 'must be an http:// or https:// URL').describe('URL to call; $(name) inserts a parameter.'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST').describe('HTTP method.'),
    headers: stringMap('Request headers; $(name) inserts a parameter.', 64).optional(),
    headersSecretRef: localObjectReferenceSchema
      .optional()
      .describe('A Secret (in the namespace of the Backup or Restore) whose keys are header names and values header values, e.g. Authorization.'),
    body: z.string().max(65536).optional().describe('Request body; $(name) inserts a parameter.'),
    expectedStatus: z
      .array(z.int().min(100).max(599))
      .max(16)
      .optional()
      .describe('Response statuses that mean success; absent means any 2xx.'),
    caBundle: z.string().max(65536).optional().describe('PEM-encoded CA certificates trusted for https, beside the system ones.'),
    insecureSkipTLSVerify: z.boolean().default(false).describe('Skip TLS certificate verification (for tests only).'),
  })
  .describe('Make an HTTP request (the NuoDB style of hook).');

const envVarSchema = withRules(
  z
    .strictObject({
      name: z.string().min(1).max(256).describe('Name of the environment variable.'),
      value: z.string().max(65536).optional().describe('Value; $(name) inserts a parameter.'),
      secretKeyRef: secretKeySelectorSchema.optional().describe('Take the value from a Secret in the namespace of the Backup or Restore.'),
    })
    .describe('An environment variable of the Job.'),
  [exactlyOneOf(['value', 'secretKeyRef'], 'env')],
);

const jobSchema = z
  .strictObject({
    image: z.string().min(1).max(1024).describe('Container image with the client tools (e.g. postgres:17 for pg_dump).'),
    command: z.array(z.string().max(8192)).max(64).optional().describe("Entrypoint; default: the image's."),
    args: z.array(z.string().max(8192)).max(256).optional().describe('Arguments; $(name) inserts a parameter.'),
    env: z.array(envVarSchema).max(64).optional().describe('Environment variables.'),
    serviceAccountName: objectName('Service account of the Job pod; default: the namespace default.').optional(),
  })
  .describe('Run a Job with a client image in the namespace of the Backup or Restore (e.g. a dump over the network).');

const targetSchema = z
  .strictObject({
    podSelector: labelSelectorSchema
      .optional()
      .describe("Pods to act on; for a recipe action it narrows the binding's pods (e.g. role=replica before role=primary)."),
    container: z.string().max(63).optional().describe('Container for exec actions.'),
    pods: z
      .enum(['one', 'all'])
      .default('one')
      .describe('one: a single ready pod (e.g. the one to dump from); all: every selected pod, one after another in name order.'),
  })
  .describe('Where an exec action runs.');

const actionShape = {
  name: z.string().min(1).max(63).regex(STEP_NAME, 'must be a lowercase DNS label').describe('Name of the step, unique in its list; used in status.'),
  exec: execSchema.optional(),
  http: httpSchema.optional(),
  job: jobSchema.optional(),
  target: targetSchema.optional(),
  artifact: z
    .string()
    .max(128)
    .regex(ARTIFACT_NAME, 'must be lowercase letters, digits, -, . and _')
    .optional()
    .describe(
      'dump phase: the name under which the standard output is stored as a stream snapshot (default: the step name); load phase: the stored stream fed to standard input.',
    ),
  timeoutSeconds: z.int().min(1).max(86_400).default(600).describe('Time limit of one attempt; a timed-out attempt counts as failed.'),
  retries: z.int().min(0).max(10).default(0).describe('Further attempts after a failure.'),
  onError: z
    .enum(['fail', 'continue'])
    .default('fail')
    .describe('fail: the backup or restore fails (unquiesce still runs); continue: record the failure and go on.'),
};

const oneKind = exactlyOneOf<{ exec?: unknown; http?: unknown; job?: unknown }>(['exec', 'http', 'job'], 'action');

export const actionSchema = withRules(z.strictObject(actionShape).describe('One step: exactly one of exec, http or job.'), [oneKind]);

export const hookSchema = withRules(
  z
    .strictObject({
      ...actionShape,
      phase: z
        .enum(HOOK_PHASES)
        .describe('When the hook runs. Backups run prepare, quiesce, unquiesce, dump and verify; Restores run prepare, load and verify.'),
    })
    .describe('A step run at a phase of a backup or restore: exactly one of exec, http or job.'),
  [
    oneKind,
    {
      cel: '!has(self.exec) || (has(self.target) && has(self.target.podSelector))',
      holds: (h) => h.exec === undefined || h.target?.podSelector !== undefined,
      message: 'an exec hook needs target.podSelector to choose its pods',
      field: ['target'],
    },
    {
      cel: "!has(self.artifact) || self.phase == 'dump' || self.phase == 'load'",
      holds: (h) => h.artifact === undefined || h.phase === 'dump' || h.phase === 'load',
      message: 'artifact is only for dump and load hooks',
      field: ['artifact'],
    },
  ],
);

export type Action = z.output<typeof actionSchema>;
export type Hook = z.output<typeof hookSchema>;
export type ExecAction = z.output<typeof execSchema>;
export type HttpAction = z.output<typeof httpSchema>;
export type JobAction = z.output<typeof jobSchema>;
