/**
 * PackSink collects sealed blobs into packs of about `packSize` bytes, stores each pack
 * as it fills (a bounded number of uploads at once), and on `flush` writes an index file
 * for what it stored. Packs first, index after: a crash leaves at most unindexed packs,
 * which `check` reports as unreferenced and `prune` removes.
 *
 * Where the storage can take a file (`Storage.files`: local disks, S3), a pack is
 * assembled in a file (FilePack) and never held in memory; otherwise in a pooled buffer.
 */
import { rmSync } from 'node:fs';
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation, BlobType, SealedBlob } from '../blob.ts';
import { contentHash } from '../crypto/keyed-hash.ts';
import { IndexBuilder } from '../index/index-format.ts';
import type { Repository } from '../repository.ts';
import type { FileSource } from '../../backend/storage.ts';
import type { PackEntry } from './pack-format.ts';
import { PackBufferPool, PackBuilder } from './pack-builder.ts';
import { FilePack } from './pack-file.ts';

/** A pack being filled, in memory or in a file. */
type OpenPack = PackBuilder | FilePack;

/** A pack assembled elsewhere (a worker thread), complete with header: in a file or in memory. */
export interface FinishedPack {
  readonly name: Id;
  readonly size: number;
  readonly entries: readonly PackEntry[];
  /** Bytes of sealed blobs (where the header starts). */
  readonly blobBytes: number;
  readonly path?: string;
  readonly bytes?: Uint8Array;
}

const INDEX_FLUSH_ENTRIES = 50_000;

export interface PackSinkStats {
  packs: number;
  blobs: number;
  /** Bytes stored in packs (sealed blobs + headers). */
  storedBytes: number;
  /** Plaintext bytes of the new blobs. */
  rawBytes: number;
  indexFiles: number;
}

export interface PackSinkOptions {
  /** Packs stored at once (default: from the storage's concurrency, see `uploadsFor`). */
  readonly maxUploads?: number;
  /** With `false` the caller indexes what `written()` returns (prune does). */
  readonly writeIndex?: boolean;
}

/** A tree pack's buffer starts small and grows: trees are few and small next to data. */
const TREE_PACK_START = 256 << 10;
/** Slack above `packSize` in a pooled pack buffer: the blob that fills a pack overshoots it. */
const PACK_SLACK = 2 << 20;

export class PackSink {
  readonly #repo: Repository;
  readonly #maxUploads: number;
  readonly #writeIndex: boolean;
  readonly #seen = new Set<Id>();
  readonly #pool: PackBufferPool;
  readonly #files: FileSource | undefined;
  readonly #open = new Map<BlobType, OpenPack>();
  readonly #uploads = new Set<Promise<void>>();
  #failure: unknown = undefined;
  #unindexed = new IndexBuilder();
  readonly stats: PackSinkStats = { packs: 0, blobs: 0, storedBytes: 0, rawBytes: 0, indexFiles: 0 };

  constructor(repo: Repository, opts: PackSinkOptions = {}) {
    this.#repo = repo;
    this.#maxUploads = opts.maxUploads ?? uploadsFor(repo.storage.concurrency);
    this.#writeIndex = opts.writeIndex ?? true;
    this.#pool = new PackBufferPool(repo.config.packSize + PACK_SLACK, this.#maxUploads);
    this.#files = repo.storage.files;
  }

  /** True when the blob is already stored, or was handed to this sink. */
  has(id: Id): boolean {
    return this.#seen.has(id) || this.#repo.index.has(id);
  }

