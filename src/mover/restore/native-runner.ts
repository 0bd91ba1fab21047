/**
 * Runs restore tasks on libuv's thread pool through the native addon
 * (`native/src/restore.c`) instead of worker threads: the same system calls in the same
 * order as `worker/restore-writer.ts`, with no worker isolates (ADRs 0033, 0036).
 *
 * The addon answers with the bytes written and, for each failed piece, the errno and call
 * or the blob and why. The messages are worded here as Node words its own errors
 * (`EACCES: permission denied, open '/x'`), and a blob that failed is opened again on the
 * TypeScript path for its message, so a failed piece reads the same either way.
 */
import { nativeWith } from '../../core/native.ts';
import { messageOf, systemErrorMessage } from '../../core/errors.ts';
import { Limiter } from '../../core/limiter.ts';
import { addonKeys, blobFlags, poolCalls } from '../native-blobs.ts';
import type { AddonKeys } from '../native-blobs.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobRef } from '../../repo/blob-opener.ts';
import type { SealerKeys } from '../../repo/blob-sealer.ts';
import type { Repository } from '../../repo/repository.ts';
import { BlobChecker } from '../worker/blob-checker.ts';
import { rangeOf } from '../worker/restore-writer.ts';
import type { FromWorker, RestorePiece } from '../worker/protocol.ts';
import type { RestoreRunner, RestoreTask } from './piece-scheduler.ts';

type Located = BlobRef & { offset: number };

interface NativeRestore {
  restorePieces(
    encKey: Uint8Array, dataIdKey: Uint8Array, treeIdKey: Uint8Array, ranges: Uint8Array[], table: Uint8Array,
    paths: string[], program: Float64Array, ownership: boolean, umask: number,
  ): Promise<{ bytes: number; errors: Int32Array }>;
}

const ENTRY_BYTES = 56;
const NO_RANGE = 0xffff_ffff;
const FAIL_SYSCALL = 1;
/** The addon's SYSCALL_* codes, as Node names the calls in its errors. */
const CALLS = ['open', 'write', 'ftruncate', 'fchown', 'fchmod', 'futime', 'close'] as const;

/** The addon's restorePieces, when it is built and its node exports zstd; else undefined. */
export function nativeRestore(): NativeRestore | undefined {
  return nativeWith<NativeRestore>('restorePieces');
}

export class NativeRestoreRunner implements RestoreRunner {
  readonly #native: NativeRestore;
  readonly #key: SealerKeys;
  readonly #keys: AddonKeys;
  /** The tail of each sticky sequence: its next task starts after it. */
  readonly #chains = new Map<number, Promise<void>>();
  /** Tasks run at once (poolCalls). */
  readonly #tasks: Limiter;
  #checker: BlobChecker | undefined;

  constructor(repo: Repository, native: NativeRestore, opts: { threads?: number } = {}) {
    this.#native = native;
    this.#key = repo.key;
    this.#keys = addonKeys(repo.key);
    this.#tasks = new Limiter(poolCalls(opts.threads));
  }

  get size(): number {
    return this.#tasks.limit;
  }

  start(): void {
    // Nothing to start: the pool's threads are libuv's.
  }

  /** Runs the task; tasks with the same `sticky` run one after another, in call order. */
  run(task: RestoreTask, handler: (msg: FromWorker) => void, sticky?: number): { done: Promise<void> } {
    const before = sticky !== undefined ? this.#chains.get(sticky) : undefined;
    const done = (async () => {
      await before;
      await this.#tasks.run(() => this.#execute(task, handler));
    })();
    if (sticky !== undefined) {
      const tail = done.catch(() => undefined);
      this.#chains.set(sticky, tail);
      void tail.then(() => {
        if (this.#chains.get(sticky) === tail) this.#chains.delete(sticky);
      });
    }
    return { done };
  }

  async close(): Promise<void> {
    await Promise.all(this.#chains.values());
  }

  async #execute(task: RestoreTask, handler: (msg: FromWorker) => void): Promise<void> {
    const { table, index } = blobTable(task);
    const program = pieceProgram(task.pieces, index);
    const paths = task.pieces.map((p) => p.path);
    const ranges = task.ranges.map((r) => r.data);
    const out = await this.#native.restorePieces(...this.#keys, ranges, table, paths, program, task.ownership, task.umask ?? -1);
    const errors: Array<{ path: string; message: string }> = [];
    for (let at = 0; at + 3 < out.errors.length; at += 4) {
      const [piece, kind, a, b] = [out.errors[at] ?? 0, out.errors[at + 1], out.errors[at + 2] ?? 0, out.errors[at + 3] ?? 0];
      const path = task.pieces[piece]?.path ?? '';
      errors.push({ path, message: kind === FAIL_SYSCALL ? systemMessage(a, CALLS[b] ?? 'write', path) : this.#blobMessage(task, task.blobs[a], b) });
    }
    handler({ kind: 'restored', task: 0, bytes: out.bytes, errors });
  }

  /** Why blob `ref` did not open, in the words of the worker path (restore-writer.ts). */
  #blobMessage(task: RestoreTask, ref: Located | undefined, status: number): string {
    if (!ref) return 'a blob was not sent with the restore task';
    const range = task.ranges[rangeOf(task.ranges, ref)];
    if (!range) return `blob ${ref.id} is outside the pack ranges read`;
    const start = ref.offset - range.offset;
    try {
      this.#checker ??= new BlobChecker(this.#key);
      this.#checker.openTransient(ref, range.data.subarray(start, start + ref.length), false);
    } catch (err) {
      return messageOf(err);
    }
    return `blob ${ref.id}: the native restore failed it (status ${status}) but it opens here: report this as a bug`;
  }
}

/** Node's words for a failed call: `CODE: description, call`, and the path for open (fd calls name none). */
function systemMessage(errno: number, call: string, path: string): string {
  return systemErrorMessage(errno, call, call === 'open' ? path : undefined);
}

/** The addon's table of the task's blobs (where each is in the ranges read), and their indexes by id. */
function blobTable(task: RestoreTask): { table: Buffer; index: Map<Id, number> } {
  const table = Buffer.alloc(task.blobs.length * ENTRY_BYTES);
  const index = new Map<Id, number>();
  task.blobs.forEach((b, i) => {
    index.set(b.id, i);
    const r = rangeOf(task.ranges, b);
    const at = i * ENTRY_BYTES;
    table.writeUInt32LE(r < 0 ? NO_RANGE : r, at);
    table.writeUInt32LE(r < 0 ? 0 : b.offset - (task.ranges[r]?.offset ?? 0), at + 4);
    table.writeUInt32LE(b.length, at + 8);
    table.writeUInt32LE(b.rawLength, at + 12);
    table.writeUInt32LE(blobFlags(b), at + 16);
    table.write(b.id, at + 24, 32, 'hex');
  });
  return { table, index };
}

/** The pieces as the addon reads them (restore.c): nine numbers a piece, then its refs. */
function pieceProgram(pieces: readonly RestorePiece[], index: ReadonlyMap<Id, number>): Float64Array {
  const out: number[] = [];
  for (const p of pieces) {
    const m = p.meta;
    const refs = p.refs.filter((r) => r !== 0);
    out.push(p.fileOffset, p.create ? 1 : 0, p.size, m ? 1 : 0, m?.mode ?? 0, m?.uid ?? 0, m?.gid ?? 0, m?.mtime ?? 0, refs.length);
    for (const r of refs) out.push(typeof r === 'number' ? -r : (index.get(r) ?? index.size));
  }
  return Float64Array.from(out);
}
