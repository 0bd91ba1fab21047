/**
 * Groups files into worker tasks: a batch goes out when it is large enough, or at once
 * when a worker is idle, so small files travel many to a message and workers never
 * starve. `submit` makes the caller wait only while every worker is busy: the walk never
 * runs far ahead.
 *
 * Results come back through a callback per file, not a promise: a backup of a source
 * tree submits tens of thousands of files, and a promise, a resolver record and a map
 * entry each were a large share of the main thread's garbage.
 */
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import type { FileDone, FileJob } from '../worker/protocol.ts';
import type { BackupSession } from './session.ts';

/** What a worker found reading a file: its content, the bytes read, or why it could not. */
export type FileResult = FileDone;
export type FileCallback = (r: FileResult) => void;

const BATCH_BYTES = 8 << 20;
const BATCH_FILES = 256;

interface Batch {
  /** A job's `index` is its place in the batch, and in `callbacks`. */
  readonly jobs: FileJob[];
  readonly callbacks: FileCallback[];
  bytes: number;
}

export class FileScheduler {
  readonly #session: BackupSession;
  readonly #profile: ChunkerParams;
  #batch: Batch = newBatch();
  readonly #tasks = new Set<Promise<void>>();
  #failure: unknown = undefined;

  constructor(session: BackupSession, profile: ChunkerParams) {
    this.#session = session;
    this.#profile = profile;
  }

  /**
   * Queues a file; `onDone` is called with its result. Returns a promise only when the
   * caller has to wait for a worker (the file is queued once it settles).
   */
  submit(path: string, size: number, onDone: FileCallback): Promise<void> | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#full()) return this.#submitLater(path, size, onDone);
    this.#queue(path, size, onDone);
    return undefined;
  }

  /** Sends the partial batch and waits for every task to finish; throws the first failure. */
  async drain(): Promise<void> {
    while (this.#batch.jobs.length > 0) {
      await this.#session.files.whenFree();
      this.#dispatch();
    }
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #submitLater(path: string, size: number, onDone: FileCallback): Promise<void> {
    while (this.#full()) {
      await this.#session.files.whenFree();
      this.#dispatch();
    }
    this.#queue(path, size, onDone);
  }

  #full(): boolean {
    const b = this.#batch;
    return b.jobs.length > 0 && (b.bytes >= BATCH_BYTES || b.jobs.length >= BATCH_FILES);
  }

  #queue(path: string, size: number, onDone: FileCallback): void {
    const batch = this.#batch;
    batch.jobs.push({ index: batch.jobs.length, path });
    batch.callbacks.push(onDone);
    batch.bytes += size;
    const files = this.#session.files;
    if (files.hasFree() && (files.idle() || batch.bytes >= BATCH_BYTES)) this.#dispatch();
  }

  #dispatch(): void {
    const batch = this.#batch;
    if (batch.jobs.length === 0) return;
    this.#batch = newBatch();
    const done = this.#session.files.runFiles(this.#profile, batch.jobs, (f) => batch.callbacks[f.index]?.(f));
    const tracked = done
      .catch((err: unknown) => {
        this.#failure ??= err;
      })
      .finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }
}

function newBatch(): Batch {
  return { jobs: [], callbacks: [], bytes: 0 };
}
