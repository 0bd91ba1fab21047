/**
 * Freezes done by one command and undone by another, on this machine: `suspend`
 * (SIGSTOP / SIGCONT of a local process) and `fsfreeze -f` / `fsfreeze -u` of a mount.
 * The watchdog is a detached shell in its own session that runs the thaw command when
 * the timeout passes; it outlives holdfast, so a killed mover cannot leave the process
 * stopped or the filesystem frozen. A normal thaw ends the watchdog first.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HoldfastError } from '../../core/errors.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import type { FreezeStrategy, Frozen } from './freeze.ts';

export interface CommandFreezeSpec {
  readonly what: string;
  readonly freeze: readonly string[];
  readonly thaw: readonly string[];
  /** Resolves once the freeze has taken effect (a signal is delivered asynchronously). */
  readonly settled?: () => Promise<void>;
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * Starts `sleep N; thaw…` (each thaw command in turn, whatever the one before did)
 * detached from this process, in its own session; returns its pid for `disarm`.
 */
export function armWatchdog(thaws: readonly (readonly string[])[], timeoutS: number, env: InheritedEnv): number | undefined {
  const script = `sleep ${timeoutS}; ${thaws.map((argv) => argv.map(shellWord).join(' ')).join('; ')}`;
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore', env: { ...env } });
  child.unref();
  return child.pid;
}

/** Ends a watchdog before it fired; false when it is already gone. */
export function disarm(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

export class CommandFreeze implements FreezeStrategy {
  readonly what: string;
  readonly #spec: CommandFreezeSpec;
  readonly #env: InheritedEnv;

  constructor(spec: CommandFreezeSpec, env: InheritedEnv) {
    this.#spec = spec;
    this.#env = env;
    this.what = spec.what;
  }

  async freeze(timeoutMs: number): Promise<Frozen> {
    const timeoutS = Math.max(1, Math.ceil(timeoutMs / 1000));
    const watchdog = armWatchdog([this.#spec.thaw], timeoutS, this.#env);
    const expires = Date.now() + timeoutS * 1000;
    try {
      await new LocalCommandExecutor({ argv: this.#spec.freeze, timeoutMs: 30_000 }, this.#env).run();
      await this.#spec.settled?.();
    } catch (err) {
      disarm(watchdog);
      await this.#runThaw().catch(() => {});
      throw new HoldfastError('FREEZE_FAILED', `could not freeze (${this.what}): ${(err as Error).message}`, { cause: err });
    }
    return {
      held: () => Date.now() < expires,
      thaw: async () => {
        disarm(watchdog);
        await this.#runThaw();
        return '';
      },
    };
  }

  async #runThaw(): Promise<void> {
    await new LocalCommandExecutor({ argv: this.#spec.thaw, timeoutMs: 30_000 }, this.#env).run();
  }
}

/** The state letter of /proc/PID/stat (R, S, T when stopped, Z …); undefined where there is no /proc entry. */
export async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.charAt(stat.lastIndexOf(')') + 2);
}

/**
 * Waits until the kernel has stopped the process: `kill` returns once SIGSTOP is queued,
 * and a running process may still run on until it is next scheduled.
 */
async function stopped(pid: number, withinMs = 5000): Promise<void> {
  const end = Date.now() + withinMs;
  for (;;) {
    const state = await processState(pid);
    if (state === undefined || state === 'T' || state === 't') return;
    if (Date.now() > end) throw new Error(`process ${pid} is still in state ${state} ${withinMs} ms after SIGSTOP`);
    await sleep(2);
  }
}

export function suspendFreeze(pid: number, env: InheritedEnv): CommandFreeze {
  const argv = (signal: string): string[] => ['kill', `-${signal}`, String(pid)];
  return new CommandFreeze({ what: `suspend of process ${pid}`, freeze: argv('STOP'), thaw: argv('CONT'), settled: () => stopped(pid) }, env);
}

export function fsfreezeFreeze(mountpoint: string, env: InheritedEnv): CommandFreeze {
  return new CommandFreeze({ what: `fsfreeze of ${mountpoint}`, freeze: ['fsfreeze', '-f', mountpoint], thaw: ['fsfreeze', '-u', mountpoint] }, env);
}
