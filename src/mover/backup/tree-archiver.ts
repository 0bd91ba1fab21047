/**
 * Backs up directory trees. The walk is depth-first and sequential; file contents are
 * read by workers through the FileScheduler, and each directory's tree blob is saved once
 * all its entries are known. Files unchanged since the parent snapshot are not read.
 *
 * The walk itself mostly waits on nothing: directory listings (readdir + lstat) come from
 * a scan worker running ahead (DirScanner), the parent snapshot's trees are read ahead
 * (TreePrefetcher), and a directory whose entries all equal the parent's keeps the
 * parent's tree id without being encoded and hashed again.
 *
 * Entries complete through callbacks into their directory's slot array, not promises: a
 * directory counts its unfinished entries and saves its tree when the count reaches
 * zero. Per file that is one closure instead of a handful of promises, which were most
 * of the main thread's garbage (and its collector's time) in a first backup.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, resolve } from 'node:path';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import { TreePrefetcher } from '../../repo/tree/tree-prefetch.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import { FileScheduler } from './file-scheduler.ts';
import type { FileCallback, FileResult } from './file-scheduler.ts';
import { nodeFromStats, nodeType, sameNodes, unchanged, type ChangeDetection } from './node-meta.ts';
import { isExcluded, readListing } from './dir-listing.ts';
import type { DirListing, EntryStat } from './dir-listing.ts';
import type { TreeScanner } from './dir-listing.ts';
import type { BackupSession } from './session.ts';

/** A directory as the parent snapshot has it. */
interface ParentDir {
  readonly tree: Id;
  readonly nodes: readonly TreeNode[];
  readonly byName: ReadonlyMap<string, TreeNode>;
}
type Ready = TreeNode | undefined;
/** Called once with an entry's node (undefined: left out, its error reported). */
type Slot = (node: Ready) => void;
/** The entry's slot will be called later. */
const LATER = Symbol('later');
/** What starting an entry gives: its node now, LATER, or a promise to wait for before the walk goes on (then LATER). */
type Start = Ready | typeof LATER | Promise<void>;

interface Joiner {
  readonly expect: () => void;
  readonly settle: (i: number, node: Ready) => void;
  readonly slot: (i: number) => Slot;
  readonly listed: () => void;
}

/** A file's result shared by its hard links: the first link submits it, the others wait. */
class SharedResult {
  #result: FileResult | undefined;
  readonly #waiters: FileCallback[] = [];

  add(cb: FileCallback): void {
    if (this.#result) cb(this.#result);
    else this.#waiters.push(cb);
  }

  readonly settle = (r: FileResult): void => {
    this.#result = r;
    for (const cb of this.#waiters.splice(0)) cb(r);
  };
}

function subtreesOf(nodes: readonly TreeNode[]): Id[] {
  const out: Id[] = [];
  for (const n of nodes) if (n.type === 'dir' && n.subtree) out.push(n.subtree);
  return out;
}

function present(nodes: readonly Ready[]): TreeNode[] {
  const out: TreeNode[] = [];
  for (const n of nodes) if (n !== undefined) out.push(n);
  return out;
}

export class TreeArchiver {
  readonly #session: BackupSession;
  readonly #files: FileScheduler;
  readonly #excludes: readonly string[];
  readonly #hardlinks = new Map<string, SharedResult>();
  readonly #parentTrees: TreePrefetcher;
  readonly #scanner: TreeScanner | undefined;
  readonly #changeDetection: ChangeDetection;
  /** Rejects the archive when a directory's tree cannot be saved (no promise is waiting on it). */
  #fail: (err: unknown) => void = () => {};

  /** With a `scanner`, directories come from its listings (made ahead, on a worker thread). */
  constructor(session: BackupSession, profile: ChunkerParams, excludes: readonly string[], scanner?: TreeScanner, changeDetection: ChangeDetection = 'strict') {
    this.#session = session;
    this.#parentTrees = new TreePrefetcher(session.repo, { expand: subtreesOf });
    this.#files = new FileScheduler(session, profile);
    this.#excludes = excludes;
    this.#scanner = scanner;
    this.#changeDetection = changeDetection;
  }

  /** Archives the given paths under one root tree; returns the root tree id. */
  async archive(paths: readonly string[], parentRoot: Id | undefined): Promise<Id> {
    const names = new Set<string>();
    const parents = await this.#parentDir(parentRoot);
    const roots: Ready[] = [];
    const all = Promise.withResolvers<undefined>();
    all.promise.catch(() => {});
    this.#fail = all.reject;
    const join = this.#joiner(roots, () => all.resolve(undefined));
    for (const p of paths) {
      const abs = resolve(p);
      const name = basename(abs) || 'root';
      if (names.has(name)) throw new HoldfastError('USAGE', `two backup paths end in the same name '${name}'; back them up separately`);
      names.add(name);
      const i = roots.push(undefined) - 1;
      const st = rootStat(abs);
      await this.#startEntry(join, i, (slot) => this.#entry(abs, name, st, parents?.byName.get(name), slot));
    }
    join.listed();
    await this.#files.drain();
    await all.promise;
    return this.#session.saveTree(present(roots));
  }

  /** The parent snapshot's entries of a directory; its subdirectories' trees start loading ahead of the walk. */
  async #parentDir(tree: Id | undefined): Promise<ParentDir | undefined> {
    if (!tree || !this.#session.repo.index.has(tree, 'tree')) return undefined;
    const nodes = await this.#parentTrees.get(tree);
    this.#parentTrees.prefetch(subtreesOf(nodes));
    return { tree, nodes, byName: new Map(nodes.map((n) => [n.name, n])) };
  }

  /**
   * Counts a directory's unfinished entries. Each entry is counted before it starts
   * (`expect`), so a node that arrives at once cannot finish the directory early;
   * `settle(i, node)` fills entry i and counts it done, `listed()` says the walk of the
   * directory is over, and `finish` runs once everything is done.
   */
  #joiner(children: Ready[], finish: () => void): Joiner {
    let remaining = 1;
    const done = (): void => {
      if (--remaining === 0) finish();
    };
    const settle = (i: number, node: Ready): void => {
      children[i] = node;
      done();
    };
    return { expect: () => void remaining++, settle, slot: (i) => (node) => settle(i, node), listed: done };
  }

  /**
   * Starts entry i and, unless it completes later through its slot, settles it; returns
   * a promise only when the walk must wait (not an async function: a promise per entry
   * was garbage the walk of an unchanged tree did not need).
   */
  #startEntry(join: Joiner, i: number, start: (slot: Slot) => Start): Promise<void> | undefined {
    join.expect();
    const started = start(join.slot(i));
    if (started instanceof Promise) return started;
    if (started !== LATER) join.settle(i, started);
    return undefined;
  }

