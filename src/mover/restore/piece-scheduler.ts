/**
 * Groups file pieces into restore tasks, reads the pack ranges each task needs (adjacent
 * blobs of a pack in one read) and hands bytes and pieces to a runner (worker threads or
 * the native addon). Pieces of a file that spans several tasks run in order.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../../repo/blob.ts';
import type { FromWorker, PackRange, RestorePiece, ToWorker } from '../worker/protocol.ts';
import type { PackRangeReader } from './pack-blocks.ts';

const TASK_BYTES = 4 << 20;
const TASK_PIECES = 512;
/**
 * Gaps read and thrown away between the blobs of one read; larger gaps start a new read.
 * A request to remote storage costs more than a MiB read for nothing; a local read costs
 * little, while the bytes are copied and held: on the bench's kernel tree a 1 MiB gap
 * read 349 MB for 258 MB of blobs (285 reads), 256 KiB 265 MB (420), 64 KiB 259 MB (457).
 */
const REMOTE_MERGE_GAP = 1 << 20;
const LOCAL_MERGE_GAP = 256 << 10;

export interface RestoreOutcome {
  bytes: number;
  readonly errors: Array<{ path: string; message: string }>;
}

/** The owner a restored file has once created. */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

export interface SchedulerOptions {
  readonly read: PackRangeReader;
  /** Restore owners (chown); false when the process may not. */
  readonly ownership: boolean;
  /** The owner every new file gets, when known: a file that should have it needs no chown. */
  readonly newFileOwner?: FileOwner | undefined;
  /** The storage's connections (`Storage.concurrency`); undefined for a local disk. */
  readonly concurrency?: number | undefined;
}

/** A restore task as a runner takes it. */
export type RestoreTask = Omit<Extract<ToWorker, { kind: 'restore' }>, 'task'>;

/**
 * What runs restore tasks: the mover's worker threads (WorkerPool) or the native addon on
 * libuv's pool (NativeRestoreRunner). Tasks with the same `sticky` run in the order given.
 */
export interface RestoreRunner {
  /** Tasks it runs at once. */
  readonly size: number;
  start(): void;
  run(task: RestoreTask, handler: (msg: FromWorker) => void, sticky?: number, transfer?: ArrayBuffer[]): { done: Promise<void> };
  close(): Promise<void>;
}

/** A data blob's location; throws when the index has none (`path`: the file that needs it). */
export type BlobLocator = (id: Id, path: string) => BlobLocation;

interface Batch {
  pieces: RestorePiece[];
  blobs: Map<Id, BlobLocation>;
  bytes: number;
}

export class PieceScheduler {
  readonly #read: PackRangeReader;
  readonly #pool: RestoreRunner;
  readonly #locate: BlobLocator;
  readonly #ownership: boolean;
  readonly #newFileOwner: FileOwner | undefined;
  /** The process's umask when every file is new (a fresh target): workers create files with their modes. */
  readonly #umask: number | undefined;
  readonly #tasks = new Set<Promise<void>>();
  readonly outcome: RestoreOutcome = { bytes: 0, errors: [] };
  readonly #maxTasks: number;
  readonly #mergeGap: number;
  #batch: Batch = newBatch();
  #sticky = 0;

  constructor(pool: RestoreRunner, locate: BlobLocator, opts: SchedulerOptions) {
    this.#read = opts.read;
    this.#pool = pool;
    this.#locate = locate;
    this.#ownership = opts.ownership;
    this.#newFileOwner = opts.newFileOwner;
    this.#umask = opts.newFileOwner ? process.umask() : undefined;
    this.#maxTasks = tasksInFlight(pool.size, opts.concurrency);
    this.#mergeGap = opts.concurrency === undefined ? LOCAL_MERGE_GAP : REMOTE_MERGE_GAP;
  }

  /**
   * Queues a file's pieces; a file larger than one task gets tasks of its own. Returns a
   * promise only when the caller must wait (a task is to be sent and all are busy).
   */
  add(pieces: readonly RestorePiece[]): Promise<void> | undefined {
    if (pieces.length > 1) return this.#addLarge(pieces);
    const piece = pieces[0];
    if (!piece) return undefined;
    this.#addPiece(this.#batch, piece);
    if (this.#batch.bytes >= TASK_BYTES || this.#batch.pieces.length >= TASK_PIECES) return this.#flush();
    return undefined;
  }

  async #addLarge(pieces: readonly RestorePiece[]): Promise<void> {
    await this.#flush();
    const worker = this.#sticky++;
    let previous: Promise<void> = Promise.resolve();
    for (const piece of pieces) {
      const batch = newBatch();
      this.#addPiece(batch, piece);
      previous = (await this.#send(batch, worker, previous)).posted;
    }
  }

  /** Adds the piece and the blobs it needs (all found, or neither). */
  #addPiece(batch: Batch, piece: RestorePiece): void {
    const added: BlobLocation[] = [];
    try {
      for (const ref of piece.refs) {
        if (typeof ref === 'number' || batch.blobs.has(ref)) continue;
        const loc = this.#locate(ref, piece.path);
        batch.blobs.set(ref, loc);
        added.push(loc);
      }
    } catch (err) {
      for (const loc of added) batch.blobs.delete(loc.id);
      throw err;
    }
    batch.pieces.push(piece);
    for (const loc of added) batch.bytes += loc.length;
  }

