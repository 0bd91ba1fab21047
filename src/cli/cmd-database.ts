/**
 * Database backups and restores from the command line: joins the consistency layer
 * (recipes, hooks, freezes) to the mover. A dump streams from the database client's
 * stdout straight into `backupStream`; the snapshot is published only after the client
 * exited successfully, so a failed dump leaves no snapshot. Labels record the engine,
 * database, server and format, which `restore --into` reads back.
 */
import { Readable } from 'node:stream';
import { HoldfastError, messageOf } from '../core/errors.ts';
import type { InheritedEnv } from '../consistency/executors/local-command.ts';
import type { Executor, StreamingExecutor } from '../consistency/executors/executor.ts';
import { runPhase } from '../consistency/hooks.ts';
import type { DatabaseRecipe, DumpPart } from '../consistency/recipes/recipe.ts';
import { recipeFor } from '../consistency/recipes/registry.ts';
import { isDatabaseUrl, parseDatabaseUrl, withDatabase } from '../consistency/recipes/target.ts';
import { fsfreezeFreeze, suspendFreeze } from '../consistency/freeze/command-freeze.ts';
import type { FreezeStrategy } from '../consistency/freeze/freeze.ts';
import { backupStream } from '../mover/backup/backup.ts';
import type { BackupResult, CommonBackupOptions } from '../mover/backup/backup.ts';
import { dumpFile, findNode } from '../mover/restore/dump.ts';
import type { Repository } from '../repo/repository.ts';
import type { Snapshot } from '../repo/snapshot/snapshot.ts';
import type { CliContext } from './context.ts';
import { DB_LABEL } from './labels.ts';


export interface DatabaseBackupResult {
  readonly main: BackupResult;
  readonly extras: readonly BackupResult[];
  readonly warnings: readonly string[];
}

/** Runs a plain action, turning its failure into the recipe's clear error. */
async function runClassified(recipe: DatabaseRecipe, executor: Executor, fallback: 'DUMP_FAILED' | 'LOAD_FAILED' | 'ACTION_FAILED'): Promise<void> {
  try {
    await executor.run();
  } catch (err) {
    throw recipe.classify(err, fallback);
  }
}

/** Reads a small side stream (globals) into memory; it is stored after the main dump. */
async function captureSmall(recipe: DatabaseRecipe, part: DumpPart): Promise<Buffer> {
  const running = part.executor.start();
  running.stdin.end();
  const chunks: Buffer[] = [];
  for await (const b of running.stdout as AsyncIterable<Buffer>) chunks.push(b);
  try {
    await running.done;
  } catch (err) {
    throw recipe.classify(err, 'DUMP_FAILED');
  }
  return Buffer.concat(chunks);
}

/** Who turns a client's failure into a clear error: a built-in recipe or a recipe file's plan. */
export type Classifier = Pick<DatabaseRecipe, 'classify' | 'display'>;

/** Streams one dump part into the repository; the snapshot is published only after the client exited 0. */
export async function streamDump(repo: Repository, recipe: Classifier, part: Pick<DumpPart, 'filename' | 'executor'>, opts: CommonBackupOptions): Promise<BackupResult> {
  const running = part.executor.start();
  running.stdin.end();
  let finished = false;
  const exited = running.done.finally(() => { finished = true; });
  exited.catch(() => {});
  try {
    // A recipe's dump is in a format it chose for dedup (pg_dump -Fc -Z0, rows in order): fine chunks (ADR 0027).
    return await backupStream(repo, running.stdout, {
      ...opts, chunkProfile: opts.chunkProfile ?? 'fine', filename: part.filename, command: part.executor.what,
      beforePublish: async () => {
        try {
          await exited;
        } catch (err) {
          throw recipe.classify(err, 'DUMP_FAILED');
        }
      },
    });
  } finally {
    if (!finished) running.stop();
  }
}

function databaseLabels(recipe: DatabaseRecipe, format: string, database: string, server: string): Record<string, string> {
  return { [DB_LABEL.engine]: recipe.engine, [DB_LABEL.name]: database, [DB_LABEL.server]: server, [DB_LABEL.format]: format };
}

/**
 * Backs up one database: connection check, the recipe's prepare hooks, side streams
 * captured to memory, the main dump streamed, then the side streams stored as their
 * own snapshots pointing at the main one.
 */