  /**
   * Starts one entry. An entry complete at once (unchanged file, symlink, special file)
   * comes back as its node: an unchanged tree is mostly such entries. A file to read or a
   * directory calls `slot` once its node is complete.
   */
  #entry(abs: string, name: string, st: EntryStat, parent: TreeNode | undefined, slot: Slot): Start {
    const type = nodeType(st);
    if (!type) return undefined;
    const node = nodeFromStats(name, type, st);
    if (type === 'dir') return this.#dir(abs, node, parent?.type === 'dir' ? parent.subtree : undefined, slot);
    if (type === 'file') return this.#file(abs, node, parent, slot);
    if (type === 'symlink') node.target = readlinkSync(abs);
    return node;
  }

  /** Walks a directory's entries in order; resolves when the walk is over, and `slot` gets the node once its tree is saved. */
  async #dir(abs: string, node: TreeNode, parentTree: Id | undefined, slot: Slot): Promise<void> {
    this.#session.counts.dirs++;
    const listing = await this.#list(abs);
    if (listing.error !== undefined) {
      this.#session.reportError(abs, `cannot list directory: ${listing.error}`);
      return slot(undefined);
    }
    const parents = await this.#parentDir(parentTree);
    const names = listing.names;
    const children: Ready[] = new Array<Ready>(names.length).fill(undefined);
    const join = this.#joiner(children, () => {
      this.#saveDir(children, parents).then((id) => {
        node.subtree = id;
        slot(node);
      }, this.#fail);
    });
    const base = abs.endsWith('/') ? abs : `${abs}/`;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const child = base + name;
      if (this.#excluded(child, name)) continue;
      const st = listing.stat(i);
      if (typeof st === 'string') {
        this.#session.reportError(child, `cannot stat: ${st}`);
        continue;
      }
      const wait = this.#startEntry(join, i, (entrySlot) => this.#entry(child, name, st, parents?.byName.get(name), entrySlot));
      if (wait) await wait;
    }
    join.listed();
  }

  /** Saves a directory's tree; one identical to the parent snapshot's is not encoded again. */
  async #saveDir(nodes: readonly Ready[], parent: ParentDir | undefined): Promise<Id> {
    const kept = present(nodes);
    if (parent && sameNodes(kept, parent.nodes)) return parent.tree;
    return this.#session.saveTree(kept);
  }

  async #list(abs: string): Promise<DirListing> {
    return (await this.#scanner?.take(abs)) ?? readListing(abs);
  }

  #file(abs: string, node: TreeNode, parent: TreeNode | undefined, slot: Slot): Start {
    const counts = this.#session.counts;
    counts.files++;
    counts.bytesTotal += node.size;
    if (unchanged(node, parent, this.#changeDetection) && parent.content.every((c) => typeof c === 'number' || this.#session.repo.index.has(c, 'data'))) {
      counts.filesUnchanged++;
      node.content = parent.content;
      return node;
    }
    counts.filesChanged++;
    return this.#read(abs, node, (r) => slot(this.#complete(abs, node, r))) ?? LATER;
  }

  /** Submits a file to the workers (a hard link already submitted waits for that result). */
  #read(abs: string, node: TreeNode, onDone: FileCallback): Promise<void> | undefined {
    if (node.links <= 1) return this.#files.submit(abs, node.size, onDone);
    const linkKey = `${node.dev}:${node.inode}`;
    const shared = this.#hardlinks.get(linkKey);
    if (shared) {
      shared.add(onDone);
      return undefined;
    }
    const first = new SharedResult();
    this.#hardlinks.set(linkKey, first);
    first.add(onDone);
    return this.#files.submit(abs, node.size, first.settle);
  }

  #complete(abs: string, node: TreeNode, r: FileResult): TreeNode | undefined {
    const s = this.#session;
    s.counts.bytesRead += r.bytesRead;
    s.progress?.update({ filesDone: s.counts.files, bytesDone: s.counts.bytesRead, bytesTotal: undefined, currentPath: abs });
    if (r.error !== undefined) {
      s.reportError(abs, `cannot read file: ${r.error}`);
      return undefined;
    }
    node.content = r.content;
    node.size = r.bytesRead;
    return node;
  }

  #excluded(abs: string, name: string): boolean {
    return this.#excludes.length > 0 && isExcluded(abs, name, this.#excludes);
  }
}

function rootStat(abs: string): Stats {
  try {
    return lstatSync(abs);
  } catch (err) {
    throw new HoldfastError('SOURCE_UNREADABLE', `cannot read backup path ${abs}: ${messageOf(err)}`, { cause: err });
  }
}
