/**
 * Restores a snapshot's tree into a target directory: directories first (as the walk
 * meets them), file contents through the native addon or worker threads, hard links and directory metadata
 * last (writing into a directory would change its mtime).
 */
import { chownSync, existsSync, lchownSync, linkSync, lutimesSync, mkdirSync, opendirSync, rmSync, statSync, symlinkSync, chmodSync, utimesSync } from 'node:fs';
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
import { NativeRestoreRunner, nativeRestore } from './native-runner.ts';
import type { ProgressSink } from '../progress.ts';
import { PieceScheduler } from './piece-scheduler.ts';
import type { FileOwner, RestoreRunner } from './piece-scheduler.ts';
import { splitPieces } from './pieces.ts';
import { BlockPlan, PackBlockReader, exactRanges } from './pack-blocks.ts';
import type { PackRangeReader } from './pack-blocks.ts';
import { walkRuns } from './tree-walk.ts';
import type { PathFilter } from './tree-walk.ts';
import { verifyFiles } from './verify.ts';
import { makeSpecialFile } from './special-files.ts';

/** The set-group-id mode bit (not in Node's fs.constants). */
const S_ISGID = 0o2000;

const DIR_OPTIONS = { recursive: true, mode: 0o700 } as const;
/** Progress is reported every this many files (the view shows it at most every 100 ms). */
const PROGRESS_EVERY = 64;

export interface RestoreOptions {
  readonly target: string;
  readonly clock: Clock;
  readonly filter?: PathFilter;
  readonly workers?: number;
  /** What writes file contents: the native addon where it can (default), or worker threads. */
  readonly engine?: 'native' | 'workers';
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
  // The workers load while the lock and the index are read.
  const pool = restoreRunner(repo, opts.workers, opts.engine);
  pool.start();
  try {
    const lock = opts.lock === false ? undefined : await acquireLock(repo, { exclusive: false, clock: opts.clock });
    try {
      await repo.loadIndex();
      return await restoreWith(repo, pool, snapshot, opts);
    } finally {
      await lock?.release();
    }
  } finally {
    await pool.close();
  }
}

