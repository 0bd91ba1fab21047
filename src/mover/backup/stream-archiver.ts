/**
 * Backs up a byte stream (a database dump on stdin or from a command) with no local
 * staging: the main thread cuts content-defined chunks as bytes arrive and workers seal
 * them; chunk order is kept by sequence numbers. A task's chunks travel as one slab of
 * consecutive bytes, copied once out of the read buffer and transferred to the worker
 * (a copy per chunk, cloned again into the worker, was most of the main thread's time
 * and left hundreds of MB of garbage buffers on a 500 MB dump).
 */
import type { Readable } from 'node:stream';
import { Chunker, gearTable } from '../../repo/chunker/fastcdc.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import type { ChunkJob, FromWorker } from '../worker/protocol.ts';
import type { BackupSession } from './session.ts';

const TASK_BYTES = 8 << 20;

export class StreamArchiver {
  readonly #session: BackupSession;
  readonly #params: ChunkerParams;
  readonly #chunker: Chunker;
  readonly #refs: ContentRef[] = [];
  readonly #tasks: Array<Promise<void>> = [];
  #seq = 0;
  #failure: unknown = undefined;
  bytesRead = 0;

  constructor(session: BackupSession, params: ChunkerParams) {
    this.#session = session;
    this.#params = params;
    this.#chunker = new Chunker(params, gearTable(session.repo.key.chunkerSeed));
  }

  /** Reads the stream to its end; returns the content list of the stored stream. */
  async archive(input: Readable): Promise<ContentRef[]> {
    const buf = new Uint8Array(this.#params.maxSize + TASK_BYTES);
    let end = 0;
    for await (const piece of input as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < piece.byteLength) {
        const n = Math.min(piece.byteLength - at, buf.byteLength - end);
        buf.set(piece.subarray(at, at + n), end);
        end += n;
        at += n;
        if (end === buf.byteLength) end = await this.#cutAll(buf, end, false);
      }
      this.bytesRead += piece.byteLength;
      this.#session.progress?.update({ filesDone: 0, bytesDone: this.bytesRead, bytesTotal: undefined });
    }
    await this.#cutAll(buf, end, true);
    if (this.#failure !== undefined) throw this.#failure;
    await Promise.all(this.#tasks);
    return mergeZeroRuns(this.#refs);
  }

  /** Cuts every chunk it can, sends them in tasks of about TASK_BYTES; moves the tail to the front and returns its length. */
  async #cutAll(buf: Uint8Array, end: number, final: boolean): Promise<number> {
    let start = 0;
    let taskStart = 0;
    let chunks: ChunkJob[] = [];
    while (start < end && (final || end - start >= this.#params.maxSize)) {
      const cut = this.#chunker.cut(buf, start, end, final);
      chunks.push({ seq: this.#seq++, offset: start - taskStart, length: cut - start });
      start = cut;
      if (start - taskStart >= TASK_BYTES) {
        await this.#send(buf.slice(taskStart, start), chunks);
        taskStart = start;
        chunks = [];
      }
    }
    if (chunks.length > 0) await this.#send(buf.slice(taskStart, start), chunks);
    buf.copyWithin(0, start, end);
    return end - start;
  }

  async #send(data: Uint8Array<ArrayBuffer>, chunks: ChunkJob[]): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    await this.#session.pool.whenFree();
    const handler = (msg: FromWorker): void => {
      if (msg.kind === 'chunks') for (const r of msg.refs) this.#refs[r.seq] = r.ref;
    };
    const { done } = this.#session.pool.run({ kind: 'chunks', data, chunks }, handler, undefined, [data.buffer]);
    done.catch((err: unknown) => {
      this.#failure ??= err;
    });
    this.#tasks.push(done);
  }
}

export function mergeZeroRuns(refs: readonly ContentRef[]): ContentRef[] {
  const out: ContentRef[] = [];
  for (const r of refs) {
    const last = out.at(-1);
    if (typeof r === 'number' && typeof last === 'number') out[out.length - 1] = last + r;
    else out.push(r);
  }
  return out;
}
