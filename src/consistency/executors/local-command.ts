/**
 * The local-command executor (CLI mode): runs a program with an argument vector (no
 * shell unless the argv says `sh -c`), in its own process group so a timeout or an
 * abort ends the whole tree it started. Secrets travel in `env`, never in argv.
 */
import { spawn } from 'node:child_process';
import { HoldfastError } from '../../core/errors.ts';
import type { ExecOutput, ExecRequest, RunningAction, StreamingExecutor } from './executor.ts';
import { ActionError, lastLine, STDERR_TAIL, STDOUT_LIMIT } from './executor.ts';

export interface LocalCommandSpec {
  readonly argv: readonly string[];
  /** Added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to standard input by `run` (which then closes it). */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Shown in messages instead of the argv. */
  readonly what?: string;
}

/** The environment children inherit, read once by src/config and passed down as a value. */
export type InheritedEnv = Readonly<Record<string, string | undefined>>;

const KILL_GRACE_MS = 2000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export class LocalCommandExecutor implements StreamingExecutor {
  readonly what: string;
  readonly timeoutMs: number;
  readonly #spec: LocalCommandSpec;
  readonly #env: InheritedEnv;

  constructor(spec: LocalCommandSpec, inherited: InheritedEnv) {
    if (spec.argv.length === 0) throw new HoldfastError('CONFIG_INVALID', 'a command needs at least a program name');
    this.#spec = spec;
    this.#env = inherited;
    this.what = spec.what ?? `command '${spec.argv.join(' ')}'`;
    this.timeoutMs = spec.timeoutMs ?? 0;
  }

  async run(req: ExecRequest = {}): Promise<ExecOutput> {
    const running = this.#launch(req, true);
    running.stdin.end(this.#spec.input ?? '');
    running.stdout.resume();
    return running.done;
  }

  start(req: ExecRequest = {}): RunningAction {
    return this.#launch(req, false);
  }

  #launch(req: ExecRequest, capture: boolean): RunningAction {
    const [file, ...args] = this.#spec.argv as [string, ...string[]];
    const started = performance.now();
    const child = spawn(file, args, { cwd: this.#spec.cwd, env: { ...this.#env, ...this.#spec.env }, stdio: 'pipe', detached: true });
    let stdout = '';
    let stderr = '';
    let ended: 'timeout' | 'abort' | undefined;
    if (capture) child.stdout.on('data', (b: Buffer) => { if (stdout.length < STDOUT_LIMIT) stdout += b.toString('utf8'); });
    child.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString('utf8')).slice(-STDERR_TAIL); });
    child.stdin.on('error', () => {});
    const stop = (why: 'timeout' | 'abort'): void => {
      ended ??= why;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = this.timeoutMs > 0 ? setTimeout(() => stop('timeout'), this.timeoutMs) : undefined;
    const onAbort = (): void => stop('abort');
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.signal?.aborted) stop('abort');
    const done = new Promise<ExecOutput>((resolve, reject) => {
      child.once('error', (err) => reject(new HoldfastError('ACTION_FAILED', `cannot start ${this.what}: ${err.message}`, { cause: err })));
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        const out = { status: code ?? 128, stdout, stderr, durationMs: performance.now() - started };
        const failure = this.#failure(ended, code, signal, stderr);
        if (failure) reject(failure);
        else resolve(out);
      });
    });
    done.catch(() => {});
    return { stdout: child.stdout, stdin: child.stdin, done, stop: () => stop('abort') };
  }

  #failure(ended: 'timeout' | 'abort' | undefined, code: number | null, signal: NodeJS.Signals | null, stderr: string): HoldfastError | undefined {
    if (ended === 'timeout') return new HoldfastError('ACTION_TIMEOUT', `${this.what} did not finish within ${this.timeoutMs / 1000} s and was stopped`);
    if (ended === 'abort') return new HoldfastError('INTERRUPTED', `${this.what} was stopped`);
    if (code === 0) return undefined;
    const detail = lastLine(stderr);
    const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with status ${code}`;
    return new ActionError(`${this.what} ${how}${detail ? `: ${detail}` : ''}`, stderr);
  }
}
