/**
 * Restores a snapshot's tree into a target directory: directories first (as the walk
 * meets them), file contents through worker threads, hard links and directory metadata
 * last (writing into a directory would change its mtime).
 */
import { chownSync, lchownSync, linkSync, lutimesSync, mkdirSync, rmSync, symlinkSync, chmodSync, utimesSync } from 'node:fs';
import { resolve } from 'node:path';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { Clock } from '../../core/clock.ts';
import type { Repository } from '../../repo/repository.ts';
import type { BlobLocation } from '../../repo/blob.ts';
import { acquireLock } from '../../repo/lock/lock.ts';
import type { Snapshot } from '../../repo/snapshot/snapshot.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';
import { WorkerPool } from '../worker/worker-pool.ts';
import type { ProgressSink } from '../progress.ts';
import { PieceScheduler } from './piece-scheduler.ts';
import { splitPieces } from './pieces.ts';
import { BlockPlan, PackBlockReader, exactRanges } from './pack-blocks.ts';
import type { PackRangeReader } from './pack-blocks.ts';
import { walkTree } from './tree-walk.ts';
import type { PathFilter } from './tree-walk.ts';
import { verifyFiles } from './verify.ts';
import { makeSpecialFile } from './special-files.ts';

export interface RestoreOptions {
  readonly target: string;
  readonly clock: Clock;
  readonly filter?: PathFilter;
  readonly workers?: number;
  readonly verify?: boolean;
  readonly progress?: ProgressSink;
  /** Hold a shared repository lock while restoring (default true; false only for storage that cannot be written). */
  readonly lock?: boolean;
}

export interface RestoreResult {
  files: number;
  dirs: number;
  bytes: number;
  verified: number;
  readonly errors: Array<{ path: string; message: string }>;
}

export async function restoreSnapshot(repo: Repository, snapshot: Snapshot, opts: RestoreOptions): Promise<RestoreResult> {
  const lock = opts.lock === false ? undefined : await acquireLock(repo, { exclusive: false, clock: opts.clock });
  try {
    await repo.loadIndex();
    mkdirSync(opts.target, { recursive: true });
    const pool = new WorkerPool(repo, opts.workers ? { workers: opts.workers } : {});
    pool.start();
    const plan = readsByBlocks(repo, opts.filter) ? new BlockPlan() : undefined;
    const planning = plan ? fillPlan(plan, repo, snapshot.tree, opts.filter) : Promise.resolve();
    try {
      const read = plan ? new PackBlockReader(repo.storage, plan).read : exactRanges(repo.storage);
      return await new TreeRestorer(repo, pool, opts, read).run(snapshot.tree);
    } finally {
      await planning;
      await pool.close();
    }
  } finally {
    await lock?.release();
  }
}

class TreeRestorer {
  readonly #repo: Repository;
  readonly #opts: RestoreOptions;
  readonly #pieces: PieceScheduler;
  readonly #dirs: Array<{ path: string; node: TreeNode }> = [];
  readonly #links = new Map<string, string>();
  readonly #deferredLinks: Array<{ from: string; to: string }> = [];
  /** Restored files, kept only for `verify`. */
  readonly #files: Array<{ path: string; node: TreeNode }> = [];
  readonly #ownership = process.getuid?.() === 0;
  readonly result: RestoreResult = { files: 0, dirs: 0, bytes: 0, verified: 0, errors: [] };

  constructor(repo: Repository, pool: WorkerPool, opts: RestoreOptions, read: PackRangeReader) {
    this.#repo = repo;
    this.#opts = opts;
    this.#pieces = new PieceScheduler(repo, pool, this.#ownership, read);
  }

