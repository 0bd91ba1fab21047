/**
 * Lists the source tree ahead of the tree archiver, on a worker thread: readdir and
 * lstat are most of an unchanged backup's work, and here they run beside the main
 * thread (and, when the CLI starts the scan before opening the repository, while the
 * password is being stretched). The archiver asks for each directory as it reaches it
 * (`take`) and gets exactly what it would have read itself; a directory the scan does
 * not have (it stopped or failed) is read directly.
 *
 * Scanned entries are a little older than read ones would be; a file that changes in
 * between is caught by the next backup, as with any change during a backup.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_LIMITS } from '../worker/worker-pool.ts';
import { unpackListing } from './dir-listing.ts';
import { scanWorkerMain } from './scan-worker.ts';
import type { DirListing, PackedListing, ScanMessage, ScanSetup, TreeScanner } from './dir-listing.ts';

/** The worker's program as a plain script: no module loading, so it starts at once. */
const WORKER_SOURCE = `(${scanWorkerMain.toString()})()`;
const AHEAD_ENTRIES = 200_000;

export class DirScanner implements TreeScanner {
  readonly #worker: Worker;
  readonly #credit: Int32Array;
  readonly #ready = new Map<string, PackedListing>();
  readonly #waiters = new Map<string, () => void>();
  #finished = false;

  private constructor(roots: readonly string[], excludes: readonly string[], aheadEntries: number) {
    const credit = new SharedArrayBuffer(8);
    this.#credit = new Int32Array(credit);
    const setup: ScanSetup = { roots: [...roots], excludes: [...excludes], credit, limit: aheadEntries };
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: setup, resourceLimits: WORKER_LIMITS });
    this.#worker.on('message', (msg: ScanMessage) => this.#receive(msg));
    this.#worker.on('error', () => this.#finish());
    this.#worker.on('exit', () => this.#finish());
  }

  /**
   * Starts listing `roots` (absolute paths) depth-first, leaving out what `excludes`
   * match, at most `aheadEntries` entries ahead of what has been taken.
   */
  static start(roots: readonly string[], excludes: readonly string[], aheadEntries = AHEAD_ENTRIES): DirScanner {
    return new DirScanner(roots, excludes, aheadEntries);
  }

  /** The directory as scanned, or undefined when the scan does not have it. */
  async take(path: string): Promise<DirListing | undefined> {
    if (!this.#ready.has(path) && !this.#finished) {
      Atomics.store(this.#credit, 1, 1);
      Atomics.notify(this.#credit, 0);
      await new Promise<void>((resolve) => this.#waiters.set(path, resolve));
      Atomics.store(this.#credit, 1, 0);
    }
    const packed = this.#ready.get(path);
    if (!packed) return undefined;
    this.#ready.delete(path);
    Atomics.sub(this.#credit, 0, packed.names.length + 1);
    Atomics.notify(this.#credit, 0);
    return unpackListing(packed);
  }

  async close(): Promise<void> {
    this.#finish();
    await this.#worker.terminate();
  }

  #receive(msg: ScanMessage): void {
    if (msg.kind === 'done') {
      this.#finish();
      void this.#worker.terminate();
      return;
    }
    for (const listing of msg.listings) {
      this.#ready.set(listing.path, listing);
      this.#wake(listing.path);
    }
  }

  #wake(path: string): void {
    const waiter = this.#waiters.get(path);
    this.#waiters.delete(path);
    waiter?.();
  }

  #finish(): void {
    this.#finished = true;
    for (const path of [...this.#waiters.keys()]) this.#wake(path);
  }
}
