/**
 * What the scenarios need from a backup tool: the command line of each operation.
 * The scenarios time these commands; adapters never run anything themselves except
 * for the availability and version probes.
 */
import type { ToolName } from '../config.ts';
import type { Command } from '../proc.ts';
import type { RepoLocation } from '../storage/repo-store.ts';

export const BENCH_PASSWORD = 'holdfast-bench-password';

/** A repository location (a directory or an S3 prefix, see ../storage/) with its local dirs. */
export interface RepoHandle extends RepoLocation {
  /** A per-repository scratch dir for tool caches. */
  cacheDir: string;
  /** Where the tool's stdout and stderr go. */
  log: string;
}

/** A PostgreSQL database as each tool takes it (the pg-stream scenario). */
export interface DatabaseSource {
  /** The URL holdfast backs up with its built-in recipe. */
  url: string;
  /** The same dump (the recipe's format) as a command line, for tools that back up a stream. */
  dump: string[];
  /** Environment of `dump`: the PG* connection variables. */
  env: Record<string, string>;
  /** The stored file name of the dump. */
  filename: string;
}

export interface ToolAdapter {
  readonly name: ToolName;
  /** Why the tool cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  version(): Promise<string>;
  init(repo: RepoHandle): Command;
  backupDir(repo: RepoHandle, dir: string): Command;
  /** Backs up the stdout of `producer` as one file named `filename`. */
  backupStream(repo: RepoHandle, producer: string[], filename: string): Command;
  restore(repo: RepoHandle, target: string): Command;
  /** Writes the stored stream `filename` of the latest snapshot to /dev/null. */
  dump(repo: RepoHandle, filename: string): Command;
  checkReadData(repo: RepoHandle): Command;
  /** Lists the snapshots: starting, deriving the key and one listing, the least any command does (the process's floor). */
  listSnapshots(repo: RepoHandle): Command;
  /** Backs up a database, printing the tool's JSON summary (with the bytes it added) on stdout. */
  backupDatabase(repo: RepoHandle, source: DatabaseSource): Command;
}

/** A command logging to the repository's log, with the repository's environment (S3 keys) added to `env`. */
export function logged(repo: RepoHandle, argv: string[], env: Record<string, string>): Command {
  return { argv, env: { ...repo.env, ...env }, stdout: { log: repo.log }, stderr: { log: repo.log } };
}
