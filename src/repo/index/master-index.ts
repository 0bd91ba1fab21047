/**
 * All blob locations known to an open repository, merged from every index file.
 *
 * Held compactly: one record of typed-array fields per blob (its 32 id bytes, pack
 * number, offset, lengths and type/flags) and an open-addressing table of record numbers
 * keyed by the id's first bytes, about 60 bytes a blob instead of a JavaScript object, two
 * hex strings and a Map entry (~250). A repository of a million blobs then costs ~60 MB
 * rather than ~250 MB, and the collector has almost nothing to trace. `get` builds a
 * `BlobLocation` on demand.
 */
import { releaseBuffer } from '../../core/buffers.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation, BlobType } from '../blob.ts';
import { newRawEntry, readRawEntry } from './index-format.ts';
import type { IndexEntryVisitor } from './index-format.ts';

/** Record fields in `#meta`: pack number, offset, length, raw length, type | compressed << 8. */
const META = 5;
const TYPE_CODE: Record<BlobType, number> = { data: 1, tree: 2 };

export class MasterIndex {
  #ids = new Uint8Array(0);
  #meta = new Uint32Array(0);
  #count = 0;
  /** Record number + 1 per slot; 0 is empty. */
  #table = new Int32Array(16);
  readonly #packNames: Id[] = [];
  readonly #packNumbers = new Map<Id, number>();
  /** Per pack number: the type codes of its blobs, or-ed. */
  #packTypes = new Uint8Array(64);
  readonly #key = Buffer.alloc(32);

  add(loc: BlobLocation): void {
    const key = this.#keyOf(loc.id);
    if (!key) throw new Error(`not a blob id: ${loc.id}`);
    this.#insert(key, loc.pack, loc);
  }