async function restoreWith(repo: Repository, pool: RestoreRunner, snapshot: Snapshot, opts: RestoreOptions): Promise<RestoreResult> {
  const owner = newFileOwner(opts.target);
  const plan = readsByBlocks(repo, opts.filter) ? new BlockPlan() : undefined;
  const planning = plan ? fillPlan(plan, repo, snapshot.tree, opts.filter) : Promise.resolve();
  try {
    const read = plan ? new PackBlockReader(repo.storage, plan).read : exactRanges(repo.storage);
    return await new TreeRestorer(repo, pool, opts, { read, owner }).run(snapshot.tree);
  } finally {
    await planning;
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
  readonly #owner: FileOwner | undefined;
  readonly result: RestoreResult = { files: 0, dirs: 0, bytes: 0, verified: 0, errors: [] };

  constructor(repo: Repository, pool: RestoreRunner, opts: RestoreOptions, io: { read: PackRangeReader; owner: FileOwner | undefined }) {
    this.#repo = repo;
    this.#opts = opts;
    this.#owner = io.owner;
    this.#pieces = new PieceScheduler(pool, (id, path) => this.#locate(id, path), {
      read: io.read, ownership: this.#ownership, newFileOwner: io.owner, concurrency: repo.storage.concurrency,
    });
  }

  /**
   * Restores the walk's entries a run at a time: a file is handled without an await of
   * its own (the scheduler asks to wait only when its tasks are all busy), which saves
   * the promises of a per-entry await and most of the collector's work on this thread.
   */
  async run(root: Id): Promise<RestoreResult> {
    const target = resolve(this.#opts.target);
    const base = target.endsWith('/') ? target : `${target}/`;
    for await (const { dir, nodes } of walkRuns(this.#repo, root, this.#opts.filter)) {
      const at = dir ? `${base}${dir}/` : base;
      for (const node of nodes) {
        const abs = at + node.name;
        try {
          const wait = this.#restoreNode(abs, node);
          if (wait) await wait;
        } catch (err) {
          this.result.errors.push({ path: abs, message: messageOf(err) });
        }
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

  /** Restores one entry; a promise when the caller must wait before the next. */
  #restoreNode(abs: string, node: TreeNode): Promise<void> | undefined {
    switch (node.type) {
      case 'dir':
        mkdirSync(abs, DIR_OPTIONS);
        this.#dirs.push({ path: abs, node });
        this.result.dirs++;
        return undefined;
      case 'file':
        return this.#restoreFile(abs, node);
      case 'symlink':
        rmSync(abs, { force: true });
        symlinkSync(node.target ?? '', abs);
        if (this.#mustChown(node)) lchownSync(abs, node.uid, node.gid);
        lutimesSync(abs, node.mtime / 1000, node.mtime / 1000);
        return undefined;
      default:
        rmSync(abs, { force: true });
        if (makeSpecialFile(abs, node)) this.#applyMeta(abs, node);
        return undefined;
    }
  }

  #restoreFile(abs: string, node: TreeNode): Promise<void> | undefined {
    const files = ++this.result.files;
    const linked = node.links > 1 && this.#linkedBefore(abs, node);
    const pieces = linked ? [] : splitPieces(abs, node, (id) => this.#locate(id, abs).rawLength);
    if (this.#opts.verify) this.#files.push({ path: abs, node });
    if (linked) return undefined;
    const wait = this.#pieces.add(pieces);
    if (files % PROGRESS_EVERY === 0) this.#opts.progress?.update({ filesDone: files, bytesDone: this.#pieces.outcome.bytes, bytesTotal: undefined, currentPath: abs });
    return wait;
  }

  /** A hard link to a file restored before: made once the contents are written. */
  #linkedBefore(abs: string, node: TreeNode): boolean {
    const key = `${node.dev}:${node.inode}`;
    const first = this.#links.get(key);
    if (first) this.#deferredLinks.push({ from: first, to: abs });
    else this.#links.set(key, abs);
    return first !== undefined;
  }

  #locate(id: Id, path: string): BlobLocation {
    const loc = this.#repo.index.get(id);
    if (!loc) throw new HoldfastError('REPO_CORRUPT', `data blob ${id} of ${path} is not in any index`);
    return loc;
  }

  /** Whether to chown a restored entry: not when it was created with the owner it should have. */
  #mustChown(node: TreeNode): boolean {
    return this.#ownership && (this.#owner === undefined || node.uid !== this.#owner.uid || node.gid !== this.#owner.gid);
  }

  #applyMeta(abs: string, node: TreeNode): void {
    if (this.#mustChown(node)) chownSync(abs, node.uid, node.gid);
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

/** The native addon on libuv's pool where it has restorePieces (ADR 0036), else worker threads. */
export function restoreRunner(repo: Repository, workers?: number, engine?: 'native' | 'workers'): RestoreRunner {
  const native = engine === 'workers' ? undefined : nativeRestore();
  if (native) return new NativeRestoreRunner(repo, native, workers ? { threads: workers } : {});
  return new WorkerPool(repo, workers ? { workers } : {});
}

/**
 * Creates the target; returns the owner the files restored into it get when created, if
 * every one gets the same: the process's user and group, when the target is new or empty
 * (so every directory the restore writes into is its own, made without set-group-id
 * until the very end) and not set-group-id itself (its subdirectories would inherit it).
 * A chown of a new file to that owner changes nothing, so it can be left out.
 */
function newFileOwner(target: string): FileOwner | undefined {
  const fresh = !existsSync(target) || isEmptyDir(target);
  mkdirSync(target, { recursive: true });
  const uid = process.geteuid?.();
  const gid = process.getegid?.();
  if (!fresh || uid === undefined || gid === undefined || (statSync(target).mode & S_ISGID) !== 0) return undefined;
  return { uid, gid };
}

function isEmptyDir(path: string): boolean {
  const dir = opendirSync(path);
  try {
    return dir.readSync() === null;
  } finally {
    dir.closeSync();
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
    for await (const { nodes } of walkRuns(repo, root, filter)) {
      for (const node of nodes) if (node.type === 'file') planFile(plan, repo, node, links);
    }
    plan.complete = true;
  } catch (err) {
    repo.logger.debug({ error: messageOf(err) }, 'restore plan incomplete');
  }
}

function planFile(plan: BlockPlan, repo: Repository, node: TreeNode, links: Set<string>): void {
  if (node.links > 1) {
    const key = `${node.dev}:${node.inode}`;
    if (links.has(key)) return;
    links.add(key);
  }
  for (const ref of node.content ?? []) {
    const loc = typeof ref === 'string' ? repo.index.get(ref) : undefined;
    if (loc) plan.add(loc.pack, loc);
  }
}

function relink(from: string, to: string): void {
  rmSync(to, { force: true });
  linkSync(from, to);
}
