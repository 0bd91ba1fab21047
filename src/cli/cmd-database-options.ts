/**
 * The few hooks `backup` and `restore` call into for databases and freezes, so those
 * commands stay thin: is the argument a database URL, hold the freezes around a
 * capture, back up or restore a database and say what happened.
 */
import { HoldfastError } from '../core/errors.ts';
import { captureFrozen } from '../consistency/freeze/freeze.ts';
import type { FreezeStrategy } from '../consistency/freeze/freeze.ts';
import { isDatabaseUrl } from '../consistency/recipes/target.ts';
import type { BackupResult, CommonBackupOptions } from '../mover/backup/backup.ts';
import type { Repository } from '../repo/repository.ts';
import type { Snapshot } from '../repo/snapshot/snapshot.ts';
import type { CliContext } from './context.ts';
import { say } from './context.ts';
import { DB_LABEL } from './labels.ts';
import type { SnapshotFilter } from '../repo/snapshot/snapshot-store.ts';
import { formatBytes, formatDuration } from './format.ts';

/** The database URL when the paths argument is exactly one. */
export function databaseUrlOf(paths: readonly string[]): string | undefined {
  return paths.length === 1 && paths[0] !== undefined && isDatabaseUrl(paths[0]) ? paths[0] : undefined;
}

export interface FreezeCliOptions {
  readonly freeze: readonly string[];
  readonly freezeTimeout?: string;
}

/** `--freeze-timeout` in seconds (default 60). */
export function freezeTimeoutSeconds(opts: FreezeCliOptions): number {
  const seconds = Number(opts.freezeTimeout ?? '60');
  if (!Number.isFinite(seconds) || seconds <= 0) throw new HoldfastError('USAGE', `--freeze-timeout must be a positive number of seconds, not '${opts.freezeTimeout}'`);
  return seconds;
}

/** Runs `capture` with `first` (a recipe file's quiesce) and every `--freeze` held; without any, just runs it. */
export async function withFreezes<T>(ctx: CliContext, opts: FreezeCliOptions, capture: () => Promise<T>, first: readonly FreezeStrategy[] = []): Promise<T> {
  if (opts.freeze.length === 0 && first.length === 0) return capture();
  const seconds = freezeTimeoutSeconds(opts);
  const env = ctx.env.inherited;
  const { freezeFor } = await import('./cmd-database.ts');
  const strategies = [...first, ...opts.freeze.map((f) => freezeFor(f, env))];
  const onThawError = (_what: string, err: unknown): void => void ctx.stderr.write(`holdfast: warning: ${(err as Error).message}\n`);
  const r = await captureFrozen(strategies, { timeoutMs: seconds * 1000, thawAt: 'ready', clock: ctx.clock, onThawError }, capture);
  ctx.logger.info({ frozenAt: r.window.frozenAt, thawedAt: r.window.thawedAt }, 'freeze window');
  return r.cut;
}

/** Backs up a database URL; prints warnings (e.g. globals not stored) and returns the main snapshot's result. */
export async function backupDatabaseUrl(ctx: CliContext, repo: Repository, url: string, common: CommonBackupOptions): Promise<BackupResult> {
  const { backupDatabase } = await import('./cmd-database.ts');
  const r = await backupDatabase(repo, url, ctx.env.inherited, common);
  for (const w of r.warnings) ctx.stderr.write(`holdfast: warning: ${w}\n`);
  for (const e of r.extras) say(ctx, `side stream ${e.id.slice(0, 8)} saved (${formatBytes(e.summary.bytesRead)})`);
  return r.main;
}

export async function restoreDatabaseInto(ctx: CliContext, repo: Repository, snapshot: Snapshot, into: string, drop: boolean): Promise<void> {
  const started = Date.now();
  const { restoreDatabase } = await import('./cmd-database.ts');
  const r = await restoreDatabase(ctx, repo, snapshot, { into, drop, env: ctx.env.inherited });
  say(ctx, `restored snapshot ${snapshot.id.slice(0, 8)} into ${into.replace(/\/\/[^@/]*@/, '//')}: ${formatBytes(r.bytes)} loaded in ${formatDuration(Date.now() - started)}`);
  if (r.next) say(ctx, `next: ${r.next}`);
}

/** With `--into`, `latest` means the latest main database dump (not a side stream such as globals). */
export function databaseFilter(into: string | undefined): SnapshotFilter {
  return into ? { labels: { [DB_LABEL.part]: 'main' } } : {};
}
