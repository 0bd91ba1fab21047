/**
 * The one interface behind which every kind of action runs: a local command, an HTTP
 * call, and later an exec in a pod's container or a Job. An executor is bound to its
 * action when it is created (see `action-spec.ts`); callers only say when to run
 * it and may cancel it.
 *
 * Contract (checked by executor.contract.ts for every implementation):
 * - `run` resolves once the action finished successfully, with its captured output;
 * - a failed action rejects with a HoldfastError `ACTION_FAILED` whose message names the
 *   action and the failure's last line of detail;
 * - an action running past `timeoutMs` is ended and rejects with `ACTION_TIMEOUT`;
 * - aborting the signal ends the action and rejects with `INTERRUPTED`;
 * - no rejection leaves anything running.
 */
import type { Readable, Writable } from 'node:stream';
import { HoldfastError } from '../../core/errors.ts';

export interface ExecOutput {
  /** Exit status of a command, HTTP status of a call. */
  readonly status: number;
  /** Captured output (the first MiB) — the response body for HTTP. */
  readonly stdout: string;
  /** The tail of the error output (the last 8 KiB). */
  readonly stderr: string;
  readonly durationMs: number;
}

export interface ExecRequest {
  readonly signal?: AbortSignal;
}

export interface Executor {
  /** What runs, for messages and logs; never contains secrets. */
  readonly what: string;
  /** 0 means no limit. */
  readonly timeoutMs: number;
  run(req?: ExecRequest): Promise<ExecOutput>;
}

/**
 * An action whose standard streams are the point: a dump reads `stdout` to the end, a
 * load writes `stdin`. `done` settles like `run` does, after the streams ended.
 */
export interface RunningAction {
  readonly stdout: Readable;
  readonly stdin: Writable;
  readonly done: Promise<ExecOutput>;
  /** Ends the action (SIGTERM, then SIGKILL); `done` then rejects unless it already settled. */
  stop(): void;
}

export interface StreamingExecutor extends Executor {
  start(req?: ExecRequest): RunningAction;
}

export const STDOUT_LIMIT = 1 << 20;
export const STDERR_TAIL = 8 << 10;

/**
 * The line of some error text worth putting in a one-line message: the last line that
 * says "error" or "fatal" (clients often follow it with detail or hint lines), else
 * the last non-empty line.
 */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.findLast((l) => /\b(error|fatal)\b/i.test(l)) ?? lines.at(-1) ?? '';
}

/**
 * A failed action that kept its error output, so a recipe can classify the failure on
 * the client's full text (the telling line is not always the last one).
 */
export class ActionError extends HoldfastError {
  readonly stderr: string;

  constructor(message: string, stderr: string) {
    super('ACTION_FAILED', message);
    this.name = 'ActionError';
    this.stderr = stderr;
  }
}
