/**
 * A stream backup's chunks, cut on this thread (stream-archiver.ts), sealed by the addon on
 * libuv's pool (native/src/seal_chunks.c, ADR 0040): one call per task of cut chunks, with
 * an output buffer that holds them all sealed. No worker isolates.
 */
import { releaseBuffer } from '../../core/buffers.ts';
import { STREAM_MIN_MATCH } from '../../repo/compression.ts';
import { SEAL_OVERHEAD } from '../../repo/crypto/aead.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import { poolCalls } from '../native-blobs.ts';
import type { ChunkJob } from '../worker/protocol.ts';
import { RECORD, type NativeSeal, type SealedChunks } from './native-sealing.ts';

const MiB = 1 << 20;

export class NativeChunkSealer {
  readonly #native: NativeSeal;
  readonly #sealed: SealedChunks;
  /** Calls under way at once: one per pool call, and one more queued so the pool never waits for this thread. */
  readonly #inFlight: number;
  readonly #spare: Buffer[] = [];
  readonly #waiters: Array<() => void> = [];
  #running = 0;

  constructor(sealed: SealedChunks, native: NativeSeal, opts: { calls?: number } = {}) {
    this.#native = native;
    this.#sealed = sealed;
    this.#inFlight = poolCalls(opts.calls) + 1;
  }

  async whenFree(): Promise<void> {
    while (this.#running >= this.#inFlight) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Seals `chunks` of `data` (whose buffer this takes over and frees) and stores the new
   * ones; `onRef` gets each chunk's blob id or hole length by its sequence number.
   */
  async seal(data: Uint8Array, chunks: readonly ChunkJob[], onRef: (seq: number, ref: ContentRef) => void): Promise<void> {
    this.#running++;
    const table = Buffer.allocUnsafe(chunks.length * 8);
    chunks.forEach((c, i) => {
      table.writeUInt32LE(c.offset, 8 * i);
      table.writeUInt32LE(c.length, 8 * i + 4);
    });
    const out = this.#outBuffer(data.byteLength + SEAL_OVERHEAD * chunks.length);
    try {
      const records = await this.#native.sealChunks(...this.#sealed.settings(STREAM_MIN_MATCH), data, table, out);
      releaseBuffer(new Uint8Array(data.buffer)); // the task's data is a view of the whole read buffer, which it was given
      for (let at = 0; at + RECORD < records.byteLength; at += RECORD) {
        const chunk = chunks[records.readUInt32LE(at + 4)];
        const { ref, pending } = this.#sealed.take(records, at, out);
        if (chunk) onRef(chunk.seq, ref);
        if (pending) await pending;
      }
    } finally {
      this.#giveBack(out);
      this.#running--;
      this.#waiters.shift()?.();
    }
  }

  /** A spare output buffer that holds `size` bytes, else a new one (rounded up to a MiB). */
  #outBuffer(size: number): Buffer {
    const i = this.#spare.findIndex((b) => b.byteLength >= size);
    return i >= 0 ? (this.#spare.splice(i, 1)[0] as Buffer) : Buffer.allocUnsafeSlow(Math.ceil(size / MiB) * MiB);
  }

  #giveBack(out: Buffer): void {
    if (this.#spare.length < this.#inFlight) this.#spare.push(out);
    else releaseBuffer(out);
  }
}
