/**
 * A stream backup's chunks, cut on this thread (stream-archiver.ts), sealed by the addon on
 * libuv's pool (native/src/seal_chunks.c, ADR 0040): one call per task of cut chunks, with
 * an output buffer that holds them all sealed, freed once they are packed. No worker
 * isolates. One call per pool call at most: a third in flight, or output buffers kept for
 * the next task, held ~5 MB more of a 190 MB dump's peak and made it no faster.
 */
import { releaseBuffer } from '../../core/buffers.ts';
import { Limiter } from '../../core/limiter.ts';
import { STREAM_MIN_MATCH } from '../../repo/compression.ts';
import { SEAL_OVERHEAD } from '../../repo/crypto/aead.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import { poolCalls } from '../native-blobs.ts';
import type { ChunkJob } from '../worker/protocol.ts';
import { RECORD, type NativeSeal, type SealedChunks } from './native-sealing.ts';


export class NativeChunkSealer {
  readonly #native: NativeSeal;
  readonly #sealed: SealedChunks;
  /** Tasks under way at once. */
  readonly #calls: Limiter;

  constructor(sealed: SealedChunks, native: NativeSeal, opts: { calls?: number } = {}) {
    this.#native = native;
    this.#sealed = sealed;
    this.#calls = new Limiter(poolCalls(opts.calls));
  }

  whenFree(): Promise<void> {
    return this.#calls.whenFree();
  }

  /**
   * Seals `chunks` of `data` (whose buffer this takes over and frees) and stores the new
   * ones; `onRef` gets each chunk's blob id or hole length by its sequence number.
   */
  async seal(data: Uint8Array, chunks: readonly ChunkJob[], onRef: (seq: number, ref: ContentRef) => void): Promise<void> {
    const release = this.#calls.tryAcquire() ?? (await this.#calls.acquire());
    const table = Buffer.allocUnsafe(chunks.length * 8);
    chunks.forEach((c, i) => {
      table.writeUInt32LE(c.offset, 8 * i);
      table.writeUInt32LE(c.length, 8 * i + 4);
    });
    const out = Buffer.allocUnsafeSlow(data.byteLength + SEAL_OVERHEAD * chunks.length);
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
      releaseBuffer(out);
      release();
    }
  }
}
