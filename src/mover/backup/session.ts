/**
 * A backup session: the shared machinery every source kind uses — workers, the pack
 * sink, tree saving, progress and error counting — and the final publication order:
 * packs, then index, then the snapshot manifest. Workers fill data packs themselves and
 * the sink stores and indexes them (`adopt`); trees are packed here.
 */
import type { Id } from '../../core/ids.ts';
import type { Clock } from '../../core/clock.ts';
import type { Repository } from '../../repo/repository.ts';
import { BlobIds } from '../../repo/blob-ids.ts';
import { BlobSealer } from '../../repo/blob-sealer.ts';
import { KnownIdSet } from '../../repo/index/known-set.ts';
import { PackSink } from '../../repo/pack/pack-sink.ts';
import { encodeTree } from '../../repo/tree/tree.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';
import { saveSnapshot } from '../../repo/snapshot/snapshot-store.ts';
import type { SnapshotManifest, SnapshotSummary } from '../../repo/snapshot/snapshot.ts';
import { WorkerPool } from '../worker/worker-pool.ts';
import type { ProgressSink } from '../progress.ts';
import { workerFiles, type FileRunner } from './file-runner.ts';
import { NativeChunkSealer } from './native-chunks.ts';
import { NativeFileSealer } from './native-files.ts';
import { SealedChunks, nativeSeal } from './native-sealing.ts';

export interface SessionOptions {
  readonly clock: Clock;
  /** Worker threads, or calls at once on libuv's pool (default: CPU count; natively at most 3, see native-files.ts). */
  readonly workers?: number;
  /** Start one worker and add more as the work needs them (WorkerPoolOptions.grow). */
  readonly growWorkers?: boolean;
  readonly progress?: ProgressSink;
  /**
   * Who reads and seals files and streams: the addon on libuv's pool where it is built
   * ('native', the default, ADR 0040), or the worker threads.
   */
  readonly fileEngine?: 'native' | 'workers';
}

export interface SourceError {
  readonly path: string;
  readonly message: string;
}

export class BackupSession {
  readonly repo: Repository;
  readonly sink: PackSink;
  readonly pool: WorkerPool;
  /** Reads, chunks and seals the files of trees and block images. */
  readonly files: FileRunner;
  /** Seals a stream's chunks on libuv's pool; undefined when the workers do (`pool`). */
  readonly chunks: NativeChunkSealer | undefined;
  readonly clock: Clock;
  readonly progress: ProgressSink | undefined;
  readonly errors: SourceError[] = [];
  readonly started: Date;
  readonly counts = { files: 0, dirs: 0, filesChanged: 0, filesUnchanged: 0, bytesRead: 0, bytesTotal: 0 };
  readonly #treeSealer: BlobSealer;
  readonly #treeIds: BlobIds;

  constructor(repo: Repository, opts: SessionOptions) {
    this.repo = repo;
    this.clock = opts.clock;
    this.progress = opts.progress;
    this.started = opts.clock.now();
    this.sink = new PackSink(repo);
    this.pool = new WorkerPool(repo, {
      known: () => knownData(repo), onPack: (pack) => this.sink.adopt(pack), ...(opts.workers ? { workers: opts.workers } : {}),
      ...(opts.growWorkers ? { grow: true } : {}),
    });
    const native = opts.fileEngine === 'workers' ? undefined : nativeSeal();
    if (native) {
      const sealed = new SealedChunks(repo, this.sink, () => knownData(repo));
      const calls = opts.workers ? { calls: opts.workers } : {};
      this.files = new NativeFileSealer(repo, sealed, native, calls);
      this.chunks = new NativeChunkSealer(sealed, native, calls);
    } else {
      this.files = workerFiles(this.pool);
      this.chunks = undefined;
    }
    this.#treeSealer = new BlobSealer(repo.key, repo.config.compression);
    this.#treeIds = new BlobIds(repo.key.idKey);
  }

  /** Stores a directory's tree blob unless the repository has it (then it is not compressed or sealed). */
  async saveTree(nodes: TreeNode[]): Promise<Id> {
    const plain = encodeTree(nodes);
    const id = this.#treeIds.idHex(plain, 'tree');
    if (this.sink.has(id)) return id;
    const r = this.#treeSealer.seal(plain, 'tree');
    if (r.sealed) await this.sink.add({ id: r.id, type: 'tree', rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed });
    return r.id;
  }

  reportError(path: string, message: string): void {
    this.errors.push({ path, message });
    this.progress?.error(path, message);
  }

  summary(): SnapshotSummary {
    return {
      ...this.counts,
      blobsNew: this.sink.stats.blobs,
      bytesNew: this.sink.stats.rawBytes,
      bytesStored: this.sink.stats.storedBytes,
      errors: this.errors.length,
      durationMs: this.clock.now().getTime() - this.started.getTime(),
    };
  }

  /** Flushes packs and index, then publishes the manifest; returns the snapshot id. */
  async publish(manifest: Omit<SnapshotManifest, 'summary'>): Promise<{ id: Id; summary: SnapshotSummary }> {
    await this.pool.finishPacks();
    await this.sink.flush();
    const summary = this.summary();
    const id = await saveSnapshot(this.repo, { ...manifest, summary });
    return { id, summary };
  }

  async close(): Promise<void> {
    this.sink.abandon();
    await this.pool.close();
  }
}

function knownData(repo: Repository): KnownIdSet {
  return KnownIdSet.fromBytes(repo.index.idBytes('data'), repo.index.count('data'));
}