  async drain(): Promise<void> {
    await this.#flush();
    await Promise.all(this.#tasks);
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = newBatch();
    if (batch.pieces.length > 0) await this.#send(batch, undefined);
  }

  /**
   * Starts a task; `posted` settles once it is handed to its worker (or has failed).
   * Pieces of one file pass the previous piece's `posted` as `after`: their pack reads
   * run in parallel, but they reach the worker in file order, so the piece that creates
   * (truncates) the file always runs before the pieces that write into it.
   */
  async #send(batch: Batch, sticky: number | undefined, after?: Promise<void>): Promise<{ posted: Promise<void> }> {
    while (this.#tasks.size >= this.#maxTasks) await Promise.race(this.#tasks);
    let markPosted = (): void => {};
    const posted = new Promise<void>((resolve) => (markPosted = resolve));
    const task = this.#readAndRun(batch, sticky, after, markPosted).catch((err: unknown) => {
      for (const p of batch.pieces) this.outcome.errors.push({ path: p.path, message: messageOf(err) });
    });
    const tracked = task.finally(() => {
      markPosted();
      this.#tasks.delete(tracked);
    });
    this.#tasks.add(tracked);
    return { posted };
  }

  async #readAndRun(batch: Batch, sticky: number | undefined, after: Promise<void> | undefined, markPosted: () => void): Promise<void> {
    const { ranges, unreadable } = await this.#readRanges([...batch.blobs.values()]);
    const pieces = this.#readable(batch, unreadable);
    const blobs = [...batch.blobs.values()].map(({ id, type, pack, offset, length, rawLength, compressed }) => ({ id, type, pack, offset, length, rawLength, compressed }));
    await after;
    if (pieces.length === 0) return;
    const task = { kind: 'restore' as const, ranges, blobs, pieces, ownership: this.#needsChown(pieces), ...(this.#umask !== undefined ? { umask: this.#umask } : {}) };
    const { done } = this.#pool.run(task, (msg) => {
      if (msg.kind !== 'restored') return;
      this.outcome.bytes += msg.bytes;
      this.outcome.errors.push(...msg.errors);
    }, sticky, ranges.flatMap((r) => ownedBuffer(r.data)));
    markPosted();
    await done;
  }

  /** Whether the worker must chown the task's files: some file would otherwise keep the wrong owner. */
  #needsChown(pieces: readonly RestorePiece[]): boolean {
    if (!this.#ownership) return false;
    const owner = this.#newFileOwner;
    if (!owner) return true;
    return pieces.some(({ meta }) => meta !== undefined && (meta.uid !== owner.uid || meta.gid !== owner.gid));
  }

  /** The pieces whose packs could be read; each other piece is an error naming the failed read. */
  #readable(batch: Batch, unreadable: ReadonlyMap<Id, string>): RestorePiece[] {
    if (unreadable.size === 0) return batch.pieces;
    return batch.pieces.filter((piece) => {
      const packs = piece.refs.map((ref) => (typeof ref === 'string' ? batch.blobs.get(ref)?.pack : undefined));
      const failure = packs.map((pack) => (pack === undefined ? undefined : unreadable.get(pack))).find((m) => m !== undefined);
      if (failure !== undefined) this.outcome.errors.push({ path: piece.path, message: failure });
      return failure === undefined;
    });
  }

  /** Reads the spans the blobs need; a span that cannot be read fails only the pieces that need it. */
  async #readRanges(blobs: BlobLocation[]): Promise<{ ranges: PackRange[]; unreadable: Map<Id, string> }> {
    const sorted = [...blobs].sort((a, b) => (a.pack < b.pack ? -1 : a.pack > b.pack ? 1 : a.offset - b.offset));
    const spans: Array<{ pack: Id; offset: number; end: number; blobs: BlobLocation[] }> = [];
    for (const b of sorted) {
      const last = spans.at(-1);
      if (last && last.pack === b.pack && b.offset <= last.end + this.#mergeGap) {
        last.end = Math.max(last.end, b.offset + b.length);
        last.blobs.push(b);
      } else {
        spans.push({ pack: b.pack, offset: b.offset, end: b.offset + b.length, blobs: [b] });
      }
    }
    const ranges: PackRange[] = [];
    const unreadable = new Map<Id, string>();
    await Promise.all(spans.map(async (s) => {
      try {
        ranges.push({ pack: s.pack, offset: s.offset, data: await this.#read(s.pack, s.offset, s.end - s.offset, s.blobs) });
      } catch (err) {
        unreadable.set(s.pack, messageOf(err));
      }
    }));
    return { ranges, unreadable };
  }
}

/** The range's memory, when it owns all of it (not a slice of a pooled buffer): move, don't copy. */
function ownedBuffer(data: Uint8Array): ArrayBuffer[] {
  const buf = data.buffer;
  return buf instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buf.byteLength ? [buf] : [];
}

function newBatch(): Batch {
  return { pieces: [], blobs: new Map(), bytes: 0 };
}

/**
 * Tasks read or written at once: two per worker keeps the workers busy on local disks;
 * remote storage needs more reads under way to hide each request's latency (half its
 * connections, at most 8 tasks of TASK_BYTES each).
 */
export function tasksInFlight(workers: number, concurrency: number | undefined): number {
  const local = 2 * workers;
  return concurrency === undefined ? local : Math.max(local, Math.min(8, Math.floor(concurrency / 2)));
}
