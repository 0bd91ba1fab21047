/**
 * `holdfast backup --recipe FILE [--param k=v]…` and `holdfast restore SNAP --recipe
 * FILE`: a recipe file run on this machine. A backup runs the prepare steps, holds the
 * quiesce steps (and any `--freeze`) around the dump steps — unquiesce always runs —
 * and stores each dump step's stdout as its own stream snapshot, then runs the verify
 * steps. The snapshots of one run share a `db.run` label and list the required
 * artifacts in `db.artifacts`; if a required step (or verify) fails, the artifacts
 * already stored in the run are deleted again, so no partial run is left. A restore
 * finds the run of the given (or latest) snapshot and feeds each load step its
 * artifact on stdin.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { HoldfastError, messageOf } from '../core/errors.ts';
import type { Id } from '../core/ids.ts';
import { runPhase } from '../consistency/hooks.ts';
import type { Phase } from '../consistency/hooks.ts';
import { planRecipeFile } from '../consistency/recipes/file-recipe.ts';
import type { ArtifactStep, FileRecipePlan } from '../consistency/recipes/file-recipe.ts';
import { parseRecipeFile } from '../consistency/recipes/recipe-file.ts';
import { parseParamFlags, resolveParameters } from '../consistency/recipes/recipe-params.ts';
import type { BackupResult, CommonBackupOptions } from '../mover/backup/backup.ts';
import { acquireLock } from '../repo/lock/lock.ts';
import type { Repository } from '../repo/repository.ts';
import type { Snapshot } from '../repo/snapshot/snapshot.ts';
import { deleteSnapshot, findSnapshot, listSnapshots } from '../repo/snapshot/snapshot-store.ts';
import type { CliContext } from './context.ts';
import { say, writeJson } from './context.ts';
import { loadInto, streamDump } from './cmd-database.ts';
import { DB_LABEL } from './labels.ts';
import { freezeTimeoutSeconds, withFreezes } from './cmd-database-options.ts';
import type { FreezeCliOptions } from './cmd-database-options.ts';
import { formatBytes, formatDuration } from './format.ts';

export const RECIPE_LABEL = { recipe: 'db.recipe', run: 'db.run', artifacts: 'db.artifacts' } as const;

export interface RecipeCliOptions extends FreezeCliOptions {
  readonly recipe: string;
  readonly param: readonly string[];
}

interface Stored {
  readonly artifact: string;
  readonly result: BackupResult;
}

async function loadPlan(ctx: CliContext, opts: RecipeCliOptions): Promise<FileRecipePlan> {
  let text: string;
  try {
    text = await readFile(opts.recipe, 'utf8');
  } catch (err) {
    throw new HoldfastError('USAGE', `cannot read the recipe file ${opts.recipe}: ${messageOf(err)}`, { cause: err });
  }
  const recipe = parseRecipeFile(text, opts.recipe, basename(opts.recipe, extname(opts.recipe)));
  const values = resolveParameters(recipe, parseParamFlags(opts.param), { freezeTimeoutSeconds: String(freezeTimeoutSeconds(opts)) });
  return planRecipeFile(recipe, values, ctx.env.inherited);
}

async function phase(plan: FileRecipePlan, which: Phase, fallback: 'DUMP_FAILED' | 'LOAD_FAILED'): Promise<void> {
  try {
    await runPhase(plan.hooks, which);
  } catch (err) {
    throw plan.classify(err, fallback);
  }
}

/** Deletes what a failed run stored (its blobs go at the next prune). */
async function rollback(ctx: CliContext, repo: Repository, stored: readonly Stored[]): Promise<void> {
  if (stored.length === 0) return;
  const lock = await acquireLock(repo, { exclusive: false, clock: ctx.clock });
  try {
    for (const s of stored) await deleteSnapshot(repo, s.result.id);
  } finally {
    await lock.release();
  }
}

async function dumpAll(ctx: CliContext, repo: Repository, plan: FileRecipePlan, common: CommonBackupOptions, stored: Stored[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const step of plan.dumps) {
    try {
      const labels = { ...common.labels, [DB_LABEL.part]: step.artifact };
      stored.push({ artifact: step.artifact, result: await streamDump(repo, plan, { filename: step.artifact, executor: step.executor }, { ...common, labels }) });
    } catch (err) {
      if (!step.optional) throw err;
      warnings.push(`${plan.display}: artifact ${step.artifact} not stored: ${messageOf(err)}`);
      ctx.logger.warn({ artifact: step.artifact, err }, 'optional dump step failed');
    }
  }
  return warnings;
}

