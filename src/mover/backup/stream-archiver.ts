/**
 * Backs up a byte stream (a database dump on stdin or from a command) with no local
 * staging: the main thread cuts content-defined chunks as bytes arrive and workers seal
 * them; chunk order is kept by sequence numbers.
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
  #jobs: ChunkJob[] = [];
  #jobBytes = 0;
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
    await this.#send();
    await Promise.all(this.#tasks);
    return mergeZeroRuns(this.#refs);
  }

  /** Cuts every chunk it can; moves the tail to the front and returns its length. */
  async #cutAll(buf: Uint8Array, end: number, final: boolean): Promise<number> {
    let start = 0;
    while (start < end && (final || end - start >= this.#params.maxSize)) {
      const cut = this.#chunker.cut(buf, start, end, final);
      this.#jobs.push({ seq: this.#seq++, data: buf.slice(start, cut) });
      this.#jobBytes += cut - start;
      start = cut;
      if (this.#jobBytes >= TASK_BYTES) await this.#send();
    }
    buf.copyWithin(0, start, end);
    return end - start;
  }

  async #send(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#jobs.length === 0) return;
    const chunks = this.#jobs;
    this.#jobs = [];
    this.#jobBytes = 0;
    await this.#session.pool.whenFree();
    const handler = (msg: FromWorker): void => {
      if (msg.kind === 'chunks') for (const r of msg.refs) this.#refs[r.seq] = r.ref;
    };
    const { done } = this.#session.pool.run({ kind: 'chunks', chunks }, handler);
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
