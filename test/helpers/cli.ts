/**
 * Runs the real `holdfast` command (bin/holdfast) as a child process against one
 * repository, with the password and fast key derivation in its environment, and
 * captures what it prints and how it exits.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
export const HOLDFAST_BIN = join(PROJECT_ROOT, 'bin', 'holdfast');

export interface CliResult {
  /** Exit status; null when the process was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Standard output as bytes (for `dump`). */
  readonly stdoutBytes: Buffer;
}

export interface RunOptions {
  /** Written to standard input, which is then closed. */
  readonly input?: string | Uint8Array;
  readonly cwd?: string;
  /** Overrides (a value of undefined removes the variable). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A command that wraps holdfast, e.g. `['setpriv', '--bounding-set=-dac_override', '--']`. */
  readonly wrapper?: readonly string[];
  readonly timeoutMs?: number;
}

export interface Cli {
  readonly env: Readonly<Record<string, string>>;
  run(args: readonly string[], opts?: RunOptions): Promise<CliResult>;
  /** Starts holdfast and returns the child, for tests that kill it. */
  start(args: readonly string[], opts?: RunOptions): ChildProcessWithoutNullStreams;
}

/** The local cache of remote repositories goes to a scratch folder of this test process, never the user's. */
const SCRATCH_CACHE = mkdtempSync(join(tmpdir(), 'holdfast-test-cache-'));
process.once('exit', () => rmSync(SCRATCH_CACHE, { recursive: true, force: true }));

function environment(base: Readonly<Record<string, string>>, overrides: RunOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: SCRATCH_CACHE, ...base };
  for (const key of Object.keys(env)) if (key.startsWith('HOLDFAST_') && !(key in base)) delete env[key];
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function cliFor(repository: string, password: string): Cli {
  const env = { HOLDFAST_REPOSITORY: repository, HOLDFAST_PASSWORD: password, HOLDFAST_KDF_COST: 'test' };
  const start = (args: readonly string[], opts: RunOptions = {}): ChildProcessWithoutNullStreams => {
    const argv = [...(opts.wrapper ?? []), HOLDFAST_BIN, ...args];
    return spawn(argv[0] as string, argv.slice(1), { cwd: opts.cwd ?? PROJECT_ROOT, env: environment(env, opts.env), stdio: 'pipe' });
  };
  return { env, start, run: (args, opts = {}) => collect(start(args, opts), opts) };
}

/** Waits for a started child to exit and collects its output. */
export async function collect(child: ChildProcess, opts: Pick<RunOptions, 'input' | 'timeoutMs'> = {}): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  child.stdin?.on('error', () => {}); // absent when the test gave standard input of its own
  child.stdin?.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    });
    const stdoutBytes = Buffer.concat(out);
    return { code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes };
  } finally {
    clearTimeout(timer);
  }
}

/** Describes a result for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout.slice(0, 4000)}\n--- stderr\n${r.stderr.slice(0, 4000)}`;
}

/** The lines a command printed on stderr (empty lines dropped). */
export function stderrLines(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** The parsed JSON line of a `--json` run whose `message_type` is `type`. */
export function jsonMessage(r: CliResult, type: string): Record<string, unknown> {
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const value = JSON.parse(line) as Record<string, unknown>;
    if (value.message_type === type) return value;
  }
  throw new Error(`no '${type}' message in the output\n${show(r)}`);
}
