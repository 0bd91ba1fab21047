/**
 * Who reads, chunks and seals a backup's files: the mover's worker threads, or the addon
 * on libuv's pool (native-files.ts, ADR 0040). FileScheduler batches files for either.
 */
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import type { FileDone, FileJob, FromWorker } from '../worker/protocol.ts';
import type { WorkerPool } from '../worker/worker-pool.ts';

export interface FileRunner {
  /** Whether a batch now would start at once. */
  hasFree(): boolean;
  /** Whether no batch is under way. */
  idle(): boolean;
  /** Resolves once a batch would start at once. */
  whenFree(): Promise<void>;
  /**
   * Reads, chunks and stores `files`, calling `onFile` for each as it finishes (a file
   * that cannot be read reports its error and the batch goes on); rejects when the packs
   * cannot be written.
   */
  runFiles(profile: ChunkerParams, files: FileJob[], onFile: (done: FileDone) => void): Promise<void>;
  /** Gets ready ahead of the first batch (workers load while the caller works). */
  start(): void;
}

/** The worker threads' file tasks (worker-main.ts runFiles) as a FileRunner. */
export function workerFiles(pool: WorkerPool): FileRunner {
  return {
    hasFree: () => pool.hasFree(),
    idle: () => pool.idle(),
    whenFree: () => pool.whenFree(),
    start: () => pool.start(),
    runFiles(profile, files, onFile) {
      const handler = (msg: FromWorker): void => {
        if (msg.kind === 'files') for (const f of msg.files) onFile(f);
      };
      return pool.run({ kind: 'files', profile, files }, handler).done;
    },
  };
}
