/**
 * Pack reads of a restore from remote storage. A restore asks for many small ranges
 * (each task's blobs, a few MiB), in about the order the backup wrote them; on S3 each
 * would be a request. Here a range is cut from aligned blocks of `blockBytes` that are
 * fetched whole (one GET each; concurrent readers share it) and kept while they are
 * still needed, at most `maxBlocks` of them: a 16 MiB pack costs two or three requests
 * instead of one per task.
 *
 * Which blocks are still needed comes from a plan (a walk of the snapshot: the bytes each
 * block will serve), made while the restore starts. Once it is complete, a block is
 * dropped when it has served its last byte, and when one must make room, the block with
 * the fewest bytes still to serve goes; until then the least recently used one does. A block dropped with little left to serve is not fetched again: those
 * last blobs are read as exact ranges (stragglers: content used again far away in the
 * tree). Without the plan, least-recently-used blocks of steadily used packs (the new
 * pack of an incremental backup, needed all over the tree) were dropped and each later
 * use became a request of its own.
 *
 * Only for reading (nearly) everything: a partial restore would fetch whole blocks for a
 * few small files, so it reads exact ranges instead (`exactRanges`).
 */
import type { Id } from '../../core/ids.ts';
import type { StorageReader } from '../../backend/storage.ts';

/** A blob's place in its pack. */
export interface BlobSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * Reads `length` bytes of a pack from `offset` (fewer at the pack's end, as
 * `Storage.get`); `blobs` are the blobs the caller wants from the range.
 */
export type PackRangeReader = (pack: Id, offset: number, length: number, blobs: readonly BlobSpan[]) => Promise<Buffer>;

export function exactRanges(storage: StorageReader): PackRangeReader {
  return (pack, offset, length) => storage.get({ type: 'data', name: pack }, { offset, length });
}

/**
 * Measured on the bench's kernel tree after its incremental backup (257 MB in 17 data
 * packs, restored from a counting storage): 8 MiB blocks, 4 kept: 78 reads, 277 MB; 6
 * kept: 66 reads, 271 MB; 16 MiB blocks, 2 or 3 kept: 217 or 156 reads (a 16.8 MB pack
 * spans two of them). Without the plan (least recently used): 187 reads.
 */
const BLOCK_BYTES = 8 << 20;
const MAX_BLOCKS = 4;
/** A dropped block is fetched again only when at least this share of it is still to be read. */
const REFETCH_SHARE = 1 / 4;

/**
 * The bytes a restore will read from each block (every use of a blob counts). Reads may
 * be counted (`take`) before the blobs are added: the sums come out right once `complete`
 * is set, and until then every block counts as still needed.
 */
export class BlockPlan {
  readonly blockBytes: number;
  complete = false;
  readonly #left = new Map<string, number>();

  constructor(blockBytes = BLOCK_BYTES) {
    this.blockBytes = blockBytes;
  }

  add(pack: Id, blob: BlobSpan): void {
    this.#each(pack, blob, (key, bytes) => this.#left.set(key, (this.#left.get(key) ?? 0) + bytes));
  }

  /** Counts the blobs as read. */
  take(pack: Id, blobs: readonly BlobSpan[]): void {
    for (const blob of blobs) this.#each(pack, blob, (key, bytes) => this.#left.set(key, (this.#left.get(key) ?? 0) - bytes));
  }

  /** Bytes still to be read from the block (infinitely many while the plan is being made). */
  left(key: string): number {
    return this.complete ? (this.#left.get(key) ?? 0) : Number.POSITIVE_INFINITY;
  }

  /** Calls `fn` with each block the blob overlaps and the bytes of the overlap. */
  #each(pack: Id, blob: BlobSpan, fn: (key: string, bytes: number) => void): void {
    const end = blob.offset + blob.length;
    for (let index = Math.floor(blob.offset / this.blockBytes); index * this.blockBytes < end; index++) {
      const from = Math.max(blob.offset, index * this.blockBytes);
      fn(blockKey(pack, index), Math.min(end, (index + 1) * this.blockBytes) - from);
    }
  }
}

