/**
 * A backup's files read, chunked and sealed by the addon on libuv's pool
 * (native/src/seal_files.c, ADR 0040), with no worker isolates: each batch of files is one
 * job, called again while its output buffer fills, and this thread puts the sealed chunks
 * it returns into the session's packs. The repository's known ids go to the addon (it
 * compresses and seals only the chunks the repository lacks); the chunks new to this
 * session are claimed here, so a chunk met twice is stored once.
 */
import { availableParallelism } from 'node:os';
import { releaseBuffer } from '../../core/buffers.ts';
import { HoldfastError, systemErrorMessage } from '../../core/errors.ts';
import { Limiter } from '../../core/limiter.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import { gearTable } from '../../repo/chunker/fastcdc.ts';
import type { Repository } from '../../repo/repository.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import type { FileDone, FileJob } from '../worker/protocol.ts';
import type { FileRunner } from './file-runner.ts';
import { RECORD, Rec, type NativeSeal, type SealedChunks } from './native-sealing.ts';

/**
 * Batches sealed at once by default: one more than the CPUs (at most 3, leaving one of
 * libuv's four threads to the scan). With one per CPU the pool sat idle while the main
 * thread walked and packed: on two CPUs, 1.70 CPUs busy and 4.43–4.80 s for the kernel
 * tree; with three, 1.84 CPUs and 4.10–4.37 s, for 0–8 MB more at the peak.
 */
function fileCalls(requested?: number): number {
  return requested ?? Math.min(availableParallelism() + 1, 3);
}

/** A job's output buffer: sealed chunks of this many bytes go back at a time (a longer chunk gets a buffer of its own). */
const OUT_BYTES = 4 << 20;

/** The file a job is in, between its calls. */
interface Progress {
  content: ContentRef[];
}

export class NativeFileSealer implements FileRunner {
  readonly #native: NativeSeal;
  readonly #repo: Repository;
  readonly #sealed: SealedChunks;
  /** Batches under way at once. */
  readonly #jobs: Limiter;
  readonly #spare: Buffer[] = [];
  #gear: Uint8Array | undefined;

  constructor(repo: Repository, sealed: SealedChunks, native: NativeSeal, opts: { calls?: number } = {}) {
    this.#native = native;
    this.#repo = repo;
    this.#sealed = sealed;
    this.#jobs = new Limiter(fileCalls(opts.calls));
  }

  hasFree(): boolean {
    return this.#jobs.free;
  }

  idle(): boolean {
    return this.#jobs.idle;
  }

  whenFree(): Promise<void> {
    return this.#jobs.whenFree();
  }

  start(): void {
    // Nothing to warm: the pool's threads are the process's own.
  }

  async runFiles(profile: ChunkerParams, files: FileJob[], onFile: (done: FileDone) => void): Promise<void> {
    // Taken at once when FileScheduler saw a place free, so the next batch waits its turn.
    const release = this.#jobs.tryAcquire() ?? (await this.#jobs.acquire());
    const job = this.#startJob(profile, files.map((f) => f.path));
    const progress: Progress = { content: [] };
    let out = this.#outBuffer(OUT_BYTES);
    let call: Promise<Buffer> | undefined = this.#native.sealFilesNext(job, out);
    try {
      while (call) {
        const records = await call;
        const filled = out;
        const end = closingRecord(records);
        call = undefined;
        // The next call fills another buffer while this thread packs the last one's chunks.
        if (end.kind !== Rec.Done) call = this.#native.sealFilesNext(job, (out = this.#outBuffer(end.kind === Rec.Need ? end.need : OUT_BYTES)));
        await this.#take(records, filled, files, onFile, progress);
        this.#giveBack(filled);
      }
    } finally {
      await call?.catch(() => {});
      this.#native.sealFilesClose(job);
      release();
    }
  }

  #startJob(profile: ChunkerParams, paths: string[]): object {
    this.#gear ??= new Uint8Array(gearTable(this.#repo.key.chunkerSeed).buffer);
    return this.#native.sealFilesStart(...this.#sealed.settings(0), this.#gear, profile.minSize, profile.avgSize, profile.maxSize, paths);
  }

  /** Stores the sealed chunks of one call and reports the files it finished. */
  async #take(records: Buffer, out: Buffer, files: FileJob[], onFile: (done: FileDone) => void, progress: Progress): Promise<void> {
    for (let at = 0; at + RECORD < records.byteLength; at += RECORD) {
      const kind = records.readUInt32LE(at);
      if (kind === Rec.Chunk || kind === Rec.Hole) {
        const { ref, pending } = this.#sealed.take(records, at, out);
        addRef(progress.content, ref);
        if (pending) await pending;
      } else if (kind === Rec.File) {
        const file = files[records.readUInt32LE(at + 4)];
        if (file) onFile(fileDone(file, records, at, progress.content));
        progress.content = [];
      }
    }
  }

  /** An output buffer of `size` bytes: a spare one when it is the usual size. */
  #outBuffer(size: number): Buffer {
    return (size === OUT_BYTES ? this.#spare.pop() : undefined) ?? Buffer.allocUnsafeSlow(size);
  }

  #giveBack(out: Buffer): void {
    if (out.byteLength === OUT_BYTES && this.#spare.length < 2 * this.#jobs.limit) this.#spare.push(out);
    else releaseBuffer(out);
  }
}

/** How a call ended: its last record (every file done, `out` full, or a larger `out` needed). */
function closingRecord(records: Buffer): { kind: number; need: number } {
  const at = records.byteLength - RECORD;
  const kind = at >= 0 ? records.readUInt32LE(at) : -1;
  if (kind !== Rec.Done && kind !== Rec.Full && kind !== Rec.Need) throw new HoldfastError('INTERNAL', 'the addon\'s sealFilesNext returned no closing record');
  return { kind, need: Math.ceil(records.readUInt32LE(at + 8) / OUT_BYTES) * OUT_BYTES };
}

/** A file's result from its closing record: what it holds, or why it could not be read. */
function fileDone(file: FileJob, records: Buffer, at: number, content: ContentRef[]): FileDone {
  const errno = records.readUInt32LE(at + 16);
  if (errno === 0) return { index: file.index, content, bytesRead: records.readUInt32LE(at + 8) + records.readUInt32LE(at + 12) * 2 ** 32 };
  const opening = records.readUInt32LE(at + 20) === 0;
  return { index: file.index, content: [], bytesRead: 0, error: systemErrorMessage(errno, opening ? 'open' : 'read', opening ? file.path : undefined) };
}

/** Appends a blob or a hole to a content list; a hole right after a hole lengthens it. */
function addRef(content: ContentRef[], ref: ContentRef): void {
  const last = content.at(-1);
  if (typeof ref === 'number' && typeof last === 'number') content[content.length - 1] = last + ref;
  else content.push(ref);
}
