/**
 * Backs up directory trees. The walk is depth-first and sequential; file contents are
 * read by workers through the FileScheduler, and each directory's tree blob is saved once
 * all its entries are known. Files unchanged since the parent snapshot are not read.
 *
 * The walk itself mostly waits on nothing: directory listings (readdir + lstat) come from
 * a scan worker running ahead (DirScanner), the parent snapshot's trees are read ahead
 * (TreePrefetcher), and a directory whose entries all equal the parent's keeps the
 * parent's tree id without being encoded and hashed again.
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
import type { FileResult } from './file-scheduler.ts';
import { nodeFromStats, nodeType, sameNodes, unchanged, type ChangeDetection } from './node-meta.ts';
import { isExcluded, readListing } from './dir-listing.ts';
import type { DirListing, EntryStat } from './dir-listing.ts';
import type { DirScanner } from './dir-scanner.ts';
import type { BackupSession } from './session.ts';

/** A directory as the parent snapshot has it. */
interface ParentDir {
  readonly tree: Id;
  readonly nodes: readonly TreeNode[];
  readonly byName: ReadonlyMap<string, TreeNode>;
}
/** A started entry; `done` settles when its node is complete (async functions would flatten it). */
interface Started<T> {
  readonly done: Promise<T>;
}
type Ready = TreeNode | undefined;
type StartedNode = Started<Ready>;

function subtreesOf(nodes: readonly TreeNode[]): Id[] {
  const out: Id[] = [];
  for (const n of nodes) if (n.type === 'dir' && n.subtree) out.push(n.subtree);
  return out;
}

function started<T>(done: Promise<T>): Started<T> {
  done.catch(() => {});
  return { done };
}

export class TreeArchiver {
  readonly #session: BackupSession;
  readonly #files: FileScheduler;
  readonly #excludes: readonly string[];
  readonly #hardlinks = new Map<string, Started<FileResult>>();
  readonly #parentTrees: TreePrefetcher;
  readonly #scanner: DirScanner | undefined;
  readonly #changeDetection: ChangeDetection;

  /** With a `scanner`, directories come from its listings (made ahead, on a worker thread). */
  constructor(session: BackupSession, profile: ChunkerParams, excludes: readonly string[], scanner?: DirScanner, changeDetection: ChangeDetection = 'strict') {
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
    const pending: Array<Promise<TreeNode | undefined>> = [];
    for (const p of paths) {
      const abs = resolve(p);
      const name = basename(abs) || 'root';
      if (names.has(name)) throw new HoldfastError('USAGE', `two backup paths end in the same name '${name}'; back them up separately`);
      names.add(name);
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch (err) {
        throw new HoldfastError('SOURCE_UNREADABLE', `cannot read backup path ${abs}: ${messageOf(err)}`, { cause: err });
      }
      const entry = this.#entry(abs, name, st, parents?.byName.get(name));
      pending.push(entry instanceof Promise ? (await entry).done : Promise.resolve(entry));
    }
    await this.#files.drain();
    const nodes = await Promise.all(pending);
    return this.#session.saveTree(nodes.filter((n): n is TreeNode => n !== undefined));
  }

  /** The parent snapshot's entries of a directory; its subdirectories' trees start loading ahead of the walk. */
  async #parentDir(tree: Id | undefined): Promise<ParentDir | undefined> {
    if (!tree || !this.#session.repo.index.has(tree, 'tree')) return undefined;
    const nodes = await this.#parentTrees.get(tree);
    this.#parentTrees.prefetch(subtreesOf(nodes));
    return { tree, nodes, byName: new Map(nodes.map((n) => [n.name, n])) };
  }

  /** Saves a directory's tree; one identical to the parent snapshot's is not encoded again. */
  async #saveDir(nodes: ReadonlyArray<TreeNode | undefined>, parent: ParentDir | undefined): Promise<Id> {
    const kept = nodes.filter((n): n is TreeNode => n !== undefined);
    if (parent && sameNodes(kept, parent.nodes)) return parent.tree;
    return this.#session.saveTree(kept);
  }

  /**
   * Starts one entry. An entry complete at once (unchanged file, symlink, special file)
   * comes back as its node, without a promise: an unchanged tree is mostly such entries,
   * and a promise each was most of a re-backup's garbage. Otherwise the returned promise
   * settles once the entry is started, and its `done` when its node is complete.
   */
  #entry(abs: string, name: string, st: EntryStat, parent: TreeNode | undefined): Ready | Promise<StartedNode> {
    const type = nodeType(st);
    if (!type) return undefined;
    const node = nodeFromStats(name, type, st);
    if (type === 'dir') return this.#dir(abs, node, parent?.type === 'dir' ? parent.subtree : undefined);
    if (type === 'file') return this.#file(abs, node, parent);
    if (type === 'symlink') node.target = readlinkSync(abs);
    return node;
  }

  async #dir(abs: string, node: TreeNode, parentTree: Id | undefined): Promise<StartedNode> {
    this.#session.counts.dirs++;
    const listing = await this.#list(abs);
    if (listing.error !== undefined) {
      this.#session.reportError(abs, `cannot list directory: ${listing.error}`);
      return started(Promise.resolve(undefined));
    }
    const parents = await this.#parentDir(parentTree);
    const children: Ready[] = [];
    const pending: Array<Promise<void>> = [];
    const base = abs.endsWith('/') ? abs : `${abs}/`;
    for (const [i, name] of listing.names.entries()) {
      const child = base + name;
      if (this.#excluded(child, name)) continue;
      const st = listing.stat(i);
      if (typeof st === 'string') {
        this.#session.reportError(child, `cannot stat: ${st}`);
        continue;
      }
      const entry = this.#entry(child, name, st, parents?.byName.get(name));
      if (!(entry instanceof Promise)) {
        children.push(entry);
        continue;
      }
      const slot = children.push(undefined) - 1;
      pending.push((await entry).done.then((n) => void (children[slot] = n)));
    }
    return started(Promise.all(pending).then(async () => {
      node.subtree = await this.#saveDir(children, parents);
      return node;
    }));
  }

  async #list(abs: string): Promise<DirListing> {
    return (await this.#scanner?.take(abs)) ?? readListing(abs);
  }

  #file(abs: string, node: TreeNode, parent: TreeNode | undefined): Ready | Promise<StartedNode> {
    const counts = this.#session.counts;
    counts.files++;
    counts.bytesTotal += node.size;
    if (unchanged(node, parent, this.#changeDetection) && parent.content.every((c) => typeof c === 'number' || this.#session.repo.index.has(c, 'data'))) {
      counts.filesUnchanged++;
      node.content = parent.content;
      return node;
    }
    counts.filesChanged++;
    return this.#read(abs, node);
  }

  async #read(abs: string, node: TreeNode): Promise<StartedNode> {
    const linkKey = node.links > 1 ? `${node.dev}:${node.inode}` : undefined;
    let result = linkKey ? this.#hardlinks.get(linkKey) : undefined;
    if (!result) {
      result = await this.#files.submit(abs, node.size);
      if (linkKey) this.#hardlinks.set(linkKey, result);
    }
    return started(result.done.then((r) => this.#complete(abs, node, r)));
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
