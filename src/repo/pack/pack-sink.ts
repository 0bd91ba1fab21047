/**
 * PackSink collects sealed blobs into packs of about `packSize` bytes, stores each pack
 * as it fills (a bounded number of uploads at once), and on `flush` writes an index file
 * for what it stored. Packs first, index after: a crash leaves at most unindexed packs,
 * which `check` reports as unreferenced and `prune` removes.
 */
import type { Id } from '../../core/ids.ts';
import type { BlobLocation, SealedBlob } from '../blob.ts';
import { contentHash } from '../crypto/keyed-hash.ts';
import { seal } from '../crypto/aead.ts';
import { encodeIndex } from '../index/index-format.ts';
import type { Repository } from '../repository.ts';
import { PACK_HEADER_AAD, PACK_TRAILER_SIZE, encodePackHeader, locateEntries } from './pack-format.ts';

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

export class PackSink {
  readonly #repo: Repository;
  readonly #maxUploads: number;
  readonly #writeIndex: boolean;
  readonly #seen = new Set<Id>();
  #open: SealedBlob[] = [];
  #openBytes = 0;
  readonly #uploads = new Set<Promise<void>>();
  #failure: unknown = undefined;
  #unindexed: BlobLocation[] = [];
  readonly stats: PackSinkStats = { packs: 0, blobs: 0, storedBytes: 0, rawBytes: 0, indexFiles: 0 };

  /** With `writeIndex: false` the caller indexes what `written()` returns (prune does). */
  constructor(repo: Repository, opts: { maxUploads?: number; writeIndex?: boolean } = {}) {
    this.#repo = repo;
    this.#maxUploads = opts.maxUploads ?? 2;
    this.#writeIndex = opts.writeIndex ?? true;
  }

  /** True when the blob is already stored, or was handed to this sink. */
  has(id: Id): boolean {
    return this.#seen.has(id) || this.#repo.index.has(id);
  }

  /** Adds a blob unless it is a duplicate; returns whether it was new. */
  async add(blob: SealedBlob, opts: { force?: boolean } = {}): Promise<boolean> {
    this.#throwIfFailed();
    if (opts.force ? this.#seen.has(blob.id) : this.has(blob.id)) return false;
    this.#seen.add(blob.id);
    this.#open.push(blob);
    this.#openBytes += blob.sealed.byteLength;
    this.stats.blobs++;
    this.stats.rawBytes += blob.rawLength;
    if (this.#openBytes >= this.#repo.config.packSize) await this.#finishPack();
    return true;
  }

  /** Stores the open pack, waits for every upload, and writes the index for them. */
  async flush(): Promise<void> {
    if (this.#open.length > 0) await this.#finishPack();
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
    this.#throwIfFailed();
    if (this.#writeIndex) await this.#flushIndex();
  }

  /** Locations stored but not indexed by this sink. */
  written(): BlobLocation[] {
    return [...this.#unindexed];
  }

  async #finishPack(): Promise<void> {
    const blobs = this.#open;
    this.#open = [];
    this.#openBytes = 0;
    while (this.#uploads.size >= this.#maxUploads) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    const upload = this.#storePack(blobs).catch((err: unknown) => {
      this.#failure ??= err;
    });
    this.#uploads.add(upload);
    void upload.finally(() => this.#uploads.delete(upload));
  }

  async #storePack(blobs: SealedBlob[]): Promise<void> {
    const header = seal(this.#repo.key.encKey, encodePackHeader(blobs.map(toEntry)), PACK_HEADER_AAD);
    let dataBytes = 0;
    for (const b of blobs) dataBytes += b.sealed.byteLength;
    const pack = Buffer.allocUnsafe(dataBytes + header.byteLength + PACK_TRAILER_SIZE);
    let at = 0;
    for (const b of blobs) {
      pack.set(b.sealed, at);
      at += b.sealed.byteLength;
    }
    header.copy(pack, at);
    pack.writeUInt32LE(header.byteLength, at + header.byteLength);
    const name = contentHash(pack).toString('hex');
    await this.#repo.storage.put({ type: 'data', name }, pack);
    this.stats.packs++;
    this.stats.storedBytes += pack.byteLength;
    this.#unindexed.push(...locateEntries(name, blobs.map(toEntry), dataBytes, name));
    if (this.#writeIndex && this.#unindexed.length >= INDEX_FLUSH_ENTRIES) await this.#flushIndex();
  }

  async #flushIndex(): Promise<void> {
    if (this.#unindexed.length === 0) return;
    const locations = this.#unindexed;
    this.#unindexed = [];
    await this.#repo.saveObject('index', encodeIndex(locations));
    this.#repo.index.addAll(locations);
    this.stats.indexFiles++;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

function toEntry(b: SealedBlob) {
  return { id: b.id, type: b.type, length: b.sealed.byteLength, rawLength: b.rawLength, compressed: b.compressed };
}
