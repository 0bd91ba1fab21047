/**
 * A recipe file (`holdfast backup --recipe FILE`): the same shape as the spec of a
 * Recipe / ClusterRecipe object — parameters, and ordered steps per phase, each exactly
 * one of `exec` or `http` — given bare or as the whole manifest (`kind: ClusterRecipe`,
 * `spec: …`), so one file serves the cluster and the command line. This layer may not
 * import the Kubernetes API types; the schema here follows k8s/api/recipe.ts and a test
 * (test/db/recipe-file.test.ts) holds the two to the same files. In CLI mode `exec` runs
 * a local process; `container` and `target` choose pods in a cluster and are ignored;
 * `job` steps need a cluster and are refused.
 */
import { parse } from 'yaml';
import { z } from 'zod';
import { HoldfastError, messageOf } from '../../core/errors.ts';

const STEP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ARTIFACT_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;

const execSchema = z.strictObject({
  command: z.array(z.string().max(8192)).min(1).max(64),
  container: z.string().max(63).optional(),
  hold: z.strictObject({ readyPattern: z.string().min(1).max(1024) }).optional(),
});

const httpSchema = z.strictObject({
  url: z.string().min(1).max(2048).regex(/^https?:\/\//, 'must be an http:// or https:// URL'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: z.record(z.string(), z.string()).optional(),
  headersSecretRef: z.strictObject({ name: z.string() }).optional(),
  body: z.string().max(65536).optional(),
  expectedStatus: z.array(z.int().min(100).max(599)).max(16).optional(),
  caBundle: z.string().max(65536).optional(),
  insecureSkipTLSVerify: z.boolean().default(false),
});

const stepSchema = z.strictObject({
  name: z.string().min(1).max(63).regex(STEP_NAME, 'must be a lowercase DNS label'),
  exec: execSchema.optional(),
  http: httpSchema.optional(),
  job: z.record(z.string(), z.unknown()).optional(),
  target: z.strictObject({ podSelector: z.unknown().optional(), container: z.string().optional(), pods: z.enum(['one', 'all']).optional() }).optional(),
  artifact: z.string().max(128).regex(ARTIFACT_NAME, 'must be lowercase letters, digits, -, . and _').optional(),
  timeoutSeconds: z.int().min(1).max(86_400).default(600),
  retries: z.int().min(0).max(10).default(0),
  onError: z.enum(['fail', 'continue']).default('fail'),
}).refine((s) => [s.exec, s.http, s.job].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of exec, http or job' });

const stepList = z.array(stepSchema).max(32).refine((l) => new Set(l.map((s) => s.name)).size === l.length, { message: 'step names must be unique' });

const parameterSchema = z.strictObject({
  name: z.string().min(1).max(63).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and _'),
  description: z.string().max(1024).optional(),
  default: z.string().max(4096).optional(),
  required: z.boolean().default(false),
});

const actionsSchema = z.strictObject({
  prepare: stepList.optional(),
  quiesce: stepList.optional(),
  unquiesce: stepList.optional(),
  dump: stepList.optional(),
  load: stepList.optional(),
  verify: stepList.optional(),
}).refine((a) => a.quiesce === undefined || a.unquiesce !== undefined, { message: 'a recipe with quiesce steps needs unquiesce steps', path: ['unquiesce'] });

export const recipeFileSchema = z.strictObject({
  description: z.string().max(4096).optional(),
  engine: z.string().max(63).optional(),
  container: z.string().max(63).optional(),
  parameters: z.array(parameterSchema).max(64).refine((l) => new Set(l.map((p) => p.name)).size === l.length, { message: 'names must be unique' }).optional(),
  actions: actionsSchema,
});

const manifestSchema = z.object({
  kind: z.enum(['Recipe', 'ClusterRecipe']),
  metadata: z.object({ name: z.string().optional() }).loose().optional(),
  spec: z.unknown(),
}).loose();

export type RecipeStep = z.output<typeof stepSchema>;
export type RecipeFileSpec = z.output<typeof recipeFileSchema>;
export type RecipePhase = keyof RecipeFileSpec['actions'];

export interface RecipeFile {
  /** metadata.name of a manifest, else the file's base name without extension. */
  readonly name: string;
  readonly source: string;
  readonly spec: RecipeFileSpec;
}

function fail(source: string, path: readonly PropertyKey[], message: string): never {
  throw new HoldfastError('CONFIG_INVALID', `${source}: ${path.map(String).join('.') || '(top)'}: ${message}`);
}

/** Why a step cannot run from the command line (or in its phase), with the field at fault; undefined when it can. */
function stepProblem(phase: RecipePhase, s: RecipeStep): [string[], string] | undefined {
  if (s.job) return [['job'], 'a job step needs a cluster (the operator runs it); give exec or http for the command line'];
  if (s.exec?.hold && phase !== 'quiesce') return [['exec', 'hold'], 'only quiesce steps hold'];
  if (s.http && (phase === 'dump' || phase === 'load')) return [['http'], 'a dump or load step streams through a command: give exec'];
  if (s.http?.headersSecretRef) return [['http', 'headersSecretRef'], 'Secrets need a cluster; give headers on the command line with --param'];
  if (s.http?.insecureSkipTLSVerify) return [['http', 'insecureSkipTLSVerify'], 'not supported on the command line; give caBundle'];
  return undefined;
}

/** Checks what the schema cannot: artifacts of dump steps are distinct, and every step can run here. */
function checkSteps(source: string, prefix: readonly PropertyKey[], spec: RecipeFileSpec): void {
  const dumps = (spec.actions.dump ?? []).map((s) => s.artifact ?? s.name);
  if (new Set(dumps).size !== dumps.length) fail(source, [...prefix, 'actions', 'dump'], 'each dump step needs its own artifact name');
  for (const [phase, steps] of Object.entries(spec.actions) as Array<[RecipePhase, RecipeStep[] | undefined]>) {
    for (const [i, s] of (steps ?? []).entries()) {
      const problem = stepProblem(phase, s);
      if (problem) fail(source, [...prefix, 'actions', phase, i, ...problem[0]], problem[1]);
    }
  }
}

/** Parses a recipe file's text; `source` (the path) names it in every message. */
export function parseRecipeFile(text: string, source: string, baseName: string): RecipeFile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `${source}: not valid YAML: ${messageOf(err)}`, { cause: err });
  }
  const manifest = manifestSchema.safeParse(raw);
  const body = manifest.success ? manifest.data.spec : raw;
  const prefix = manifest.success ? ['spec'] : [];
  const r = recipeFileSchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    fail(source, [...prefix, ...(issue?.path ?? [])], issue?.message ?? 'invalid');
  }
  checkSteps(source, prefix, r.data);
  return { name: (manifest.success ? manifest.data.metadata?.name : undefined) ?? baseName, source, spec: r.data };
}
