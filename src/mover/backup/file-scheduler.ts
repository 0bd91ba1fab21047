/**
 * Groups files into worker tasks: a batch goes out when it is large enough, or at once
 * when a worker is idle, so small files travel many to a message and workers never
 * starve. `submit` waits while every worker is busy: the walk never runs far ahead.
 */
import type { ContentRef } from '../../repo/tree/tree.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import type { FileJob, FromWorker } from '../worker/protocol.ts';
import type { BackupSession } from './session.ts';

export interface FileResult {
  readonly content: ContentRef[];
  readonly bytesRead: number;
  readonly error?: string;
}

const BATCH_BYTES = 8 << 20;
const BATCH_FILES = 256;

interface Batch {
  jobs: FileJob[];
  resolvers: Map<number, { resolve: (r: FileResult) => void; reject: (err: unknown) => void }>;
  bytes: number;
}

export class FileScheduler {
  readonly #session: BackupSession;
  readonly #profile: ChunkerParams;
  #batch: Batch = newBatch();
  #nextIndex = 0;
  readonly #tasks = new Set<Promise<void>>();

  constructor(session: BackupSession, profile: ChunkerParams) {
    this.#session = session;
    this.#profile = profile;
  }

  async submit(path: string, size: number): Promise<{ done: Promise<FileResult> }> {
    const pool = this.#session.pool;
    while (this.#batch.jobs.length > 0 && (this.#batch.bytes >= BATCH_BYTES || this.#batch.jobs.length >= BATCH_FILES)) {
      await pool.whenFree();
      this.#dispatch();
    }
    const index = this.#nextIndex++;
    const result = new Promise<FileResult>((resolve, reject) => this.#batch.resolvers.set(index, { resolve, reject }));
    result.catch(() => {});
    this.#batch.jobs.push({ index, path });
    this.#batch.bytes += size;
    if (pool.hasFree() && (pool.idle() || this.#batch.bytes >= BATCH_BYTES)) this.#dispatch();
    return { done: result };
  }

  /** Sends the partial batch and waits for every task to finish. */
  async drain(): Promise<void> {
    while (this.#batch.jobs.length > 0) {
      await this.#session.pool.whenFree();
      this.#dispatch();
    }
    await Promise.all(this.#tasks);
  }

  #dispatch(): void {
    const batch = this.#batch;
    if (batch.jobs.length === 0) return;
    this.#batch = newBatch();
    const handler = async (msg: FromWorker): Promise<void> => {
      if (msg.kind !== 'blobs') return;
      await this.#session.takeBlobs(msg);
      for (const f of msg.files) {
        const waiter = batch.resolvers.get(f.index);
        batch.resolvers.delete(f.index);
        waiter?.resolve({ content: f.content, bytesRead: f.bytesRead, ...(f.error ? { error: f.error } : {}) });
      }
    };
    const { done } = this.#session.pool.run({ kind: 'files', profile: this.#profile, files: batch.jobs }, handler);
    const tracked = done
      .catch((err: unknown) => {
        for (const waiter of batch.resolvers.values()) waiter.reject(err);
        throw err;
      })
      .finally(() => this.#tasks.delete(tracked));
    tracked.catch(() => {});
    this.#tasks.add(tracked);
  }
}

function newBatch(): Batch {
  return { jobs: [], resolvers: new Map(), bytes: 0 };
}