  async run(root: Id): Promise<RestoreResult> {
    const target = resolve(this.#opts.target);
    const base = target.endsWith('/') ? target : `${target}/`;
    for await (const { path, node } of walkTree(this.#repo, root, this.#opts.filter)) {
      const abs = base + path;
      try {
        await this.#restoreNode(abs, node);
      } catch (err) {
        this.result.errors.push({ path: abs, message: messageOf(err) });
      }
    }
    await this.#pieces.drain();
    this.result.bytes = this.#pieces.outcome.bytes;
    this.result.errors.push(...this.#pieces.outcome.errors);
    for (const { from, to } of this.#deferredLinks) this.#attempt(to, () => relink(from, to));
    for (const { path, node } of this.#dirs.reverse()) this.#attempt(path, () => this.#applyMeta(path, node));
    if (this.#opts.verify) this.result.verified = verifyFiles(this.#repo, this.#files, this.result.errors);
    return this.result;
  }

  async #restoreNode(abs: string, node: TreeNode): Promise<void> {
    switch (node.type) {
      case 'dir':
        mkdirSync(abs, { recursive: true, mode: 0o700 });
        this.#dirs.push({ path: abs, node });
        this.result.dirs++;
        return;
      case 'file':
        return this.#restoreFile(abs, node);
      case 'symlink':
        rmSync(abs, { force: true });
        symlinkSync(node.target ?? '', abs);
        if (this.#ownership) lchownSync(abs, node.uid, node.gid);
        lutimesSync(abs, node.mtime / 1000, node.mtime / 1000);
        return;
      default:
        rmSync(abs, { force: true });
        if (makeSpecialFile(abs, node)) this.#applyMeta(abs, node);
    }
  }

  async #restoreFile(abs: string, node: TreeNode): Promise<void> {
    this.result.files++;
    if (node.links > 1) {
      const key = `${node.dev}:${node.inode}`;
      const first = this.#links.get(key);
      if (first) {
        this.#deferredLinks.push({ from: first, to: abs });
        if (this.#opts.verify) this.#files.push({ path: abs, node });
        return;
      }
      this.#links.set(key, abs);
    }
    const locate = (id: Id): BlobLocation => {
      const loc = this.#repo.index.get(id);
      if (!loc) throw new HoldfastError('REPO_CORRUPT', `data blob ${id} of ${abs} is not in any index`);
      return loc;
    };
    const pieces = splitPieces(abs, node, (id) => locate(id).rawLength);
    if (this.#opts.verify) this.#files.push({ path: abs, node });
    await this.#pieces.add(pieces, locate);
    this.#opts.progress?.update({ filesDone: this.result.files, bytesDone: this.#pieces.outcome.bytes, bytesTotal: undefined, currentPath: abs });
  }

  #applyMeta(abs: string, node: TreeNode): void {
    if (this.#ownership) chownSync(abs, node.uid, node.gid);
    chmodSync(abs, node.mode & 0o7777);
    utimesSync(abs, node.mtime / 1000, node.mtime / 1000);
  }

  #attempt(path: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.result.errors.push({ path, message: messageOf(err) });
    }
  }
}

/**
 * Remote storage serves a full restore from large blocks (few requests); local disks, and
 * a partial restore, read the exact ranges the tasks need.
 */
function readsByBlocks(repo: Repository, filter: PathFilter | undefined): boolean {
  return repo.storage.concurrency !== undefined && (filter?.includes?.length ?? 0) === 0;
}

/**
 * Makes the block plan: a walk of the snapshot beside the restore's own (running ahead of
 * it: it only decodes trees), counting every blob the restore will read, as the restore
 * will (a hard-linked file's content once). A tree it cannot read leaves the plan
 * incomplete (the restore reports the tree): the reader then keeps the blocks it used last.
 */
async function fillPlan(plan: BlockPlan, repo: Repository, root: Id, filter: PathFilter | undefined): Promise<void> {
  const links = new Set<string>();
  try {
    for await (const { node } of walkTree(repo, root, filter)) {
      if (node.type !== 'file') continue;
      if (node.links > 1) {
        const key = `${node.dev}:${node.inode}`;
        if (links.has(key)) continue;
        links.add(key);
      }
      for (const ref of node.content ?? []) {
        const loc = typeof ref === 'string' ? repo.index.get(ref) : undefined;
        if (loc) plan.add(loc.pack, loc);
      }
    }
    plan.complete = true;
  } catch (err) {
    repo.logger.debug({ error: messageOf(err) }, 'restore plan incomplete');
  }
}

function relink(from: string, to: string): void {
  rmSync(to, { force: true });
  linkSync(from, to);
}
