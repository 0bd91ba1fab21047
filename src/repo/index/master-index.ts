/** All blob locations known to an open repository, merged from every index file. */
import type { Id } from '../../core/ids.ts';
import type { BlobLocation, BlobType } from '../blob.ts';

export class MasterIndex {
  readonly #blobs = new Map<Id, BlobLocation>();
  readonly #packs = new Map<Id, number>();

  add(loc: BlobLocation): void {
    if (!this.#blobs.has(loc.id)) this.#blobs.set(loc.id, loc);
    this.#packs.set(loc.pack, (this.#packs.get(loc.pack) ?? 0) + 1);
  }

  addAll(locs: Iterable<BlobLocation>): void {
    for (const loc of locs) this.add(loc);
  }

  has(id: Id, type?: BlobType): boolean {
    const loc = this.#blobs.get(id);
    return loc !== undefined && (type === undefined || loc.type === type);
  }

  get(id: Id): BlobLocation | undefined {
    return this.#blobs.get(id);
  }

  get size(): number {
    return this.#blobs.size;
  }

  blobs(): IterableIterator<BlobLocation> {
    return this.#blobs.values();
  }

  packs(): IterableIterator<Id> {
    return this.#packs.keys();
  }

  hasPack(pack: Id): boolean {
    return this.#packs.has(pack);
  }
}
