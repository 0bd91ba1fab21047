/**
 * What every command gets: the resolved environment, output streams, the clock, and
 * helpers to open the repository the way the global options say.
 */
import type { Writable } from 'node:stream';
import type { Clock } from '../core/clock.ts';
import { HoldfastError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Storage } from '../backend/storage.ts';
import { openStorage } from '../backend/open-storage.ts';
import { readPasswordFile } from '../config/cli-env.ts';
import type { CliEnvironment } from '../config/cli-env.ts';
import { Repository } from '../repo/repository.ts';
import { promptPassword } from './prompt.ts';

export interface GlobalOptions {
  repo?: string;
  passwordFile?: string;
  json?: boolean;
  quiet?: boolean;
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

export function storageFor(ctx: CliContext): Storage {
  return openStorage(repositoryLocation(ctx));
}

export async function password(ctx: CliContext, prompt = 'repository password: '): Promise<string> {
  const file = ctx.globals().passwordFile ?? ctx.env.passwordFile;
  if (file) return readPasswordFile(file);
  if (ctx.env.password !== undefined) return ctx.env.password;
  if (ctx.env.isTty) return promptPassword(prompt);
  throw new HoldfastError('USAGE', 'no password given: set HOLDFAST_PASSWORD or HOLDFAST_PASSWORD_FILE, or pass --password-file');
}

export async function openRepository(ctx: CliContext): Promise<Repository> {
  const storage = storageFor(ctx);
  return Repository.open(storage, { password: await password(ctx), logger: ctx.logger });
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value)}\n`);
}

export function say(ctx: CliContext, line: string): void {
  if (!ctx.globals().quiet) ctx.stdout.write(`${line}\n`);
}
