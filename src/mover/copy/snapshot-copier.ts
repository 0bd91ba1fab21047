/**
 * Copies snapshots between repositories (e.g. local disk → S3, one bucket → another
 * region), storing in the target only the blobs it lacks, sealed with the target's keys.
 *
 * Blob ids are keyed hashes, so two repositories agree on ids only when they share the id
 * key (a target made with `init --copy-params-from` does). Then copying is a set
 * difference: blobs the target already has are never read. Otherwise every data blob of
 * the snapshot is read and re-hashed under the target's key, and every tree is rewritten
 * with the new ids. Either way a snapshot is copied in two passes: walk its trees level by
 * level (reading each level in one batch), then fetch the needed data blobs grouped by
 * pack, and store the trees bottom-up.
 *
 * Idempotent and resumable: the target's snapshot records `original` (the first
 * snapshot's id), a snapshot already copied is skipped, and a copy cut short leaves
 * packs the next run reuses once indexed (the sink indexes as it goes).
 */
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import { BlobSealer } from '../../repo/blob-sealer.ts';
import type { BlobType } from '../../repo/blob.ts';
import { PackSink } from '../../repo/pack/pack-sink.ts';
import type { Repository } from '../../repo/repository.ts';
import { listSnapshots, saveSnapshot } from '../../repo/snapshot/snapshot-store.ts';
import type { Snapshot, SnapshotManifest } from '../../repo/snapshot/snapshot.ts';
import { contentIds, decodeTree, encodeTree, type TreeNode } from '../../repo/tree/tree.ts';
import { fetchBlobs } from '../blob-fetcher.ts';

export interface CopyOutcome {
  readonly source: Id;
  readonly target: Id;
  /** False when an earlier run had copied it already. */
  readonly copied: boolean;
}

export interface CopyStats {
  blobsRead: number;
  blobsStored: number;
  bytesStored: number;
}

export class SnapshotCopier {
  readonly stats: CopyStats = { blobsRead: 0, blobsStored: 0, bytesStored: 0 };
  readonly #src: Repository;
  readonly #dst: Repository;
  readonly #sameIds: boolean;
  readonly #sealer: BlobSealer;
  readonly #sink: PackSink;
  /** Source id → target id, for data blobs and trees seen in this run. */
  readonly #map = new Map<Id, Id>();

  constructor(src: Repository, dst: Repository) {
    this.#src = src;
    this.#dst = dst;
    this.#sameIds = src.key.idKey.equals(dst.key.idKey);
    this.#sealer = new BlobSealer(dst.key, dst.config.compression);
    this.#sink = new PackSink(dst);
  }

  /** Whether the repositories share blob ids (the fast path). */
  get sharesIds(): boolean {
    return this.#sameIds;
  }

