/**
 * A `BlobVerifier` for `check --read-data` that decodes on the mover's worker threads.
 * Each pack is copied once into shared memory and its blobs are handed out in slices of
 * about `SLICE_BYTES`, each to whichever worker is free, so the workers stay evenly busy
 * (a pack is too coarse a unit: at the end one worker would finish alone) while the main
 * thread reads the next pack and walks the snapshots.
 *
 * Where the storage can, a pack is read straight into one of those buffers (`bufferFor`),
 * so a pack under check costs its own size once, not a read buffer and a copy.
 *
 * The shared buffers are reused from pack to pack: the workers' views of one stay
 * reachable until their threads collect garbage, so a fresh buffer per pack would keep
 * every pack of the repository in memory for a while.
 */
import { releaseBuffer } from '../../core/buffers.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../../repo/blob.ts';
import type { BlobVerifier, DamagedBlob } from '../../repo/maintenance/blob-verifier.ts';
import type { Repository } from '../../repo/repository.ts';
import { WorkerPool } from '../worker/worker-pool.ts';
import { sliceBlobs } from './slices.ts';

const SLICE_BYTES = 2 << 20;
const BUFFER_STEP = 1 << 20;

export class WorkerBlobVerifier implements BlobVerifier {
  readonly #pool: WorkerPool;
  readonly #sliceBytes: number;
  readonly #free: SharedArrayBuffer[] = [];
  /** Buffers handed out by `bufferFor` and not yet back. */
  readonly #lent = new Set<SharedArrayBuffer>();

  /** Starts the workers at once, so they load while `check` reads the index. */
  constructor(repo: Repository, opts: { workers?: number; sliceBytes?: number } = {}) {
    this.#pool = new WorkerPool(repo, opts.workers ? { workers: opts.workers } : {});
    this.#pool.start();
    this.#sliceBytes = opts.sliceBytes ?? SLICE_BYTES;
  }

  /** One pack being decoded and one being read. */
  readonly parallelism = 2;

  async verify(_pack: Id, data: Buffer, blobs: readonly BlobLocation[]): Promise<DamagedBlob[]> {
    const lent = data.buffer instanceof SharedArrayBuffer && this.#lent.delete(data.buffer) ? data.buffer : undefined;
    const buffer = lent ?? this.#takeBuffer(data.byteLength);
    try {
      if (blobs.length === 0) return [];
      let shared: Uint8Array = data;
      if (!lent) {
        shared = new Uint8Array(buffer, 0, data.byteLength);
        shared.set(data);
        releaseBuffer(data);
      }
      const slices = await Promise.all(sliceBlobs(blobs, this.#sliceBytes).map((slice) => this.#verifySlice(shared, slice)));
      return slices.flat();
    } finally {
      this.#free.push(buffer);
    }
  }

  /** A shared buffer to read a pack into: `verify` then decodes it where it is. */
  bufferFor(size: number): Uint8Array {
    const buffer = this.#takeBuffer(size);
    this.#lent.add(buffer);
    return new Uint8Array(buffer, 0, size);
  }

  giveBack(view: Uint8Array): void {
    const buffer = view.buffer;
    if (buffer instanceof SharedArrayBuffer && this.#lent.delete(buffer)) this.#free.push(buffer);
  }

  /** A free shared buffer of at least `size` bytes (a smaller free one is dropped for a larger one). */
  #takeBuffer(size: number): SharedArrayBuffer {
    const fits = this.#free.findIndex((b) => b.byteLength >= size);
    if (fits >= 0) return this.#free.splice(fits, 1)[0] as SharedArrayBuffer;
    this.#free.pop();
    return new SharedArrayBuffer(Math.ceil(size / BUFFER_STEP) * BUFFER_STEP);
  }

  async #verifySlice(pack: Uint8Array, blobs: BlobLocation[]): Promise<DamagedBlob[]> {
    await this.#pool.whenFree();
    let damaged: DamagedBlob[] = [];
    const { done } = this.#pool.run({ kind: 'verify', data: pack, blobs }, (msg) => {
      if (msg.kind === 'verified') damaged = msg.damaged;
    });
    await done;
    return damaged;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
