/**
 * Database-native freeze through a held client session. A database client (psql,
 * mariadb) is started in its own process group and fed a whole script on stdin, after
 * which stdin is closed. The script takes the freeze (a global read lock, backup mode),
 * prints a ready mark with its session id, sleeps for the timeout on the server, then
 * releases. So the session ends itself: if holdfast dies, the client still reaches the
 * end of the sleep, releases and exits; if the client dies, the server ends the session
 * and with it the lock. To thaw early, a second connection cancels the sleep and the
 * script's release statements run at once.
 */
import { createInterface } from 'node:readline';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { InheritedEnv, LocalCommandSpec } from '../executors/local-command.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import type { RunningAction } from '../executors/executor.ts';
import type { FreezeStrategy, Frozen } from './freeze.ts';

export const READY_MARK = 'holdfast-frozen';

export interface HeldSessionSpec {
  readonly what: string;
  /** The client that holds the session; it reads the script on stdin. */
  readonly client: LocalCommandSpec;
  /** Takes the freeze, prints `READY_MARK <session id>`, sleeps `timeoutS` seconds on the server, releases. */
  script(timeoutS: number): string;
  /** Cancels the session's sleep from another connection. */
  cancel(sessionId: string): LocalCommandSpec;
  /** Turns the client's error text into a clear error (wrong password, unreachable server). */
  classify?(err: HoldfastError): HoldfastError;
}

/** Time allowed after the timeout for the client to release and exit before it is killed. */
const EXIT_GRACE_MS = 10_000;

async function waitReady(running: RunningAction, limitMs: number): Promise<{ id: string; rest: string[] }> {
  const lines = createInterface({ input: running.stdout });
  const rest: string[] = [];
  const found = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HoldfastError('FREEZE_FAILED', `no ready mark within ${limitMs / 1000} s`)), limitMs);
    lines.on('line', (line) => {
      const m = new RegExp(`${READY_MARK}\\s+(\\S+)`).exec(line);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      } else rest.push(line);
    });
    running.done.then(() => reject(new HoldfastError('FREEZE_FAILED', 'the session ended before it was frozen')), (err: unknown) => reject(err));
  });
  return { id: await found, rest };
}

export class HeldSessionFreeze implements FreezeStrategy {
  readonly what: string;
  readonly #spec: HeldSessionSpec;
  readonly #env: InheritedEnv;

  constructor(spec: HeldSessionSpec, env: InheritedEnv) {
    this.#spec = spec;
    this.#env = env;
    this.what = spec.what;
  }

  async freeze(timeoutMs: number): Promise<Frozen> {
    const timeoutS = Math.max(1, Math.ceil(timeoutMs / 1000));
    const client = new LocalCommandExecutor({ ...this.#spec.client, timeoutMs: timeoutS * 1000 + EXIT_GRACE_MS }, this.#env);
    const running = client.start();
    running.stdin.end(this.#spec.script(timeoutS));
    let ended = false;
    running.done.then(() => { ended = true; }, () => { ended = true; });
    let ready: { id: string; rest: string[] };
    try {
      ready = await waitReady(running, Math.min(timeoutMs, 30_000));
    } catch (err) {
      running.stop();
      throw this.#freezeError(err);
    }
    return {
      held: () => !ended,
      thaw: () => this.#thaw(running, ready.id, ready.rest),
    };
  }

  async #thaw(running: RunningAction, id: string, lines: readonly string[]): Promise<string> {
    const cancel = new LocalCommandExecutor({ ...this.#spec.cancel(id), timeoutMs: 10_000 }, this.#env);
    try {
      await cancel.run();
      const exited = running.done.then(() => true, () => true);
      const inTime = await Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), EXIT_GRACE_MS).unref())]);
      if (!inTime) throw new HoldfastError('FREEZE_FAILED', 'the session did not end after its sleep was cancelled');
      await running.done;
    } catch (err) {
      // Ending the client ends the session, and the server drops the freeze with it.
      running.stop();
      throw err;
    }
    // `lines` keeps filling after the ready mark: what the release statements printed.
    return lines.join('\n').trim();
  }

  #freezeError(err: unknown): HoldfastError {
    const base = err instanceof HoldfastError ? err : new HoldfastError('FREEZE_FAILED', messageOf(err), { cause: err });
    const classified = this.#spec.classify?.(base) ?? base;
    if (classified.code === 'DATABASE_AUTH' || classified.code === 'DATABASE_UNREACHABLE') return classified;
    return new HoldfastError('FREEZE_FAILED', `could not freeze (${this.what}): ${classified.message}`, { cause: err });
  }
}
