/**
 * The pod-exec executor: runs a command in a container of a pod through the exec
 * subresource (a websocket, protocol v5.channel.k8s.io, so standard input can be closed
 * on its own: Kubernetes 1.30+). It behaves like the local-command executor of the
 * consistency layer and passes the same contract suite: `run` captures the output,
 * `start` hands out the streams (a dump reads stdout, a load writes stdin). Both
 * directions keep backpressure: the socket is paused while the reader of stdout lags,
 * and a write to stdin waits while the socket holds more than a few MiB unsent.
 *
 * Ending an action closes its session. Whether the process in the container ends with
 * it is up to the container runtime (most end it when its streams close; some keep it):
 * an action that must not outlive its session bounds itself (see the held freezes).
 */
import { PassThrough, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { ExecOutput, ExecRequest, RunningAction, StreamingExecutor } from '../../consistency/executors/executor.ts';
import { ActionError, lastLine, STDERR_TAIL, STDOUT_LIMIT } from '../../consistency/executors/executor.ts';

export interface PodTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/** The part of a websocket the executor uses (ws in Node). */
export interface ExecSocket {
  readonly protocol: string;
  readonly bufferedAmount: number;
  close(): void;
  pause(): void;
  resume(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** Opens an exec session; `Exec.exec` of client-node, or a fake in unit tests. */
export interface ExecStreams {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: PassThrough | null;
  readonly onStatus: (s: V1Status) => void;
}

export type ExecTransport = (target: PodTarget, command: readonly string[], streams: ExecStreams) => Promise<ExecSocket>;

export function clientNodeTransport(kc: KubeConfig): ExecTransport {
  const exec = new Exec(kc);
  return async (t, command, s) =>
    (await exec.exec(t.namespace, t.pod, t.container, [...command], s.stdout, s.stderr, s.stdin, false, s.onStatus)) as unknown as ExecSocket;
}

export interface PodExecSpec {
  readonly target: PodTarget;
  readonly command: readonly string[];
  readonly timeoutMs?: number;
  /** Written to standard input by `run`, which then closes it; without it `run` gives the command no standard input. */
  readonly input?: string;
  /** Shown in messages instead of the command (e.g. with secrets taken out). */
  readonly what?: string;
}

/** A failed exec that kept its exit code beside the error text. */
export class PodExecError extends ActionError {
  readonly exitCode: number | undefined;

  constructor(message: string, stderr: string, exitCode: number | undefined) {
    super(message, stderr);
    this.name = 'PodExecError';
    this.exitCode = exitCode;
  }
}

const STDIN_HIGH_WATER = 4 << 20;

type Ended = 'timeout' | 'abort' | undefined;

/** The exit code in an exec status: 0 for Success, the ExitCode cause otherwise, undefined when the status has none. */
export function exitCodeOf(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message === undefined ? Number.NaN : Number(cause.message);
  return Number.isInteger(code) ? code : undefined;
}

function shortCommand(command: readonly string[]): string {
  const text = command.join(' ');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export class PodExecExecutor implements StreamingExecutor {
  readonly what: string;
  readonly timeoutMs: number;
  readonly #spec: PodExecSpec;
  readonly #transport: ExecTransport;

  constructor(spec: PodExecSpec, transport: ExecTransport) {
    if (spec.command.length === 0) throw new HoldfastError('CONFIG_INVALID', 'an exec action needs at least a program name');
    this.#spec = spec;
    this.#transport = transport;
    const t = spec.target;
    this.what = spec.what ?? `exec '${shortCommand(spec.command)}' in ${t.namespace}/${t.pod}/${t.container}`;
    this.timeoutMs = spec.timeoutMs ?? 0;
  }

  async run(req: ExecRequest = {}): Promise<ExecOutput> {
    const running = this.#launch(req, this.#spec.input !== undefined, true);
    if (this.#spec.input !== undefined) running.stdin.end(this.#spec.input);
    running.stdout.resume();
    return running.done;
  }

  start(req: ExecRequest = {}): RunningAction {
    return this.#launch(req, true, false);
  }

  #launch(req: ExecRequest, withStdin: boolean, capture: boolean): RunningAction {
    const started = performance.now();
    const session = new Session(this.what);
    const stdout = new PassThrough({ highWaterMark: 1 << 20 });
    let captured = '';
    if (capture) stdout.on('data', (b: Buffer) => { if (captured.length < STDOUT_LIMIT) captured += b.toString('utf8'); });
    const toRemote = withStdin ? new PassThrough() : null;
    const timer = this.timeoutMs > 0 ? setTimeout(() => session.stop('timeout'), this.timeoutMs) : undefined;
    const onAbort = (): void => session.stop('abort');
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = new Promise<ExecOutput>((resolve, reject) => {
      session.onEnd = (status) => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        if (!stdout.writableEnded) stdout.end();
        const failure = this.#failure(session, status);
        if (failure) reject(failure);
        else resolve({ status: 0, stdout: captured, stderr: session.stderr, durationMs: performance.now() - started });
      };
    });
    done.catch(() => {});
    // Only once onEnd is set: stopping earlier would end the session with nobody to settle `done`.
    if (req.signal?.aborted) session.stop('abort');
    const streams = { stdout: session.stdoutSink(stdout), stderr: session.stderrSink(), stdin: toRemote, onStatus: (s: V1Status) => session.status(s) };
    if (session.ended === undefined) {
      this.#transport(this.#spec.target, this.#spec.command, streams)
        .then((socket) => session.attach(socket), (err: unknown) => session.connectFailed(err));
    }
    return { stdout, stdin: session.stdinSink(toRemote), done, stop: () => session.stop('abort') };
  }

  #failure(session: Session, status: V1Status | undefined): HoldfastError | undefined {
    if (session.ended === 'timeout') return new HoldfastError('ACTION_TIMEOUT', `${this.what} did not finish within ${this.timeoutMs / 1000} s and was stopped`);
    if (session.ended === 'abort') return new HoldfastError('INTERRUPTED', `${this.what} was stopped`);
    if (session.connectError !== undefined) {
      return new HoldfastError('ACTION_FAILED', `cannot exec in ${podName(this.#spec.target)}: ${messageOf(session.connectError)}`, { cause: session.connectError });
    }
    if (status === undefined) return new PodExecError(`${this.what} ended without an exit status (the exec session was lost)`, session.stderr, undefined);
    const code = exitCodeOf(status);
    if (code === 0) return undefined;
    const detail = lastLine(session.stderr) || (status.message ?? '');
    const how = code === undefined ? `failed (${status.reason ?? 'no exit code'})` : `exited with status ${code}`;
    return new PodExecError(`${this.what} ${how}${detail ? `: ${detail.split('\n')[0] ?? ''}` : ''}`, session.stderr, code);
  }
}

function podName(t: PodTarget): string {
  return `${t.namespace}/${t.pod}/${t.container}`;
}

/** One exec session's state: its socket once open, how it ended, the error output's tail. */
class Session {
  readonly #what: string;
  socket: ExecSocket | undefined;
  ended: Ended;
  connectError: unknown;
  stderr = '';
  #status: V1Status | undefined;
  #finished = false;
  #paused = false;
  onEnd: (status: V1Status | undefined) => void = () => undefined;

  constructor(what: string) {
    this.#what = what;
  }

  attach(socket: ExecSocket): void {
    this.socket = socket;
    socket.once('close', () => this.#finish());
    if (this.ended !== undefined || this.#finished) socket.close();
  }

  connectFailed(err: unknown): void {
    this.connectError = err;
    this.#finish();
  }

  status(s: V1Status): void {
    this.#status = s;
    this.#finish();
  }

  stop(why: 'timeout' | 'abort'): void {
    if (this.#finished) return;
    this.ended ??= why;
    if (this.socket) this.socket.close();
    // Without a socket yet, attach() closes it as soon as it opens; finish now.
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#paused) this.socket?.resume();
    this.onEnd(this.#status);
    this.socket?.close();
  }

  /** The stdout the transport writes into: forwards to `out`, pausing the socket while `out` is full. */
  stdoutSink(out: PassThrough): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (!out.writableEnded && !out.write(chunk) && this.socket && !this.#paused) {
          this.#paused = true;
          this.socket.pause();
          out.once('drain', () => {
            this.#paused = false;
            this.socket?.resume();
          });
        }
        cb();
      },
      final: (cb) => {
        if (!out.writableEnded) out.end();
        cb();
      },
    });
  }

  stderrSink(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
        cb();
      },
    });
  }

  /** The stdin callers write: forwards to the transport's stream, waiting while the socket has much unsent. */
  stdinSink(toRemote: PassThrough | null): Writable {
    const closed = (): Error => Object.assign(new Error(`${this.#what}: standard input is closed`), { code: 'EPIPE' });
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (toRemote === null || this.#finished) return cb(closed());
        toRemote.write(chunk);
        this.#whenSent(cb);
      },
      final: (cb) => {
        if (this.socket && this.socket.protocol !== 'v5.channel.k8s.io') {
          return cb(new HoldfastError('ACTION_FAILED', `${this.#what}: the apiserver cannot close standard input on its own (it speaks ${this.socket.protocol}, not v5.channel.k8s.io: Kubernetes 1.30+ needed)`));
        }
        toRemote?.end();
        cb();
      },
    });
  }

  #whenSent(cb: (err?: Error | null) => void): void {
    const check = (): void => {
      if (this.#finished || this.socket === undefined || this.socket.bufferedAmount < STDIN_HIGH_WATER) cb();
      else setTimeout(check, 5);
    };
    check();
  }
}
