/**
 * Freezes done by one command and undone by another, on this machine: `suspend`
 * (SIGSTOP / SIGCONT of a local process) and `fsfreeze -f` / `fsfreeze -u` of a mount.
 * The watchdog is a detached shell in its own session that runs the thaw command when
 * the timeout passes; it outlives holdfast, so a killed mover cannot leave the process
 * stopped or the filesystem frozen. A normal thaw ends the watchdog first.
 */
import { spawn } from 'node:child_process';
import { HoldfastError } from '../../core/errors.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import type { FreezeStrategy, Frozen } from './freeze.ts';

export interface CommandFreezeSpec {
  readonly what: string;
  readonly freeze: readonly string[];
  readonly thaw: readonly string[];
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

export function suspendFreeze(pid: number, env: InheritedEnv): CommandFreeze {
  return new CommandFreeze({ what: `suspend of process ${pid}`, freeze: ['kill', '-STOP', String(pid)], thaw: ['kill', '-CONT', String(pid)] }, env);
}

export function fsfreezeFreeze(mountpoint: string, env: InheritedEnv): CommandFreeze {
  return new CommandFreeze({ what: `fsfreeze of ${mountpoint}`, freeze: ['fsfreeze', '-f', mountpoint], thaw: ['fsfreeze', '-u', mountpoint] }, env);
}
