/**
 * holdfast, run from source (`node src/bin/holdfast-start.js`, as bin/holdfast does). The repository and password
 * come from HOLDFAST_REPOSITORY / HOLDFAST_PASSWORD. Stream backups use
 * `--stdin-from-command`, holdfast's own streaming path: the producer is handed over
 * as one string of space-separated words (no quoting needed for the bench's commands).
 * An S3 repository is its `s3:http://…/bucket/prefix` location, with the keys in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (from the repository handle).
 */
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, shellQuote } from '../proc.ts';
import { BENCH_PASSWORD, logged, type RepoHandle, type ToolAdapter } from './tool.ts';

/** The V8 flags bin/holdfast starts node with (a small young generation keeps RSS down). */
const NODE_FLAGS = ['--max-semi-space-size=2'];

/** The malloc settings bin/holdfast exports (freed buffers go back to the system). */
const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '2097152', MALLOC_TRIM_THRESHOLD_: '33554432' };

/**
 * The local cache (remote repositories only) goes to the repository's scratch dir, as
 * restic's `--cache-dir` does: kept across the repository's operations, as a user's
 * would be, and never in the user's own ~/.cache.
 */
function env(repo: RepoHandle): Record<string, string> {
  return { ...MALLOC_ENV, ...COMPILE_ENV, HOLDFAST_REPOSITORY: repo.location, HOLDFAST_PASSWORD: BENCH_PASSWORD, XDG_CACHE_HOME: repo.cacheDir };
}

/**
 * Node's compile cache of holdfast's own modules (src/bin/holdfast-start.js) stays in one
 * place across the bench's repositories, warmed by `version()`, as an installed CLI's
 * would be: the per-repository XDG_CACHE_HOME would otherwise make every first backup
 * load the TypeScript stripper and compile each module again, in the main thread and in
 * every worker — start-up work a compiled restic never does.
 */
const COMPILE_ENV = { HOLDFAST_COMPILE_CACHE: join(process.env.HOLDFAST_CACHE || join(homedir(), '.cache', 'holdfast-dev'), 'bench-compile-cache') };

export function holdfast(entry: string): ToolAdapter {
  const cli = (repo: RepoHandle, args: string[]) => logged(repo, [process.execPath, ...NODE_FLAGS, entry, ...args], env(repo));
  return {
    name: 'holdfast',
    async unavailable() {
      const found = await access(entry).then(() => true, () => false);
      return found ? undefined : `holdfast CLI not found at ${entry} (set HOLDFAST_BENCH_HOLDFAST to point elsewhere)`;
    },
    async version() {
      const cliVersion = await run({ argv: [process.execPath, entry, '--version'], env: COMPILE_ENV, timeoutS: 60 }).catch(() => 'unknown');
      const rev = await run({ argv: ['git', '-C', dirname(entry), 'describe', '--always', '--dirty'] }).catch(() => 'no git');
      return `holdfast ${cliVersion.trim()} (${rev.trim()}, ${entry} on node ${process.version})`;
    },
    init: (repo) => cli(repo, ['init']),
    backupDir: (repo, dir) => cli(repo, ['backup', dir]),
    backupStream: (repo, producer, filename) =>
      cli(repo, ['backup', '--stdin-from-command', producer.map(shellQuote).join(' '), '--stdin-filename', filename]),
    restore: (repo, target) => cli(repo, ['restore', 'latest', '--target', target]),
    dump: (repo, filename) => ({ ...cli(repo, ['dump', 'latest', filename]), stdout: 'null' }),
    checkReadData: (repo) => cli(repo, ['check', '--read-data']),
    listSnapshots: (repo) => cli(repo, ['snapshots']),
    backupDatabase: (repo, source) => cli(repo, ['backup', '--json', source.url]),
  };
}
