/**
 * Child processes for the benchmark: every command is spawned without a shell
 * (argv arrays); the only shell use is `bash -c` where a pipe is the point, built
 * with `shellQuote`. Failures carry the command and the tail of its stderr.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface Command {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Where stdout goes: captured ('pipe'), discarded ('null'), or appended to a log file. */
  stdout?: 'pipe' | 'null' | { log: string };
  /** Where stderr goes; default: captured for error messages. */
  stderr?: 'pipe' | { log: string };
  /** Kill the command's whole process group after this many seconds. */
  timeoutS?: number;
  /** Cleanup commands (umount, pg_ctl stop) still run after `stopRunning()`. */
  cleanup?: boolean;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class CommandError extends Error {
  readonly code = 'COMMAND_FAILED';
  readonly exitCode: number;

  constructor(argv: string[], res: Pick<CommandResult, 'code' | 'stderr' | 'timedOut'>) {
    const tail = res.stderr.trim().split('\n').slice(-8).join('\n');
    const why = res.timedOut ? 'timed out' : `exit ${res.code}`;
    super(`command failed (${why}): ${argv.join(' ')}${tail ? `\n${tail}` : ''}`);
    this.name = 'CommandError';
    this.exitCode = res.code;
  }
}

type Stdio = 'pipe' | 'ignore' | number;

/** Process groups of running commands, so an interrupted bench can end them. */
const running = new Set<number>();
let stopping = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Ends every command this module started that is still running (SIGTERM, then SIGKILL
 * after 3 s) and refuses to start new ones except cleanup commands; resolves once they
 * have exited (or after 10 s).
 */
export async function stopRunning(): Promise<void> {
  stopping = true;
  for (const pid of running) {
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), 3000).unref();
  }
  for (let waited = 0; running.size > 0 && waited < 10_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function watchTimeout(pid: number | undefined, timeoutS: number | undefined, onTimeout: () => void): () => void {
  if (pid === undefined) return () => undefined;
  running.add(pid);
  const timer = timeoutS === undefined ? undefined : setTimeout(() => {
    onTimeout();
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), 5000).unref();
  }, timeoutS * 1000);
  return () => {
    running.delete(pid);
    clearTimeout(timer);
  };
}

function openTarget(target: Command['stdout'] | Command['stderr'], fds: number[]): Stdio {
  if (target === undefined || target === 'pipe') return 'pipe';
  if (target === 'null') return 'ignore';
  const fd = openSync(target.log, 'a');
  fds.push(fd);
  return fd;
}

/** Runs a command to its end; resolves with its exit code and captured output. */
export function execute(cmd: Command): Promise<CommandResult> {
  const fds: number[] = [];
  const stdio: [Stdio, Stdio, Stdio] = ['ignore', openTarget(cmd.stdout, fds), openTarget(cmd.stderr, fds)];
  const [file, ...args] = cmd.argv;
  if (file === undefined) return Promise.reject(new Error('empty command'));
  if (stopping && !cmd.cleanup) return Promise.reject(new Error(`interrupted, not starting ${file}`));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: cmd.cwd, env: { ...process.env, ...cmd.env }, stdio, detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const done = watchTimeout(child.pid, cmd.timeoutS, () => (timedOut = true));
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-16384)));
    child.on('error', (err) => { done(); fds.forEach(closeSync); reject(err); });
    child.on('close', (code, signal) => {
      done();
      fds.forEach(closeSync);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, timedOut });
    });
  });
}

/** Runs a command and fails unless it exits 0; resolves with its stdout. */
export async function run(cmd: Command): Promise<string> {
  const res = await execute(cmd);
  if (res.code !== 0 || res.timedOut) throw new CommandError(cmd.argv, res);
  return res.stdout;
}

/** Runs a command whose stdout is read and thrown away (e.g. to warm the page cache). */
export function drain(argv: string[], opts: { env?: Record<string, string>; timeoutS?: number } = {}): Promise<number> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('empty command'));
  if (stopping) return Promise.reject(new Error(`interrupted, not starting ${file}`));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let timedOut = false;
    const done = watchTimeout(child.pid, opts.timeoutS, () => (timedOut = true));
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4096)));
    child.on('error', (err) => { done(); reject(err); });
    child.on('close', (code) => {
      done();
      if (code === 0 && !timedOut) resolve(bytes);
      else reject(new CommandError(argv, { code: code ?? 1, stderr, timedOut }));
    });
  });
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A `bash -c` command line for `producer | consumer`, failing if either side fails. */
export function pipeline(producer: string[], consumer: string[]): string[] {
  const line = `set -o pipefail; ${producer.map(shellQuote).join(' ')} | ${consumer.map(shellQuote).join(' ')}`;
  return ['bash', '-c', line];
}
