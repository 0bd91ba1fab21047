/**
 * The two etcd actions that run in this process over the gateway (etcd-gateway.ts),
 * behind the executor interface: the connection check (authenticate, then status) and
 * the snapshot stream, whose `stdout` carries the snapshot file's bytes straight from
 * etcd — nothing is staged on disk. They keep the executor contract: ActionError with
 * the gateway's text, ACTION_TIMEOUT past `timeoutMs` (for the snapshot: until etcd
 * starts answering; the stream itself is not limited), INTERRUPTED on abort or `stop()`.
 */
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { HoldfastError, isHoldfastError, messageOf } from '../../core/errors.ts';
import type { ExecOutput, ExecRequest, Executor, RunningAction, StreamingExecutor } from '../executors/executor.ts';
import { ActionError } from '../executors/executor.ts';
import { authenticate, bodyText, gatewayPost, snapshotBlobs, verifySnapshot } from './etcd-gateway.ts';
import type { GatewayEndpoint } from './etcd-gateway.ts';

type Ended = 'timeout' | 'abort';

/** One abortable attempt: its signal, how it was ended, and the error that says so. */
class Attempt {
  readonly #ac = new AbortController();
  #ended: Ended | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.end('abort');
  readonly #req: ExecRequest;

  constructor(req: ExecRequest, timeoutMs: number) {
    this.#req = req;
    this.#timer = timeoutMs > 0 ? setTimeout(() => this.end('timeout'), timeoutMs) : undefined;
    req.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (req.signal?.aborted) this.end('abort');
  }

  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  end(why: Ended): void {
    this.#ended ??= why;
    this.#ac.abort();
  }

  /** The answer started: the time limit no longer applies (a stream runs as long as it needs). */
  answered(): void {
    clearTimeout(this.#timer);
  }

  settle(): void {
    clearTimeout(this.#timer);
    this.#req.signal?.removeEventListener('abort', this.#onAbort);
  }

  error(what: string, timeoutMs: number, err: unknown): HoldfastError {
    if (this.#ended === 'timeout') return new HoldfastError('ACTION_TIMEOUT', `${what} did not answer within ${timeoutMs / 1000} s`);
    if (this.#ended === 'abort') return new HoldfastError('INTERRUPTED', `${what} was stopped`);
    if (err instanceof ActionError) return new ActionError(`${what}: ${err.message}`, err.stderr);
    if (isHoldfastError(err)) return err;
    return new ActionError(`${what}: ${messageOf(err)}`, messageOf(err));
  }
}

/** An action against one member's gateway. */
abstract class GatewayAction {
  readonly what: string;
  readonly timeoutMs: number;
  protected readonly ep: GatewayEndpoint;

  constructor(ep: GatewayEndpoint, what: string, timeoutMs: number) {
    this.ep = ep;
    this.what = what;
    this.timeoutMs = timeoutMs;
  }
}

/** Authenticates (when the endpoint names a user) and asks for the member's status. */
export class EtcdStatusExecutor extends GatewayAction implements Executor {

  async run(req: ExecRequest = {}): Promise<ExecOutput> {
    const started = performance.now();
    const attempt = new Attempt(req, this.timeoutMs);
    try {
      const token = await authenticate(this.ep, attempt.signal);
      const res = await gatewayPost(this.ep, '/v3/maintenance/status', {}, attempt.signal, token);
      return { status: res.statusCode ?? 0, stdout: await bodyText(res), stderr: '', durationMs: performance.now() - started };
    } catch (err) {
      throw attempt.error(this.what, this.timeoutMs, err);
    } finally {
      attempt.settle();
    }
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

/** Writes `chunk`, waiting while the reader is behind; false once the reader went away. */
async function push(out: PassThrough, chunk: Buffer, signal: AbortSignal): Promise<boolean> {
  if (out.destroyed) return false;
  if (out.write(chunk)) return true;
  await Promise.race([once(out, 'drain', { signal }), once(out, 'close', { signal })]);
  return !out.destroyed;
}

/** Streams a snapshot of the member to `stdout`; `done` settles once it ended and its hash was checked. */
export class EtcdSnapshotExecutor extends GatewayAction implements StreamingExecutor {

  async run(req: ExecRequest = {}): Promise<ExecOutput> {
    const running = this.start(req);
    running.stdout.resume();
    return running.done;
  }

  start(req: ExecRequest = {}): RunningAction {
    const attempt = new Attempt(req, this.timeoutMs);
    const stdout = new PassThrough();
    const done = this.#pump(stdout, attempt);
    done.catch(() => {});
    return { stdout, stdin: discard(), done, stop: () => attempt.end('abort') };
  }

  async #pump(out: PassThrough, attempt: Attempt): Promise<ExecOutput> {
    const started = performance.now();
    let bytes = 0;
    try {
      const token = await authenticate(this.ep, attempt.signal);
      const res = await gatewayPost(this.ep, '/v3/maintenance/snapshot', {}, attempt.signal, token);
      attempt.answered();
      for await (const chunk of verifySnapshot(snapshotBlobs(res))) {
        if (!(await push(out, chunk, attempt.signal))) attempt.end('abort');
        bytes += chunk.length;
      }
      return { status: res.statusCode ?? 0, stdout: '', stderr: `${bytes} bytes`, durationMs: performance.now() - started };
    } catch (err) {
      throw attempt.error(this.what, this.timeoutMs, err);
    } finally {
      attempt.settle();
      // Like a process's stdout at exit: the reader sees the end, `done` says how it went.
      if (!out.destroyed) out.end();
    }
  }
}
