/**
 * A worker's own data pack. Sealed blobs go straight into it — a file where the storage
 * takes files (local disks, S3), memory otherwise — and a full pack is finished here
 * (header, trailer, content hash) and handed to the main thread, which only stores and
 * indexes it. No chunk's bytes cross threads and the main thread touches none of them
 * (ADR 0025).
 *
 * Backpressure: the bytes of packs handed over but not yet taken count against a shared
 * credit, and the worker reads no more input while it is over its limit.
 */
import type { PreparedBlob } from '../../repo/blob-sealer.ts';
import { contentHash } from '../../repo/crypto/keyed-hash.ts';
import { PackBuilder } from '../../repo/pack/pack-builder.ts';
import { FilePack } from '../../repo/pack/pack-file.ts';
import type { FinishedPack } from '../../repo/pack/pack-sink.ts';
import type { FromWorker, PackSetup } from './protocol.ts';

type Post = (msg: FromWorker, transfer?: ArrayBuffer[]) => void;

/** Slack above the pack size in an in-memory pack: the blob that fills a pack overshoots it. */
const MEMORY_SLACK = 2 << 20;

export class WorkerPackWriter {
  readonly #setup: PackSetup;
  readonly #encKey: Buffer;
  readonly #post: Post;
  readonly #credit: Int32Array;
  #open: FilePack | PackBuilder | undefined;
  #made = 0;
  /** The task in progress (a finished pack is reported under it). */
  task = 0;

  constructor(setup: PackSetup, encKey: Buffer, post: Post) {
    this.#setup = setup;
    this.#encKey = encKey;
    this.#post = post;
    this.#credit = new Int32Array(setup.credit);
  }

  /** Seals a blob into the open pack (one without bytes is already stored or claimed: nothing to do). */
  add(r: PreparedBlob): void {
    if (!r.data) return;
    this.#open ??= this.#newPack();
    this.#open.addSealing({ id: r.id, type: 'data', rawLength: r.rawLength, compressed: r.compressed, data: r.data }, this.#encKey);
    if (this.#open.bytes >= this.#setup.packSize) this.finish();
  }

  /** Finishes the open pack, if any, and hands it to the main thread. */
  finish(): void {
    const pack = this.#open;
    if (!pack) return;
    this.#open = undefined;
    const done = pack instanceof FilePack ? this.#finishFile(pack) : this.#finishMemory(pack);
    Atomics.add(this.#credit, 0, done.pack.size);
    this.#post({ kind: 'pack', task: this.task, pack: done.pack }, done.transfer);
  }

  /** Removes the open pack (the session failed or stops). */
  discard(): void {
    if (this.#open instanceof FilePack) this.#open.discard();
    this.#open = undefined;
  }

  /** Blocks this worker while the main thread has too many of its packs still to store. */
  waitForCredit(): void {
    for (;;) {
      const current = Atomics.load(this.#credit, 0);
      if (current <= this.#setup.creditLimit) return;
      Atomics.wait(this.#credit, 0, current, 50);
    }
  }

  #newPack(): FilePack | PackBuilder {
    const prefix = this.#setup.tempPrefix;
    if (prefix !== undefined) return new FilePack(`${prefix}-${this.#made++}`);
    return new PackBuilder(Buffer.allocUnsafeSlow(this.#setup.packSize + MEMORY_SLACK));
  }

  #finishFile(pack: FilePack): { pack: FinishedPack; transfer: ArrayBuffer[] } {
    try {
      const { name, size } = pack.finish(this.#encKey);
      return { pack: { name, size, entries: pack.entries, blobBytes: pack.bytes, path: pack.path }, transfer: [] };
    } catch (err) {
      pack.discard();
      throw err;
    }
  }

  #finishMemory(pack: PackBuilder): { pack: FinishedPack; transfer: ArrayBuffer[] } {
    const bytes = pack.finish(this.#encKey);
    const name = contentHash(bytes).toString('hex');
    const transfer = bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
    return { pack: { name, size: bytes.byteLength, entries: pack.entries, blobBytes: pack.bytes, bytes }, transfer };
  }
}
