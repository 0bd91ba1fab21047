/**
 * The blobs the index files list, by pack, held compactly until `check --read-data`
 * reads each pack: 32 bytes of id and four 32-bit numbers a blob in typed arrays (the
 * index format's own widths), rather than a BlobLocation object and a 64-character id
 * string (~200 bytes of heap each, ~16 MB for a kernel tree's 80,000 blobs), filled straight
 * from the index files' bytes (`addEntry`). A pack's rows are let go once it is taken for reading.
 */
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../blob.ts';
import { newRawEntry, readRawEntry } from '../index/index-format.ts';

const FIELDS = 4;
const COMPRESSED = 1;
const TREE = 2;

interface PackRows {
  ids: Buffer;
  nums: Uint32Array;
  count: number;
}

export class PackBlobTable {
  readonly #packs = new Map<Id, PackRows>();

  readonly #entry = newRawEntry();

  /** Adds an index file's entry as `scanIndex` visits it, from its bytes. */
  addEntry(pack: Id, buf: Buffer, at: number): void {
    const e = readRawEntry(buf, at, this.#entry);
    let rows = this.#packs.get(pack);
    if (!rows) this.#packs.set(pack, (rows = { ids: Buffer.alloc(32 * 8), nums: new Uint32Array(FIELDS * 8), count: 0 }));
    if (rows.count * FIELDS === rows.nums.length) grow(rows);
    e.id.copy(rows.ids, rows.count * 32);
    const n = rows.count * FIELDS;
    rows.nums[n] = e.offset;
    rows.nums[n + 1] = e.length;
    rows.nums[n + 2] = e.rawLength;
    rows.nums[n + 3] = (e.compressed ? COMPRESSED : 0) | (e.type === 'tree' ? TREE : 0);
    rows.count++;
  }

  packs(): IterableIterator<Id> {
    return this.#packs.keys();
  }

  has(pack: Id): boolean {
    return this.#packs.has(pack);
  }

  /** The pack's blobs, the first location of each id, in the order the indexes listed them; the table forgets the pack. */
  take(pack: Id): BlobLocation[] {
    const rows = this.#packs.get(pack);
    if (!rows) return [];
    this.#packs.delete(pack);
    const seen = new Set<Id>();
    const out: BlobLocation[] = [];
    for (let i = 0; i < rows.count; i++) {
      const id = rows.ids.toString('hex', i * 32, i * 32 + 32);
      if (seen.has(id)) continue;
      seen.add(id);
      const [offset, length, rawLength, flags] = rows.nums.subarray(i * FIELDS, (i + 1) * FIELDS) as unknown as [number, number, number, number];
      out.push({ id, type: flags & TREE ? 'tree' : 'data', pack, offset, length, rawLength, compressed: (flags & COMPRESSED) !== 0 });
    }
    return out;
  }
}

function grow(rows: PackRows): void {
  const ids = Buffer.alloc(rows.ids.length * 2);
  rows.ids.copy(ids);
  const nums = new Uint32Array(rows.nums.length * 2);
  nums.set(rows.nums);
  rows.ids = ids;
  rows.nums = nums;
}
