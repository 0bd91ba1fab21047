/**
 * Small in-memory files as one snapshot, and back: what the operator stores for the
 * Kubernetes objects of a backup (one JSON file per object under a folder layout of its
 * choosing) and reads back for a restore. The files go through the same chunking,
 * dedup, compression and encryption as any backup, on the calling thread (they are
 * small), so an unchanged object costs nothing in the next backup.
 */
import { hostname as osHostname } from 'node:os';
import type { Clock } from '../../core/clock.ts';
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import { BlobSealer } from '../../repo/blob-sealer.ts';
import { Chunker, chunkAll, gearTable } from '../../repo/chunker/fastcdc.ts';
import { acquireLock } from '../../repo/lock/lock.ts';
import { PackSink } from '../../repo/pack/pack-sink.ts';
import type { Repository } from '../../repo/repository.ts';
import { safeUsername } from '../../repo/repository.ts';
import { loadSnapshot, saveSnapshot } from '../../repo/snapshot/snapshot-store.ts';
import type { SnapshotManifest } from '../../repo/snapshot/snapshot.ts';
import { contentIds, decodeTree, encodeTree, type TreeNode } from '../../repo/tree/tree.ts';
import { fetchBlobs } from '../blob-fetcher.ts';

export interface ArchiveEntry {
  /** Relative, `/`-separated, e.g. `resources/deployments.apps/namespaces/shop/web.json`. */
  readonly path: string;
  readonly data: Buffer;
}

/**
 * Every node gets this modification time (the Unix epoch): the snapshot time is in the
 * manifest, and equal content then gives equal trees, so unchanged folders dedup.
 */
const FIXED_MTIME_MS = 0;

export interface ArchiveOptions {
  readonly clock: Clock;
  /** The snapshot's one path, e.g. `/kubernetes/shop`. */
  readonly root: string;
  readonly tags?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly hostname?: string;
}

interface Folder {
  readonly files: Map<string, Buffer>;
  readonly folders: Map<string, Folder>;
}

const emptyFolder = (): Folder => ({ files: new Map(), folders: new Map() });

export async function archiveEntries(repo: Repository, entries: readonly ArchiveEntry[], opts: ArchiveOptions): Promise<{ id: Id; manifest: SnapshotManifest }> {
  const lock = await acquireLock(repo, { exclusive: false, clock: opts.clock });
  try {
    if (repo.index.size === 0) await repo.loadIndex();
    const writer = new EntryWriter(repo);
    let tree: Id;
    try {
      tree = await writer.folder(toFolders(entries));
      await writer.sink.flush();
    } finally {
      writer.sink.abandon();
    }
    const manifest: SnapshotManifest = {
      version: 1,
      time: opts.clock.now().toISOString(),
      hostname: opts.hostname ?? osHostname(),
      username: safeUsername(),
      kind: 'resources',
      paths: [opts.root],
      tree,
      tags: [...(opts.tags ?? [])],
      labels: { ...(opts.labels ?? {}) },
      program: 'holdfast 0.1.0',
      summary: { ...writer.counts, blobsNew: writer.sink.stats.blobs, bytesNew: writer.sink.stats.rawBytes, bytesStored: writer.sink.stats.storedBytes, errors: 0, durationMs: 0 },
    };
    return { id: await saveSnapshot(repo, manifest), manifest };
  } finally {
    await lock.release();
  }
}

/** Every file of a snapshot with its path relative to the snapshot's root, in path order. */
export async function readEntries(repo: Repository, snapshotId: Id): Promise<ArchiveEntry[]> {
  if (repo.index.size === 0) await repo.loadIndex();
  const snapshot = await loadSnapshot(repo, snapshotId);
  const files: Array<{ path: string; ids: Id[] }> = [];
  const walk = async (treeId: Id, prefix: string): Promise<void> => {
    for (const node of decodeTree(await repo.loadBlob(treeId, 'tree'), treeId).nodes) {
      const path = prefix === '' ? node.name : `${prefix}/${node.name}`;
      if (node.type === 'dir' && node.subtree) await walk(node.subtree, path);
      else if (node.type === 'file') files.push({ path, ids: contentIds(node) });
    }
  };
  await walk(snapshot.tree, '');
  const wanted = new Set(files.flatMap((f) => f.ids));
  const plain = new Map<Id, Buffer>();
  for await (const b of fetchBlobs(repo, [...wanted].map((id) => locate(repo, id)))) plain.set(b.loc.id, b.plain);
  return files.map((f) => ({ path: f.path, data: Buffer.concat(f.ids.map((id) => plain.get(id) ?? Buffer.alloc(0))) }));
}

function locate(repo: Repository, id: Id) {
  const loc = repo.index.get(id);
  if (!loc || loc.type !== 'data') throw new HoldfastError('REPO_CORRUPT', `data blob ${id} is not in any index of ${repo.storage.location}`);
  return loc;
}

function toFolders(entries: readonly ArchiveEntry[]): Folder {
  const root = emptyFolder();
  for (const e of entries) {
    const parts = e.path.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new HoldfastError('INTERNAL', `invalid archive path '${e.path}'`);
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (!next) folder.folders.set(part, (next = emptyFolder()));
      folder = next;
    }
    folder.files.set(parts.at(-1) as string, e.data);
  }
  return root;
}

class EntryWriter {
  readonly sink: PackSink;
  readonly counts = { files: 0, dirs: 0, filesChanged: 0, filesUnchanged: 0, bytesRead: 0, bytesTotal: 0 };
  readonly #repo: Repository;
  readonly #sealer: BlobSealer;
  readonly #chunker: Chunker;
  constructor(repo: Repository) {
    this.#repo = repo;
    this.sink = new PackSink(repo);
    this.#sealer = new BlobSealer(repo.key, repo.config.compression);
    this.#chunker = new Chunker(repo.config.chunker.default, gearTable(repo.key.chunkerSeed));
  }

  async folder(f: Folder): Promise<Id> {
    const nodes: TreeNode[] = [];
    for (const [name, sub] of f.folders) {
      this.counts.dirs++;
      nodes.push({ ...this.#meta(name, 'dir', 0o755, 0), subtree: await this.folder(sub) });
    }
    for (const [name, data] of f.files) nodes.push({ ...this.#meta(name, 'file', 0o644, data.byteLength), content: await this.#file(data) });
    return this.#store(encodeTree(nodes), 'tree');
  }

  async #file(data: Buffer): Promise<Id[]> {
    this.counts.files++;
    this.counts.filesChanged++;
    this.counts.bytesRead += data.byteLength;
    this.counts.bytesTotal += data.byteLength;
    const ids: Id[] = [];
    for (const [start, end] of chunkAll(data, this.#chunker)) ids.push(await this.#store(data.subarray(start, end), 'data'));
    return ids;
  }

  async #store(plain: Buffer, type: 'data' | 'tree'): Promise<Id> {
    const r = this.#sealer.seal(plain, type);
    if (r.sealed && !this.#repo.index.has(r.id)) await this.sink.add({ id: r.id, type, rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
    return r.id;
  }

  #meta(name: string, type: 'dir' | 'file', mode: number, size: number): TreeNode {
    return { name, type, mode, uid: 0, gid: 0, mtime: FIXED_MTIME_MS, ctime: FIXED_MTIME_MS, inode: 0, dev: 0, links: 1, size };
  }
}
