/**
 * Collects sealed blobs in a worker and posts them to the main thread in batches,
 * counting their bytes against the shared credit so a worker never runs more than
 * `creditLimit` bytes ahead of the pack writer.
 */
import type { FileDone, FromWorker, WireBlob } from './protocol.ts';

export class BlobBatcher {
  readonly #post: (msg: FromWorker, transfer?: ArrayBuffer[]) => void;
  readonly #credit: Int32Array;
  readonly #limit: number;
  #blobs: WireBlob[] = [];
  #files: FileDone[] = [];
  #bytes = 0;
  task = 0;

  constructor(post: (msg: FromWorker, transfer?: ArrayBuffer[]) => void, credit: SharedArrayBuffer, limit: number) {
    this.#post = post;
    this.#credit = new Int32Array(credit);
    this.#limit = limit;
  }

  add(blob: WireBlob): void {
    if (!blob.sealed) return;
    this.#blobs.push(blob);
    this.#bytes += blob.sealed.byteLength;
    if (this.#bytes >= 4 << 20) this.flush();
  }

  addFile(done: FileDone): void {
    this.#files.push(done);
    if (this.#files.length >= 512) this.flush();
  }

  flush(): void {
    if (this.#blobs.length === 0 && this.#files.length === 0) return;
    Atomics.add(this.#credit, 0, this.#bytes);
    const transfer = ownedBuffers(this.#blobs);
    this.#post({ kind: 'blobs', task: this.task, blobs: this.#blobs, bytes: this.#bytes, files: this.#files }, transfer);
    this.#blobs = [];
    this.#files = [];
    this.#bytes = 0;
  }

  /** Blocks this worker while the main thread is too far behind. */
  waitForCredit(): void {
    for (;;) {
      const current = Atomics.load(this.#credit, 0);
      if (current <= this.#limit) return;
      Atomics.wait(this.#credit, 0, current, 50);
    }
  }
}

/** Sealed blobs that own all their memory (aead.seal allocates each) move to the main thread instead of being copied. */
function ownedBuffers(blobs: readonly WireBlob[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const b of blobs) {
    const s = b.sealed;
    if (s && s.buffer instanceof ArrayBuffer && s.byteOffset === 0 && s.byteLength === s.buffer.byteLength) out.add(s.buffer);
  }
  return [...out];
}