  /** Copies each snapshot not yet in the target, oldest first so parents map. */
  async copy(snapshots: readonly Snapshot[], onSnapshot?: (o: CopyOutcome) => void): Promise<CopyOutcome[]> {
    const copies = new Map<Id, Id>();
    for (const s of await listSnapshots(this.#dst)) copies.set(s.original ?? s.id, s.id);
    const outcomes: CopyOutcome[] = [];
    try {
      for (const s of [...snapshots].sort((a, b) => a.time.localeCompare(b.time))) {
        const original = s.original ?? s.id;
        const existing = copies.get(original);
        const outcome = existing !== undefined ? { source: s.id, target: existing, copied: false } : { source: s.id, target: await this.#copyOne(s, copies), copied: true };
        copies.set(original, outcome.target);
        outcomes.push(outcome);
        onSnapshot?.(outcome);
      }
    } finally {
      this.#sink.abandon();
    }
    return outcomes;
  }

  async #copyOne(s: Snapshot, copies: Map<Id, Id>): Promise<Id> {
    const trees = await this.#readTrees(s.tree);
    await this.#copyData(trees);
    const tree = await this.#storeTree(s.tree, trees);
    await this.#sink.flush();
    const { id: _id, ...manifest } = s;
    const parent = s.parent === undefined ? undefined : copies.get(s.parent);
    const copied: SnapshotManifest = { ...manifest, tree, original: s.original ?? s.id };
    if (parent !== undefined) copied.parent = parent;
    else delete copied.parent;
    return saveSnapshot(this.#dst, copied);
  }

  /** Every tree under `root` not yet mapped, read level by level. */
  async #readTrees(root: Id): Promise<Map<Id, TreeNode[]>> {
    const trees = new Map<Id, TreeNode[]>();
    let level = this.#map.has(root) ? [] : [root];
    while (level.length > 0) {
      const next: Id[] = [];
      for await (const { loc, plain } of fetchBlobs(this.#src, level.map((id) => this.#locate(id, 'tree')))) {
        this.stats.blobsRead++;
        const nodes = decodeTree(plain, loc.id).nodes;
        trees.set(loc.id, nodes);
        for (const n of nodes) {
          if (n.subtree !== undefined && !this.#map.has(n.subtree) && !trees.has(n.subtree)) next.push(n.subtree);
        }
      }
      level = [...new Set(next)].filter((id) => !trees.has(id));
    }
    return trees;
  }

  async #copyData(trees: Map<Id, TreeNode[]>): Promise<void> {
    const wanted = new Set<Id>();
    for (const nodes of trees.values()) {
      for (const n of nodes) for (const id of contentIds(n)) if (!this.#map.has(id)) wanted.add(id);
    }
    const toRead: Id[] = [];
    for (const id of wanted) {
      if (this.#sameIds && this.#dst.index.has(id, 'data')) this.#map.set(id, id);
      else toRead.push(id);
    }
    for await (const { loc, plain } of fetchBlobs(this.#src, toRead.map((id) => this.#locate(id, 'data')))) {
      this.stats.blobsRead++;
      this.#map.set(loc.id, await this.#store(plain, 'data', loc.id));
    }
  }

  async #storeTree(id: Id, trees: Map<Id, TreeNode[]>): Promise<Id> {
    const known = this.#map.get(id);
    if (known !== undefined) return known;
    const nodes = trees.get(id);
    if (nodes === undefined) throw new HoldfastError('INTERNAL', `tree ${id} was not read before it was stored`);
    const rewritten: TreeNode[] = [];
    for (const n of nodes) {
      const out: TreeNode = { ...n };
      if (n.subtree !== undefined) out.subtree = await this.#storeTree(n.subtree, trees);
      if (n.content !== undefined) out.content = n.content.map((c) => (typeof c === 'string' ? this.#mapped(c) : c));
      rewritten.push(out);
    }
    // With shared ids an unchanged tree has the same id; one the target holds is not sealed again.
    const target = this.#sameIds && this.#dst.index.has(id, 'tree') ? id : await this.#store(encodeTree(rewritten), 'tree', id);
    this.#map.set(id, target);
    return target;
  }

  async #store(plain: Buffer, type: BlobType, sourceId: Id): Promise<Id> {
    const r = this.#sealer.seal(plain, type);
    if (this.#sameIds && r.id !== sourceId) {
      throw new HoldfastError('REPO_CORRUPT', `${type} ${sourceId} of ${this.#src.storage.location} hashes to ${r.id}: the blob does not match its id`);
    }
    if (r.sealed && !this.#dst.index.has(r.id)) {
      const added = await this.#sink.add({ id: r.id, type, rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
      if (added) {
        this.stats.blobsStored++;
        this.stats.bytesStored += r.sealed.byteLength;
      }
    }
    return r.id;
  }

  #mapped(id: Id): Id {
    const target = this.#map.get(id);
    if (target === undefined) throw new HoldfastError('INTERNAL', `data blob ${id} was not copied before its tree`);
    return target;
  }

  #locate(id: Id, type: BlobType) {
    const loc = this.#src.index.get(id);
    if (!loc || loc.type !== type) {
      throw new HoldfastError('REPO_CORRUPT', `${type} ${id} is not in any index of ${this.#src.storage.location}; run 'holdfast check' on the source`);
    }
    return loc;
  }
}
