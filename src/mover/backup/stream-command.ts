/**
 * The command of `backup --stdin-from-command`, started before the repository opens, its
 * output read from the start (ADR 0034).
 * - Early: the key derivation and the workers' start take ~0.5 s of a 2-CPU machine; a
 *   `pg_dump` started after them added its own start-up on top.
 * - Read in large pieces: pg_dump writes 4 KiB at a time, and through Node's event loop
 *   each write became a read of its own (~42,000 for a 327 MB dump), which slowed the dump
 *   itself by a second. With the native addon the command writes into a 1 MiB pipe that a
 *   pool thread reads with blocking reads, a MiB per callback (`PipeReader`). Without the
 *   addon, Node's own pipe is read as before.
 * `backup --stdin` reads a pipe on standard input the same way (`readStdinPipe`).
 * Up to `aheadBytes` are read before the backup asks for them. The command is stopped
 * (SIGTERM) if the backup ends before its output does, e.g. when the repository cannot
 * be opened: nothing is stored then.
 */
import { nativeWith } from '../../core/native.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { HoldfastError, messageOf } from '../../core/errors.ts';

/** Output read ahead of the backup. */
const AHEAD_BYTES = 1 << 20;
/** Bytes a native read waits for: fewer at the end, or once a read has waited WAIT_MS. */
const PIECE_BYTES = 1 << 20;
/** Longest a native read waits, so that a stopped reader of a quiet writer lets go soon. */
const WAIT_MS = 250;

export interface StartedCommand {
  readonly command: string;
  /** The command's standard output, in pieces, read ahead up to `aheadBytes`. */
  readonly output: AsyncIterable<Buffer>;
  /** Resolves once the command has exited with status 0; otherwise throws COMMAND_FAILED. */
  succeeded(): Promise<void>;
  /** Stops the command if it still runs, and the reading of its output. */
  stop(): void;
}

interface NativePipes {
  blockingPipe(): [number, number];
  adoptPipe(fd: number): boolean;
  readAtLeast(fd: number, buffer: Uint8Array, min: number, waitMs?: number): Promise<number>;
}

function loadPipes(): NativePipes | undefined {
  return nativeWith<NativePipes>('blockingPipe', 'adoptPipe', 'readAtLeast');
}

export function startCommand(command: string, aheadBytes = AHEAD_BYTES, preferNative = true): StartedCommand {
  const pipes = preferNative ? loadPipes() : undefined;
  const fds = pipes?.blockingPipe();
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', fds ? fds[1] : 'pipe', 'inherit'] });
  const exited = exitOf(child, command);
  let output: AsyncIterable<Buffer>;
  let reader: PipeReader | undefined;
  if (pipes && fds) {
    closeSync(fds[1]); // the child has it: its exit ends the pipe
    output = reader = new PipeReader(pipes, fds[0], aheadBytes);
  } else {
    if (!child.stdout) throw new HoldfastError('INTERNAL', `'${command}' started without a standard output pipe`);
    output = readFromStart(child.stdout, aheadBytes);
  }
  return {
    command,
    output,
    async succeeded() {
      const code = await exited;
      if (code !== 0) throw new HoldfastError('COMMAND_FAILED', `'${command}' exited with status ${code}; no snapshot was saved`);
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      reader?.stop();
    },
  };
}

/**
 * A Readable read from now on into a buffer of `aheadBytes`, with backpressure: the
 * backup opens its session (lock, index) before it consumes the stream, and Node resumes
 * a child's unread stdout as the child exits, dropping what it holds — a short dump would
 * lose its data. An iterable view, not the stream, so nothing wraps it a second time.
 */
export function readFromStart(source: Readable, aheadBytes = AHEAD_BYTES): AsyncIterable<Buffer> {
  const input = source.pipe(new PassThrough({ highWaterMark: aheadBytes }));
  source.once('error', (err) => input.destroy(err));
  return { [Symbol.asyncIterator]: () => input[Symbol.asyncIterator]() };
}

/**
 * `backup --stdin` when standard input is a pipe (`pg_dump | holdfast backup --stdin`): read
 * as a command's output is, from now on; undefined (read `process.stdin`) for a file, a
 * terminal, or without the addon. Standard input itself stays open.
 */
export function readStdinPipe(aheadBytes = AHEAD_BYTES): PipeReader | undefined {
  const pipes = loadPipes();
  return pipes?.adoptPipe(0) ? new PipeReader(pipes, 0, aheadBytes, false) : undefined;
}

function exitOf(child: ChildProcess, command: string): Promise<number> {
  const exited = new Promise<number>((resolveExit, reject) => {
    child.on('error', (err) => reject(new HoldfastError('COMMAND_FAILED', `cannot run '${command}': ${messageOf(err)}`, { cause: err })));
    child.on('close', (code, signal) => resolveExit(code ?? (signal ? 128 : 1)));
  });
  exited.catch(() => {});
  return exited;
}

/**
 * Reads a blocking pipe a MiB at a time on libuv's pool, up to `ahead` bytes before they
 * are asked for, and closes it at the end (unless told not to). Iterated once.
 */
export class PipeReader implements AsyncIterable<Buffer> {
  readonly #pipes: NativePipes;
  readonly #fd: number;
  readonly #ahead: number;
  readonly #close: boolean;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #stopped = false;
  #error: unknown = undefined;
  #wake: (() => void) | undefined;

  constructor(pipes: NativePipes, fd: number, ahead: number, close = true) {
    this.#pipes = pipes;
    this.#fd = fd;
    this.#ahead = ahead;
    this.#close = close;
    void this.#pump();
  }

  /** Stops reading (within WAIT_MS): what was read is still handed out, then the output ends. */
  stop(): void {
    this.#stopped = true;
    this.#notify();
  }

  async #pump(): Promise<void> {
    try {
      let piece = Buffer.allocUnsafeSlow(PIECE_BYTES);
      while (!this.#stopped) {
        if (this.#queued >= this.#ahead) {
          await this.#sleep();
          continue;
        }
        const n = await this.#pipes.readAtLeast(this.#fd, piece, PIECE_BYTES, WAIT_MS);
        if (n === 0) break; // the end
        if (n === PIECE_BYTES) {
          this.#push(piece);
          piece = Buffer.allocUnsafeSlow(PIECE_BYTES);
        } else if (n > 0) {
          this.#push(Buffer.from(piece.subarray(0, n))); // a quiet writer's bit: the piece is read into again
        }
      }
    } catch (err) {
      this.#error = err;
    } finally {
      if (this.#close) closeSync(this.#fd);
      this.#ended = true;
      this.#notify();
    }
  }

  #push(piece: Buffer): void {
    this.#queue.push(piece);
    this.#queued += piece.byteLength;
    this.#notify();
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const piece = this.#queue.shift();
      if (piece) {
        this.#queued -= piece.byteLength;
        this.#notify();
        yield piece;
      } else if (this.#ended) {
        if (this.#error !== undefined) throw new HoldfastError('SOURCE_UNREADABLE', `cannot read the command's output: ${messageOf(this.#error)}`, { cause: this.#error });
        return;
      } else {
        await this.#sleep();
      }
    }
  }
}
