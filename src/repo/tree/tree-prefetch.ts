/**
 * Loads tree blobs ahead of a depth-first walk. A walker that has just read a directory
 * names the subtrees it will visit (`prefetch`); they are read in the background, a few
 * reads at a time, while it works, and `get` then finds them ready.
 *
 * - Trees of one `prefetch` call that lie close together in a pack (gaps up to
 *   `MERGE_GAP`) are fetched with one ranged read: a backup stores sibling directories'
 *   trees near each other, so this saves most of the small reads.
 * - Reads run last-in first-out, the order a depth-first walk needs them in: a
 *   directory's children come before its parent's later siblings.
 * - With `expand`, a prefetched tree is decoded as soon as it arrives and the subtrees
 *   `expand` picks from it are prefetched in turn (while fewer than half of `maxHeld`
 *   trees are held), so the reads run ahead of the walk instead of one level deep.
 * - At most `maxHeld` trees are held (queued, read or decoded); past that the oldest are
 *   dropped and simply loaded again if asked for. A tree that is prefetched but never
 *   asked for therefore costs nothing lasting.
 *
 * Trees fail exactly as `Repository.loadBlob` + `decodeTree` would.
 */
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../blob.ts';
import type { Repository } from '../repository.ts';
import { decodeTree } from './tree.ts';
import type { TreeNode } from './tree.ts';

const MERGE_GAP = 64 << 10;
const MAX_READ = 1 << 20;

export interface TreePrefetchOptions {
  /** Reads running at once (default 8). */
  readonly maxInFlight?: number;
  /** Trees held before the oldest are dropped (default 1024). */
  readonly maxHeld?: number;
  /** The subtrees of an arrived tree to read ahead (default: none). */
  readonly expand?: (nodes: readonly TreeNode[]) => Id[];
}

interface Read {
  readonly pack: Id;
  readonly offset: number;
  length: number;
  entries: Held[];
  /** Held trees that still wait for this read; at 0 its bytes and trees are let go. */
  waiting: number;
  bytes?: Promise<Buffer> | undefined;
}

interface Held {
  readonly loc: BlobLocation;
  readonly read: Read;
  decoded?: { nodes: TreeNode[] } | { error: unknown };
}

export class TreePrefetcher {
  readonly #repo: Repository;
  readonly #maxInFlight: number;
  readonly #maxHeld: number;
  readonly #expand: ((nodes: readonly TreeNode[]) => Id[]) | undefined;
  /** Prefetched trees not yet handed out, oldest first. */
  readonly #held = new Map<Id, Held>();
  /** Reads not started, the most urgent last. */
  readonly #queue: Read[] = [];
  #inFlight = 0;

  constructor(repo: Repository, opts: TreePrefetchOptions = {}) {
    this.#repo = repo;
    this.#maxInFlight = opts.maxInFlight ?? 8;
    this.#maxHeld = opts.maxHeld ?? 1024;
    this.#expand = opts.expand;
  }

  /** The tree's nodes, from the prefetched read when there is one (handed out once), else loaded now. */
  async get(id: Id): Promise<TreeNode[]> {
    const held = this.#held.get(id);
    if (!held) return decodeTree(await this.#repo.loadBlob(id, 'tree'), id).nodes;
    const bytes = held.read.bytes ?? this.#start(held.read);
    this.#drop(id, held);
    const data = await bytes;
    const decoded = held.decoded ?? this.#decode(held, data);
    held.decoded = undefined;
    if ('error' in decoded) throw decoded.error;
    return decoded.nodes;
  }

  /** Queues loads of `ids`, given in the order the walk will need them. */
  prefetch(ids: readonly Id[]): void {
    const reads = this.#plan(ids);
    for (let i = reads.length - 1; i >= 0; i--) this.#queue.push(reads[i] as Read);
    this.#evict();
    this.#pump();
  }

  /** Groups the trees into reads: by pack, by offset, merging small gaps. */
  #plan(ids: readonly Id[]): Read[] {
    const locs: BlobLocation[] = [];
    for (const id of new Set(ids)) {
      const loc = this.#repo.index.get(id);
      if (loc?.type === 'tree' && !this.#held.has(id)) locs.push(loc);
    }
    locs.sort((a, b) => (a.pack < b.pack ? -1 : a.pack > b.pack ? 1 : a.offset - b.offset));
    const reads: Read[] = [];
    let last: Read | undefined;
    for (const loc of locs) {
      const end = loc.offset + loc.length;
      if (last && last.pack === loc.pack && loc.offset - (last.offset + last.length) <= MERGE_GAP && end - last.offset <= MAX_READ) {
        last.length = Math.max(last.length, end - last.offset);
      } else {
        reads.push((last = { pack: loc.pack, offset: loc.offset, length: loc.length, entries: [], waiting: 0 }));
      }
      const held: Held = { loc, read: last };
      last.entries.push(held);
      last.waiting++;
      this.#held.set(loc.id, held);
    }
    return reads;
  }

  #start(read: Read): Promise<Buffer> {
    this.#inFlight++;
    const bytes = this.#repo.storage.get({ type: 'data', name: read.pack }, { offset: read.offset, length: read.length });
    read.bytes = bytes;
    bytes.then((data) => this.#arrived(read, data), () => {}).finally(() => {
      this.#inFlight--;
      this.#pump();
    }).catch(() => {});
    return bytes;
  }

  /** Decodes the arrived trees still held and reads ahead below them (see `expand`). */
  #arrived(read: Read, data: Buffer): void {
    if (!this.#expand) return;
    for (let i = read.entries.length - 1; i >= 0; i--) {
      const held = read.entries[i] as Held;
      if (this.#held.get(held.loc.id) !== held) continue;
      const decoded = this.#decode(held, data);
      if ('nodes' in decoded && this.#held.size < this.#maxHeld / 2) this.prefetch(this.#expand(decoded.nodes));
    }
  }

  #decode(held: Held, data: Buffer): NonNullable<Held['decoded']> {
    const at = held.loc.offset - held.read.offset;
    try {
      held.decoded = { nodes: decodeTree(this.#repo.decodeBlob(held.loc, data.subarray(at, at + held.loc.length)), held.loc.id).nodes };
    } catch (error) {
      held.decoded = { error };
    }
    return held.decoded;
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const read = this.#queue.pop() as Read;
      if (!read.bytes && read.waiting > 0) void this.#start(read);
    }
  }

  #drop(id: Id, held: Held): void {
    this.#held.delete(id);
    const read = held.read;
    if (--read.waiting > 0) return;
    read.entries = [];
    read.bytes = undefined;
  }

  #evict(): void {
    for (const [id, held] of this.#held) {
      if (this.#held.size <= this.#maxHeld) return;
      this.#drop(id, held);
    }
  }
}