export async function backupDatabase(repo: Repository, url: string, env: InheritedEnv, opts: CommonBackupOptions): Promise<DatabaseBackupResult> {
  const target = parseDatabaseUrl(url);
  const recipe = recipeFor(target, env);
  await runClassified(recipe, recipe.check(), 'ACTION_FAILED');
  const plan = recipe.dump();
  try {
    await runPhase(plan.hooks, 'prepare');
  } catch (err) {
    throw recipe.classify(err, 'DUMP_FAILED');
  }
  const warnings: string[] = [];
  const side: Array<{ part: DumpPart; bytes: Buffer }> = [];
  for (const part of plan.extras) {
    try {
      side.push({ part, bytes: await captureSmall(recipe, part) });
    } catch (err) {
      if (!part.optional) throw err;
      warnings.push(`${part.filename} not stored: ${messageOf(err)}`);
    }
  }
  const labels = { ...opts.labels, ...databaseLabels(recipe, plan.format, target.database, `${target.host}:${target.port}`) };
  const main = await streamDump(repo, recipe, plan.main, { ...opts, labels: { ...labels, [DB_LABEL.part]: 'main' } });
  const extras: BackupResult[] = [];
  for (const { part, bytes } of side) {
    const partLabels = { ...labels, [DB_LABEL.format]: part.filename, [DB_LABEL.part]: part.filename, [DB_LABEL.dump]: main.id };
    extras.push(await backupStream(repo, Readable.from([bytes]), { ...opts, labels: partLabels, filename: part.filename, command: part.executor.what }));
  }
  return { main, extras, warnings };
}

const EXITED: unique symbol = Symbol('loader exited');

/**
 * Feeds the dump to the loader's stdin. The loader may exit before it read everything
 * (it failed, or refused at once): then feeding stops — a write to a closed pipe may
 * never finish — and the loader's own error is the one reported.
 */
export async function loadInto(repo: Repository, snapshot: Snapshot, recipe: Classifier, load: StreamingExecutor): Promise<number> {
  const node = await findNode(repo, snapshot, '');
  const running = load.start();
  const exited = running.done.then(() => undefined, (err: unknown) => ({ err }));
  let bytes: number | undefined;
  try {
    const fed = await Promise.race([dumpFile(repo, node, running.stdin), exited.then((): typeof EXITED => EXITED)]);
    if (fed !== EXITED) {
      bytes = fed;
      running.stdin.end();
    }
  } catch (err) {
    if (!isStdinClosed(err)) {
      running.stop();
      await exited;
      throw err;
    }
  }
  const failed = await exited;
  if (failed) throw recipe.classify(failed.err, 'LOAD_FAILED');
  if (bytes === undefined) throw new HoldfastError('LOAD_FAILED', `${recipe.display}: ${load.what} exited before it read the whole dump`);
  return bytes;
}

function isStdinClosed(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/** A freeze named on the command line: `suspend:PID`, `fsfreeze:/mount`, or a database URL (its native freeze). */
export function freezeFor(spec: string, env: InheritedEnv): FreezeStrategy {
  const m = /^(suspend|fsfreeze):(.+)$/.exec(spec);
  if (m?.[1] === 'suspend') {
    const pid = Number(m[2]);
    if (!Number.isInteger(pid) || pid <= 1) throw new HoldfastError('USAGE', `--freeze suspend:PID needs a process id, not '${m[2]}'`);
    return suspendFreeze(pid, env);
  }
  if (m?.[1] === 'fsfreeze') return fsfreezeFreeze(m[2] ?? '', env);
  if (!isDatabaseUrl(spec)) throw new HoldfastError('USAGE', `--freeze '${spec}': give suspend:PID, fsfreeze:/mountpoint or a database URL`);
  const recipe = recipeFor(parseDatabaseUrl(spec), env);
  if (!recipe.freeze) throw new HoldfastError('USAGE', `${recipe.display} has no native freeze`);
  return recipe.freeze();
}

export interface DatabaseRestoreOptions {
  /** The database URL to load into. */
  readonly into: string;
  readonly drop: boolean;
  readonly env: InheritedEnv;
}

export interface DatabaseRestoreResult {
  readonly bytes: number;
  /** What the user does next (from the recipe), if anything. */
  readonly next?: string;
}

/** Loads a database snapshot into the database named by `into` (its name defaults to the snapshot's). */
export async function restoreDatabase(ctx: CliContext, repo: Repository, snapshot: Snapshot, opts: DatabaseRestoreOptions): Promise<DatabaseRestoreResult> {
  const { into, env } = opts;
  const engine = snapshot.labels[DB_LABEL.engine];
  const format = snapshot.labels[DB_LABEL.format];
  if (engine === undefined || format === undefined) {
    throw new HoldfastError('USAGE', `snapshot ${snapshot.id.slice(0, 8)} is not a database dump (no ${DB_LABEL.engine} label); use --target to restore files`);
  }
  let target = parseDatabaseUrl(into);
  if (target.engine !== engine) throw new HoldfastError('USAGE', `snapshot ${snapshot.id.slice(0, 8)} holds a ${engine} dump, not ${target.engine}`);
  const name = snapshot.labels[DB_LABEL.name];
  if (!target.database && name) target = withDatabase(target, name);
  const recipe = recipeFor(target, env);
  const plan = recipe.load(format, { drop: opts.drop });
  for (const step of plan.before) await runClassified(recipe, step, 'LOAD_FAILED');
  await repo.loadIndex();
  const bytes = await loadInto(repo, snapshot, recipe, plan.load);
  for (const step of plan.after) await runClassified(recipe, step, 'LOAD_FAILED');
  ctx.logger.info({ snapshot: snapshot.id, into: recipe.display, bytes }, 'database restored');
  return { bytes, ...(plan.next ? { next: plan.next } : {}) };
}