  /**
   * Adds every entry a scan visits (`scanIndex` of a file, `IndexBuilder.visit`) straight
   * from its bytes: loading a repository's index builds no location objects.
   */
  addScanned(scan: (visit: IndexEntryVisitor, reserve: (entries: number) => void) => void): void {
    const entry = newRawEntry();
    scan((pack, buf, at) => this.#insert(readRawEntry(buf, at, entry).id, pack, entry), (entries) => this.reserve(entries));
  }

  /**
   * Makes room for `entries` more blobs at once: one copy of the records and one table
   * instead of a step per quarter (loading a file's ~80,000 blobs otherwise left ~15 MB
   * of outgrown arrays for the collector).
   */
  reserve(entries: number): void {
    const want = this.#count + entries;
    if (want > this.#meta.length / META) this.#grow(want);
    let slots = this.#table.length;
    while (want * 2 > slots) slots *= 2;
    if (slots > this.#table.length) this.#rehash(slots);
  }

  #insert(key: Uint8Array, packId: Id, loc: Omit<BlobLocation, 'id' | 'pack'>): void {
    const slot = this.#find(key);
    if (this.#table[slot] !== 0) return;
    const pack = this.#packNumber(packId);
    if (this.#count === this.#meta.length / META) this.#grow(this.#count + 1);
    const n = this.#count++;
    this.#ids.set(key, n * 32);
    const m = n * META;
    this.#meta[m] = pack;
    this.#meta[m + 1] = loc.offset;
    this.#meta[m + 2] = loc.length;
    this.#meta[m + 3] = loc.rawLength;
    this.#meta[m + 4] = TYPE_CODE[loc.type] | (loc.compressed ? 0x100 : 0);
    this.#packTypes[pack] = (this.#packTypes[pack] as number) | TYPE_CODE[loc.type];
    this.#table[slot] = n + 1;
    if (this.#count * 2 > this.#table.length) this.#rehash(this.#table.length * 2);
  }

  addAll(locs: Iterable<BlobLocation>): void {
    for (const loc of locs) this.add(loc);
  }

  has(id: Id, type?: BlobType): boolean {
    const n = this.#record(id);
    return n >= 0 && (type === undefined || ((this.#meta[n * META + 4] as number) & 0xff) === TYPE_CODE[type]);
  }

  get(id: Id): BlobLocation | undefined {
    const n = this.#record(id);
    return n < 0 ? undefined : this.#location(n, id);
  }

  get size(): number {
    return this.#count;
  }

  *blobs(): IterableIterator<BlobLocation> {
    for (let n = 0; n < this.#count; n++) yield this.#location(n, Buffer.from(this.#ids.buffer, n * 32, 32).toString('hex'));
  }

  /** The 32-byte ids of the blobs of one type (views of the index's own memory: do not keep). */
  *idBytes(type: BlobType): IterableIterator<Uint8Array> {
    const code = TYPE_CODE[type];
    for (let n = 0; n < this.#count; n++) {
      if (((this.#meta[n * META + 4] as number) & 0xff) === code) yield this.#ids.subarray(n * 32, n * 32 + 32);
    }
  }

  /** How many blobs of one type the index holds. */
  count(type: BlobType): number {
    let c = 0;
    const code = TYPE_CODE[type];
    for (let n = 0; n < this.#count; n++) if (((this.#meta[n * META + 4] as number) & 0xff) === code) c++;
    return c;
  }

  packs(): IterableIterator<Id> {
    return this.#packNames.values();
  }

  hasPack(pack: Id): boolean {
    return this.#packNumbers.has(pack);
  }

  /** Whether every indexed blob of the pack is a tree (a tree pack: see docs/repository-format.md §8). */
  isTreePack(pack: Id): boolean {
    const n = this.#packNumbers.get(pack);
    return n !== undefined && this.#packTypes[n] === TYPE_CODE.tree;
  }

  #location(n: number, id: Id): BlobLocation {
    const m = n * META;
    const flags = this.#meta[m + 4] as number;
    return {
      id,
      type: (flags & 0xff) === 2 ? 'tree' : 'data',
      pack: this.#packNames[this.#meta[m] as number] as Id,
      offset: this.#meta[m + 1] as number,
      length: this.#meta[m + 2] as number,
      rawLength: this.#meta[m + 3] as number,
      compressed: (flags & 0x100) !== 0,
    };
  }

  #packNumber(pack: Id): number {
    let n = this.#packNumbers.get(pack);
    if (n === undefined) {
      n = this.#packNames.length;
      this.#packNames.push(pack);
      this.#packNumbers.set(pack, n);
      if (n >= this.#packTypes.length) {
        const grown = new Uint8Array(this.#packTypes.length * 2);
        grown.set(this.#packTypes);
        this.#packTypes = grown;
      }
    }
    return n;
  }

  /** The id's bytes in a scratch buffer (valid until the next call); undefined for a malformed id. */
  #keyOf(id: Id): Buffer | undefined {
    return id.length === 64 && this.#key.write(id, 'hex') === 32 ? this.#key : undefined;
  }

  #record(id: Id): number {
    const key = this.#keyOf(id);
    return key ? (this.#table[this.#find(key)] as number) - 1 : -1;
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  #find(key: Uint8Array): number {
    const mask = this.#table.length - 1;
    let slot = ((key[0] as number) | ((key[1] as number) << 8) | ((key[2] as number) << 16) | ((key[3] as number) << 24)) & mask;
    for (;;) {
      const entry = this.#table[slot] as number;
      if (entry === 0 || this.#equals(entry - 1, key)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #equals(n: number, key: Uint8Array): boolean {
    const ids = this.#ids;
    const at = n * 32;
    for (let i = 0; i < 32; i++) if (ids[at + i] !== key[i]) return false;
    return true;
  }

  /**
   * Room for at least `records`, and a quarter more than now: at most a fifth of the
   * records' memory stands empty (doubling left up to half, ~2.5 MB of a kernel tree's 7).
   * The outgrown arrays are freed at once (nothing keeps views of them, see `idBytes`).
   */
  #grow(records: number): void {
    const size = Math.max(1024, records, Math.ceil((this.#meta.length / META) * 1.25));
    const ids = new Uint8Array(size * 32);
    ids.set(this.#ids);
    const meta = new Uint32Array(size * META);
    meta.set(this.#meta);
    releaseArray(this.#ids);
    releaseArray(this.#meta);
    this.#ids = ids;
    this.#meta = meta;
  }

  #rehash(slots: number): void {
    releaseArray(this.#table);
    this.#table = new Int32Array(slots);
    for (let n = 0; n < this.#count; n++) {
      const slot = this.#find(this.#ids.subarray(n * 32, n * 32 + 32));
      this.#table[slot] = n + 1;
    }
  }
}

/** Frees a typed array the index has outgrown (see core/buffers.ts). */
function releaseArray(array: Uint8Array | Uint32Array | Int32Array): void {
  releaseBuffer(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}