  /**
   * Adds a blob unless it is a duplicate; returns whether it was new. Its bytes are
   * copied into the open pack of its type (trees and data go to separate packs), so the
   * caller's buffer may be reused once this returns.
   */
  async add(blob: SealedBlob, opts: { force?: boolean } = {}): Promise<boolean> {
    this.#throwIfFailed();
    if (opts.force ? this.#seen.has(blob.id) : this.has(blob.id)) return false;
    this.#seen.add(blob.id);
    await this.addClaimed(blob);
    return true;
  }

  /**
   * Adds a blob the caller found new in its own record of what it stored (a ClaimSet): the
   * sink neither checks nor remembers its id. Its bytes are copied before this returns; a
   * promise comes back only when the blob filled the pack (resolved once its upload started).
   */
  addClaimed(blob: SealedBlob): Promise<void> | undefined {
    this.#throwIfFailed();
    let pack = this.#open.get(blob.type);
    if (!pack) this.#open.set(blob.type, (pack = this.#newPack(blob.type)));
    pack.add(blob);
    this.stats.blobs++;
    this.stats.rawBytes += blob.rawLength;
    return pack.bytes >= this.#repo.config.packSize ? this.#finishPack(blob.type) : undefined;
  }

  /**
   * Stores a pack finished elsewhere as the sink stores its own (bounded uploads, indexed
   * on `flush`). Resolves once its upload has started; its file is removed once stored.
   */
  async adopt(pack: FinishedPack): Promise<void> {
    await this.#uploadSlot();
    this.stats.blobs += pack.entries.length;
    for (const e of pack.entries) this.stats.rawBytes += e.rawLength;
    this.#track(this.#storeFinished(pack));
  }

  /** Stores the open packs, waits for every upload, and writes the index for them. */
  async flush(): Promise<void> {
    for (const type of [...this.#open.keys()]) await this.#finishPack(type);
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
    this.#throwIfFailed();
    if (this.#writeIndex) await this.#flushIndex();
  }

  /**
   * Gives up on the packs still open, for a writer that failed or stopped: their files
   * are removed (their blobs were never stored). After `flush` there are none.
   */
  abandon(): void {
    for (const pack of this.#open.values()) if (pack instanceof FilePack) pack.discard();
    this.#open.clear();
  }

  /** Locations stored but not indexed by this sink. */
  written(): BlobLocation[] {
    return this.#unindexed.locations();
  }

  async #finishPack(type: BlobType): Promise<void> {
    const pack = this.#open.get(type);
    if (!pack) return;
    this.#open.delete(type);
    await this.#uploadSlot();
    this.#track(this.#storePack(pack));
  }

  async #uploadSlot(): Promise<void> {
    this.#throwIfFailed();
    while (this.#uploads.size >= this.#maxUploads) await Promise.race(this.#uploads);
    this.#throwIfFailed();
  }

  #track(store: Promise<void>): void {
    const upload = store.catch((err: unknown) => {
      this.#failure ??= err;
    });
    this.#uploads.add(upload);
    void upload.finally(() => this.#uploads.delete(upload));
  }

  async #storeFinished(pack: FinishedPack): Promise<void> {
    try {
      if (pack.path !== undefined) await this.#filesOrFail().putFile({ type: 'data', name: pack.name }, pack.path, pack.size);
      else if (pack.bytes !== undefined) await this.#repo.storage.put({ type: 'data', name: pack.name }, pack.bytes);
      else throw new HoldfastError('INTERNAL', `pack ${pack.name} came with neither a file nor its bytes`);
    } finally {
      if (pack.path !== undefined) rmSync(pack.path, { force: true });
    }
    this.stats.packs++;
    this.stats.storedBytes += pack.size;
    await this.#indexPack(pack.name, pack.entries, pack.blobBytes);
  }

  #filesOrFail(): FileSource {
    if (!this.#files) throw new HoldfastError('INTERNAL', 'a pack was assembled in a file but the storage takes no files');
    return this.#files;
  }

  #newPack(type: BlobType): OpenPack {
    if (this.#files) return new FilePack(this.#files.tempPath());
    return new PackBuilder(type === 'tree' ? Buffer.allocUnsafeSlow(TREE_PACK_START) : this.#pool.take());
  }

  async #storePack(pack: OpenPack): Promise<void> {
    const { name, size } = pack instanceof FilePack ? await this.#storeFile(pack) : await this.#storeBuffer(pack);
    this.stats.packs++;
    this.stats.storedBytes += size;
    await this.#indexPack(name, pack.entries, pack.bytes);
  }

  async #indexPack(name: Id, entries: readonly PackEntry[], blobBytes: number): Promise<void> {
    this.#indexLater(name, entries, blobBytes);
    if (this.#writeIndex && this.#unindexed.count >= INDEX_FLUSH_ENTRIES) await this.#flushIndex();
  }

  async #storeBuffer(pack: PackBuilder): Promise<{ name: Id; size: number }> {
    const bytes = pack.finish(this.#repo.key.encKey);
    const name = contentHash(bytes).toString('hex');
    try {
      await this.#repo.storage.put({ type: 'data', name }, bytes);
    } finally {
      this.#pool.give(pack.buffer);
    }
    return { name, size: bytes.byteLength };
  }

  async #storeFile(pack: FilePack): Promise<{ name: Id; size: number }> {
    try {
      const stored = pack.finish(this.#repo.key.encKey);
      await this.#filesOrFail().putFile({ type: 'data', name: stored.name }, pack.path, stored.size);
      return stored;
    } finally {
      pack.discard();
    }
  }

  #indexLater(name: Id, entries: readonly PackEntry[], blobBytes: number): void {
    this.#unindexed.addPack(name, entries, blobBytes);
  }

  async #flushIndex(): Promise<void> {
    if (this.#unindexed.count === 0) return;
    const index = this.#unindexed;
    this.#unindexed = new IndexBuilder();
    await this.#repo.saveObject('index', index.encode());
    this.#repo.index.addScanned((visit, reserve) => index.visit(visit, reserve));
    this.stats.indexFiles++;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

/**
 * Packs in upload at once, each holding a pack-sized buffer: 1 on local storage (writing
 * and syncing a pack takes a fraction of the time the next one takes to fill); on remote
 * storage a quarter of its connections (the rest serve reads), 2 to 4.
 */
export function uploadsFor(concurrency: number | undefined): number {
  return concurrency === undefined ? 1 : Math.min(4, Math.max(2, Math.floor(concurrency / 4)));
}
