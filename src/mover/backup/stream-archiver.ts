/**
 * Backs up a byte stream (a database dump on stdin or from a command) with no local
 * staging: the main thread cuts content-defined chunks as bytes arrive and the addon on
 * libuv's pool (native-chunks.ts), or the workers, seal them; chunk order is kept by
 * sequence numbers. A task's chunks travel in the read
 * buffer itself, transferred to the worker; only the chunk still being cut is copied
 * into a fresh buffer (a copy per chunk, cloned again into the worker, was most of the
 * main thread's time and left hundreds of MB of garbage buffers on a 500 MB dump).
 */
import { releaseBuffer } from '../../core/buffers.ts';
import { Chunker, gearTable } from '../../repo/chunker/fastcdc.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import type { ChunkJob, FromWorker } from '../worker/protocol.ts';
import type { BackupSession } from './session.ts';

/**
 * Bytes of cut chunks per task. Tasks in flight and the buffer being filled are most of a
 * stream backup's memory. With worker threads, 8 MiB tasks peaked 10-30 MB higher than
 * 4 MiB ones, and 2 MiB ones made an unchanged re-backup ~10% slower (more hand-offs); on
 * libuv's pool (native-chunks.ts) 2 MiB tasks peak ~10 MB lower than 4 MiB ones on a
 * 190 MB dump, at the same speed first and again.
 */
const TASK_BYTES = 2 << 20;

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
  async archive(input: AsyncIterable<Buffer>): Promise<ContentRef[]> {
    const run = new CutRun(this.#params.maxSize + TASK_BYTES);
    for await (const piece of input) {
      let at = 0;
      while (at < piece.byteLength) {
        at += run.append(piece.subarray(at));
        this.#cut(run, false);
        if (run.start >= TASK_BYTES || run.full()) await this.#hand(run);
      }
      this.bytesRead += piece.byteLength;
      releaseBuffer(piece); // copied into the run: a pipe's 64 KiB reads otherwise pile up until a collection
      this.#session.progress?.update({ filesDone: 0, bytesDone: this.bytesRead, bytesTotal: undefined });
    }
    this.#cut(run, true);
    await this.#hand(run);
    await Promise.all(this.#tasks);
    return mergeZeroRuns(this.#refs);
  }

  /** Cuts every chunk the bytes read so far decide (all of them at the end of the input). */
  #cut(run: CutRun, final: boolean): void {
    for (;;) {
      const cut = this.#chunker.cutAvailable(run.buf, run.start, run.end, final, run.scanned);
      if (cut <= run.start) break;
      run.chunks.push({ seq: this.#seq++, offset: run.start, length: cut - run.start });
      run.start = cut;
      run.scanned = 0;
    }
    run.scanned = run.end - run.start;
  }

  /** Sends the cut chunks (their buffer itself, transferred); the chunk in progress moves to a new buffer. */
  async #hand(run: CutRun): Promise<void> {
    if (run.chunks.length === 0) return;
    const { data, chunks } = run.takeCut();
    await this.#send(data, chunks);
  }

  async #send(data: Uint8Array<ArrayBuffer>, chunks: ChunkJob[]): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    const native = this.#session.chunks;
    if (native) {
      await native.whenFree();
      this.#track(native.seal(data, chunks, (seq, ref) => void (this.#refs[seq] = ref)));
      return;
    }
    await this.#session.pool.whenFree();
    const handler = (msg: FromWorker): void => {
      if (msg.kind === 'chunks') for (const r of msg.refs) this.#refs[r.seq] = r.ref;
    };
    this.#track(this.#session.pool.run({ kind: 'chunks', data, chunks }, handler, undefined, [data.buffer]).done);
  }

  #track(done: Promise<void>): void {
    done.catch((err: unknown) => {
      this.#failure ??= err;
    });
    this.#tasks.push(done);
  }
}

/**
 * The read buffer of a stream: chunks cut so far start at 0 and end at `start`, the chunk
 * in progress runs from `start` to `end`. Handing the cut chunks over gives away the
 * buffer itself and copies only the chunk in progress into a new one.
 */
class CutRun {
  readonly #size: number;
  buf: Uint8Array<ArrayBuffer>;
  start = 0;
  end = 0;
  scanned = 0;
  chunks: ChunkJob[] = [];

  constructor(size: number) {
    this.#size = size;
    this.buf = new Uint8Array(size);
  }

  /** Copies what fits of `bytes` after `end`; returns how many bytes it took. */
  append(bytes: Uint8Array): number {
    const n = Math.min(bytes.byteLength, this.buf.byteLength - this.end);
    this.buf.set(bytes.subarray(0, n), this.end);
    this.end += n;
    return n;
  }

  full(): boolean {
    return this.end === this.buf.byteLength;
  }

  takeCut(): { data: Uint8Array<ArrayBuffer>; chunks: ChunkJob[] } {
    const taken = { data: this.buf.subarray(0, this.start), chunks: this.chunks };
    const next = new Uint8Array(this.#size);
    next.set(this.buf.subarray(this.start, this.end));
    this.buf = next;
    this.end -= this.start;
    this.start = 0;
    this.chunks = [];
    return taken;
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