function blockKey(pack: Id, index: number): string {
  return `${pack}:${index}`;
}

export class PackBlockReader {
  readonly #storage: StorageReader;
  readonly #plan: BlockPlan;
  readonly #blockBytes: number;
  readonly #maxBlocks: number;
  /** Block key → its bytes, least recently used first. */
  readonly #blocks = new Map<string, Promise<Buffer>>();
  /** Every block fetched whole so far, kept or not. */
  readonly #fetched = new Set<string>();
  /** Requests made, for tests. */
  fetches = 0;

  constructor(storage: StorageReader, plan: BlockPlan, opts: { maxBlocks?: number } = {}) {
    this.#storage = storage;
    this.#plan = plan;
    this.#blockBytes = plan.blockBytes;
    this.#maxBlocks = opts.maxBlocks ?? MAX_BLOCKS;
  }

  /** A PackRangeReader over this reader's blocks: each range is a fresh buffer of its own. */
  readonly read: PackRangeReader = async (pack, offset, length, blobs) => {
    this.#plan.take(pack, blobs);
    const keys = this.#keys(pack, offset, length);
    if (keys.some((key) => this.#straggler(key))) {
      this.fetches++;
      return this.#storage.get({ type: 'data', name: pack }, { offset, length });
    }
    try {
      return await this.#cut(pack, offset, length);
    } finally {
      for (const key of keys) if (this.#plan.left(key) <= 0) this.#blocks.delete(key);
    }
  };

  async #cut(pack: Id, offset: number, length: number): Promise<Buffer> {
    const out = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    while (filled < length) {
      const at = offset + filled;
      const index = Math.floor(at / this.#blockBytes);
      const block = await this.#block(pack, index);
      const from = at - index * this.#blockBytes;
      const n = Math.min(length - filled, block.byteLength - from);
      if (n <= 0) break;
      block.copy(out, filled, from, from + n);
      filled += n;
      if (block.byteLength < this.#blockBytes) break;
    }
    return filled === length ? out : out.subarray(0, filled);
  }

  #keys(pack: Id, offset: number, length: number): string[] {
    const keys: string[] = [];
    const last = Math.floor((offset + Math.max(length, 1) - 1) / this.#blockBytes);
    for (let index = Math.floor(offset / this.#blockBytes); index <= last; index++) keys.push(blockKey(pack, index));
    return keys;
  }

  /** A block fetched before, dropped, and with too little left to be worth fetching again. */
  #straggler(key: string): boolean {
    return this.#fetched.has(key) && !this.#blocks.has(key) && this.#plan.left(key) < this.#blockBytes * REFETCH_SHARE;
  }

  #block(pack: Id, index: number): Promise<Buffer> {
    const key = blockKey(pack, index);
    let block = this.#blocks.get(key);
    if (block) {
      this.#blocks.delete(key);
      this.#blocks.set(key, block);
      return block;
    }
    this.fetches++;
    block = this.#storage.get({ type: 'data', name: pack }, { offset: index * this.#blockBytes, length: this.#blockBytes });
    this.#blocks.set(key, block);
    this.#fetched.add(key);
    block.catch(() => {
      if (this.#blocks.get(key) === block) this.#blocks.delete(key);
      this.#fetched.delete(key);
    });
    while (this.#blocks.size > this.#maxBlocks) this.#blocks.delete(this.#victim(key));
    return block;
  }

  /** The kept block with the fewest bytes left to serve (the least recently used of those), never `keep`. */
  #victim(keep: string): string {
    let victim: string | undefined;
    for (const key of this.#blocks.keys()) {
      if (key !== keep && (victim === undefined || this.#plan.left(key) < this.#plan.left(victim))) victim = key;
    }
    return victim ?? keep;
  }
}
