/**
 * What every command gets: the resolved environment, output streams, the clock, and
 * helpers to open the repository the way the global options say.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Clock } from '../core/clock.ts';
import { HoldfastError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Storage } from '../backend/storage.ts';
import type { RetryEvent } from '../backend/retry.ts';
import { isRemoteLocation, openStorage } from '../backend/open-storage.ts';
import type { ObjectLockSettings } from '../backend/s3/s3-storage.ts';
import { readPasswordFile } from '../config/cli-env.ts';
import type { CliEnvironment } from '../config/cli-env.ts';
import { Repository } from '../repo/repository.ts';
import { prewarmWorkers } from '../mover/worker/worker-pool.ts';
import { promptPassword } from './prompt.ts';

export interface GlobalOptions {
  repo?: string;
  passwordFile?: string;
  json?: boolean;
  quiet?: boolean;
  /** false with --no-cache. */
  cache?: boolean;
  /** false with --no-lock. */
  lock?: boolean;
}

export interface CliContext {
  readonly env: CliEnvironment;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly clock: Clock;
  readonly logger: Logger;
  globals(): GlobalOptions;
}

export function repositoryLocation(ctx: CliContext): string {
  const location = ctx.globals().repo ?? ctx.env.repository;
  if (!location) throw new HoldfastError('USAGE', 'no repository given: pass --repo PATH or set HOLDFAST_REPOSITORY');
  return location;
}

/** The repository's storage; `objectLock` is only for `init`, which sets the bucket up. */
export function storageFor(ctx: CliContext, location = repositoryLocation(ctx), objectLock?: ObjectLockSettings): Storage {
  const retries = (e: RetryEvent): void => ctx.logger.warn({ operation: e.operation, attempt: e.attempt, delayMs: e.delayMs, error: e.error.message }, 'retrying storage operation');
  return openStorage(location, { s3: { ...ctx.env.s3, objectLock }, onRetry: retries });
}

export async function password(ctx: CliContext, prompt = 'repository password: '): Promise<string> {
  const file = ctx.globals().passwordFile ?? ctx.env.passwordFile;
  if (file) return readPasswordFile(file);
  if (ctx.env.password !== undefined) return ctx.env.password;
  if (ctx.env.isTty) return promptPassword(prompt);
  throw new HoldfastError('USAGE', 'no password given: set HOLDFAST_PASSWORD or HOLDFAST_PASSWORD_FILE, or pass --password-file');
}

/** The other repository of `copy` and `init --copy-params-from`, with its own password. */
export async function openSourceRepository(ctx: CliContext, location: string | undefined, passwordFile: string | undefined): Promise<Repository> {
  const where = location ?? ctx.env.fromRepository;
  if (!where) throw new HoldfastError('USAGE', 'no source repository given: pass --from-repo or set HOLDFAST_FROM_REPOSITORY');
  const file = passwordFile ?? ctx.env.fromPasswordFile;
  let secret = file ? readPasswordFile(file) : ctx.env.fromPassword;
  if (secret === undefined && ctx.env.isTty) secret = await promptPassword(`password of ${where}: `);
  if (secret === undefined) {
    throw new HoldfastError('USAGE', 'no password for the source repository: set HOLDFAST_FROM_PASSWORD or HOLDFAST_FROM_PASSWORD_FILE, or pass --from-password-file');
  }
  return Repository.open(storageFor(ctx, where), { password: secret, logger: ctx.logger });
}

export interface OpenOptions {
  readonly cacheDir?: string;
  /**
   * Start the mover workers while the key is derived, for a command that will use them
   * (restore, check --read-data, a stream backup): the value of its `--workers` option,
   * '' for one a CPU. Not for tree backups: their scan already keeps the other CPU busy
   * then, and an unchanged tree needs no workers.
   */
  readonly warmWorkers?: string;
}

/**
 * Opens the repository. Remote repositories keep index files, snapshots and tree packs
 * in the local cache (`cacheDir`, default the user's; none with --no-cache).
 */
export async function openRepository(ctx: CliContext, opts: OpenOptions = {}): Promise<Repository> {
  const location = repositoryLocation(ctx);
  const storage = storageFor(ctx, location);
  if (opts.warmWorkers !== undefined) prewarmWorkers(opts.warmWorkers ? Number(opts.warmWorkers) : undefined);
  const useCache = ctx.globals().cache !== false && isRemoteLocation(location);
  const cacheDir = useCache ? (opts.cacheDir ?? ctx.env.cacheDir) : undefined;
  return Repository.open(storage, { password: await password(ctx), logger: ctx.logger, cacheDir });
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value)}\n`);
}

export function say(ctx: CliContext, line: string): void {
  if (!ctx.globals().quiet) ctx.stdout.write(`${line}\n`);
}

/**
 * Writes one line of a long listing and waits while stdout is full, so a listing to a
 * slow reader (`ls | less`) neither piles up in memory nor outlives its repository lock.
 */
export async function emitLine(ctx: CliContext, line: string): Promise<void> {
  if (!ctx.stdout.write(`${line}\n`)) await once(ctx.stdout, 'drain');
}