/** Backs up with a recipe file; prints one line per stored artifact. */
export async function backupRecipeFile(ctx: CliContext, repo: Repository, opts: RecipeCliOptions, common: CommonBackupOptions): Promise<void> {
  const started = Date.now();
  const plan = await loadPlan(ctx, opts);
  if (plan.dumps.length === 0) throw new HoldfastError('USAGE', `${opts.recipe}: the recipe has no dump steps`);
  const run = randomBytes(6).toString('hex');
  const labels = {
    ...common.labels, [DB_LABEL.engine]: plan.engine, [DB_LABEL.format]: 'recipe', [RECIPE_LABEL.recipe]: plan.name, [RECIPE_LABEL.run]: run,
    [RECIPE_LABEL.artifacts]: plan.dumps.filter((d) => !d.optional).map((d) => d.artifact).join(','),
  };
  const stored: Stored[] = [];
  let warnings: string[];
  try {
    await phase(plan, 'prepare', 'DUMP_FAILED');
    warnings = await withFreezes(ctx, opts, () => dumpAll(ctx, repo, plan, { ...common, labels }, stored), plan.freeze ? [plan.freeze] : []);
    await phase(plan, 'verify', 'DUMP_FAILED');
  } catch (err) {
    await rollback(ctx, repo, stored).catch((e: unknown) => ctx.stderr.write(`holdfast: warning: could not delete the snapshots of the failed run ${run}: ${messageOf(e)}\n`));
    throw err;
  }
  for (const w of warnings) ctx.stderr.write(`holdfast: warning: ${w}\n`);
  reportBackup(ctx, plan, run, stored, Date.now() - started);
}

function reportBackup(ctx: CliContext, plan: FileRecipePlan, run: string, stored: readonly Stored[], ms: number): void {
  if (ctx.globals().json) {
    writeJson(ctx, { message_type: 'recipe', recipe: plan.name, run, artifacts: stored.map((s) => ({ artifact: s.artifact, snapshot_id: s.result.id, ...s.result.summary })) });
    return;
  }
  for (const s of stored) {
    const sum = s.result.summary;
    say(ctx, `${plan.display}: artifact ${s.artifact}: snapshot ${s.result.id.slice(0, 8)} saved (read ${formatBytes(sum.bytesRead)}, added ${formatBytes(sum.bytesStored)} stored)`);
  }
  say(ctx, `${plan.display}: run ${run}: ${stored.length} artifact(s) in ${formatDuration(ms)}`);
}

/** The snapshots of the run `ref` belongs to (`latest`: the latest run of this recipe), by artifact. */
async function findRun(repo: Repository, ref: string, plan: FileRecipePlan): Promise<{ run: string; artifacts: Map<string, Snapshot> }> {
  const snapshot = await findSnapshot(repo, ref, ref === 'latest' ? { labels: { [RECIPE_LABEL.recipe]: plan.name } } : {});
  const run = snapshot.labels[RECIPE_LABEL.run];
  if (run === undefined) throw new HoldfastError('USAGE', `snapshot ${snapshot.id.slice(0, 8)} was not made with a recipe file (no ${RECIPE_LABEL.run} label)`);
  const artifacts = new Map<string, Snapshot>();
  for (const s of await listSnapshots(repo, { labels: { [RECIPE_LABEL.run]: run } })) artifacts.set(s.labels[DB_LABEL.part] ?? '', s);
  const missing = (snapshot.labels[RECIPE_LABEL.artifacts] ?? '').split(',').filter((a) => a !== '' && !artifacts.has(a));
  if (missing.length > 0) throw new HoldfastError('USAGE', `run ${run} is incomplete (no ${missing.join(', ')}); give the id of a snapshot of another run`);
  return { run, artifacts };
}

async function loadOne(ctx: CliContext, repo: Repository, plan: FileRecipePlan, step: ArtifactStep, snapshot: Snapshot | undefined): Promise<number> {
  if (snapshot === undefined) {
    if (step.optional) {
      ctx.stderr.write(`holdfast: warning: ${plan.display}: no artifact ${step.artifact} in this run; load step '${step.step}' skipped\n`);
      return 0;
    }
    throw new HoldfastError('USAGE', `${plan.display}: load step '${step.step}' needs the artifact ${step.artifact}, which this run does not have`);
  }
  return loadInto(repo, snapshot, plan, step.executor);
}

/** Restores with a recipe file: prepare, each load step fed its artifact, verify. */
export async function restoreRecipeFile(ctx: CliContext, repo: Repository, ref: string, opts: RecipeCliOptions): Promise<void> {
  const started = Date.now();
  const plan = await loadPlan(ctx, opts);
  if (plan.loads.length === 0) throw new HoldfastError('USAGE', `${opts.recipe}: the recipe has no load steps`);
  const { run, artifacts } = await findRun(repo, ref, plan);
  await phase(plan, 'prepare', 'LOAD_FAILED');
  await repo.loadIndex();
  const loaded: Array<{ artifact: string; snapshot: Id; bytes: number }> = [];
  for (const step of plan.loads) {
    const snapshot = artifacts.get(step.artifact);
    const bytes = await loadOne(ctx, repo, plan, step, snapshot);
    if (snapshot) loaded.push({ artifact: step.artifact, snapshot: snapshot.id, bytes });
  }
  await phase(plan, 'verify', 'LOAD_FAILED');
  if (ctx.globals().json) {
    writeJson(ctx, { message_type: 'recipe-restore', recipe: plan.name, run, loaded });
    return;
  }
  for (const l of loaded) say(ctx, `${plan.display}: loaded ${l.artifact} from snapshot ${l.snapshot.slice(0, 8)} (${formatBytes(l.bytes)})`);
  say(ctx, `${plan.display}: restored run ${run} in ${formatDuration(Date.now() - started)}`);
}
