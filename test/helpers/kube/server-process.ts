/**
 * The server processes of a test control plane (etcd, kube-apiserver,
 * kube-controller-manager). None may outlive the test process: each starts under
 * `setpriv --pdeathsig KILL` when util-linux has it, so the kernel kills it even when the
 * test process itself is SIGKILLed; exit and signal handlers kill the rest. The parent
 * thread's death triggers the signal, so start control planes from the main thread.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../../../scripts/lib/postgres.ts';

export interface ServerProcess {
  readonly name: string;
  readonly logPath: string;
  /** Null while the process runs. */
  exitStatus(): string | null;
  /** The last lines of the process's combined stdout and stderr. */
  logTail(lines?: number): string;
  /** SIGKILL (the control plane's state is thrown away anyway) and wait for the exit. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let handlersInstalled = false;
let pdeathsig: boolean | undefined;
const handedOutPorts = new Set<number>();

function killAllNow(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  tempDirs.clear();
}

/** Removes `dir` when the test process exits or is signalled, unless `untrackTempDir` ran first. */
export function trackTempDir(dir: string): void {
  installExitHandlers();
  tempDirs.add(dir);
}

export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      // Without other listeners the default action (terminate) applies on the re-raise.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function hasPdeathsig(): boolean {
  pdeathsig ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true']).status === 0;
  return pdeathsig;
}

/**
 * A free port on 127.0.0.1 that this process has not handed out before, so control
 * planes starting side by side never pick the same one.
 */
export async function uniqueFreePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!handedOutPorts.has(port)) {
      handedOutPorts.add(port);
      return port;
    }
  }
}

export function startServerProcess(name: string, command: string, args: readonly string[], logPath: string): ServerProcess {
  installExitHandlers();
  const argv = hasPdeathsig() ? ['setpriv', '--pdeathsig', 'KILL', '--', command, ...args] : [command, ...args];
  const log = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  running.add(child);
  // A test that forgets stop() must still end: the exit handler kills what is left.
  child.unref();
  let status: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      status = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
      running.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      status = `failed to start: ${err.message}`;
      running.delete(child);
      resolve();
    });
  });
  return {
    name,
    logPath,
    exitStatus: () => status,
    logTail: (lines = 30) => readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'),
    kill: async () => {
      if (status === null) {
        child.ref(); // keep the event loop alive until the exit is seen
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

/** Polls `check` until it yields a value; fails early when a process it depends on died. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; processes: readonly ServerProcess[] },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    const dead = opts.processes.find((p) => p.exitStatus() !== null);
    if (dead) throw new Error(`${dead.name} ${dead.exitStatus() ?? ''} while waiting for ${what}:\n${dead.logTail()}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const logs = opts.processes.map((p) => `--- ${p.name} (${p.logPath})\n${p.logTail(15)}`).join('\n');
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}\n${logs}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
