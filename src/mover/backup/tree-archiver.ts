/**
 * Backs up directory trees. The walk is depth-first and sequential; file contents are
 * read by workers through the FileScheduler, and each directory's tree blob is saved once
 * all its entries are known. Files unchanged since the parent snapshot are not read.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, join, matchesGlob, resolve } from 'node:path';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import { decodeTree } from '../../repo/tree/tree.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import { FileScheduler } from './file-scheduler.ts';
import type { FileResult } from './file-scheduler.ts';
import { nodeFromStats, nodeType, unchanged } from './node-meta.ts';
import type { BackupSession } from './session.ts';

type ParentMap = Map<string, TreeNode>;
/** A started entry; `done` settles when its node is complete (async functions would flatten it). */
interface Started<T> {
  readonly done: Promise<T>;
}
type StartedNode = Started<TreeNode | undefined>;

function started<T>(done: Promise<T>): Started<T> {
  done.catch(() => {});
  return { done };
}

export class TreeArchiver {
  readonly #session: BackupSession;
  readonly #files: FileScheduler;
  readonly #excludes: readonly string[];
  readonly #hardlinks = new Map<string, Started<FileResult>>();

  constructor(session: BackupSession, profile: ChunkerParams, excludes: readonly string[]) {
    this.#session = session;
    this.#files = new FileScheduler(session, profile);
    this.#excludes = excludes;
  }

  /** Archives the given paths under one root tree; returns the root tree id. */
  async archive(paths: readonly string[], parentRoot: Id | undefined): Promise<Id> {
    const names = new Set<string>();
    const parents = parentRoot ? await this.#parentMap(parentRoot) : undefined;
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
      pending.push((await this.#entry(abs, name, st, parents?.get(name))).done);
    }
    await this.#files.drain();
    const nodes = await Promise.all(pending);
    return this.#session.saveTree(nodes.filter((n): n is TreeNode => n !== undefined));
  }

  async #parentMap(tree: Id | undefined): Promise<ParentMap | undefined> {
    if (!tree || !this.#session.repo.index.has(tree, 'tree')) return undefined;
    const decoded = decodeTree(await this.#session.repo.loadBlob(tree, 'tree'), tree);
    return new Map(decoded.nodes.map((n) => [n.name, n]));
  }

  /** Starts one entry; the returned promise settles when its node is complete. */
  async #entry(abs: string, name: string, st: Stats, parent: TreeNode | undefined): Promise<StartedNode> {
    const type = nodeType(st);
    if (!type) return started(Promise.resolve(undefined));
    const node = nodeFromStats(name, type, st);
    if (type === 'dir') return this.#dir(abs, node, parent?.type === 'dir' ? parent.subtree : undefined);
    if (type === 'file') return this.#file(abs, node, parent);
    if (type === 'symlink') node.target = readlinkSync(abs);
    return started(Promise.resolve(node));
  }

  async #dir(abs: string, node: TreeNode, parentTree: Id | undefined): Promise<StartedNode> {
    this.#session.counts.dirs++;
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch (err) {
      this.#session.reportError(abs, `cannot list directory: ${messageOf(err)}`);
      return started(Promise.resolve(undefined));
    }
    const parents = await this.#parentMap(parentTree);
    const children: Array<Promise<TreeNode | undefined>> = [];
    for (const name of names) {
      const child = join(abs, name);
      if (this.#excluded(child, name)) continue;
      let st: Stats;
      try {
        st = lstatSync(child);
      } catch (err) {
        this.#session.reportError(child, `cannot stat: ${messageOf(err)}`);
        continue;
      }
      children.push((await this.#entry(child, name, st, parents?.get(name))).done);
    }
    return started(Promise.all(children).then(async (nodes) => {
      node.subtree = await this.#session.saveTree(nodes.filter((n): n is TreeNode => n !== undefined));
      return node;
    }));
  }

  async #file(abs: string, node: TreeNode, parent: TreeNode | undefined): Promise<StartedNode> {
    const counts = this.#session.counts;
    counts.files++;
    counts.bytesTotal += node.size;
    if (unchanged(node, parent) && parent.content.every((c) => typeof c === 'number' || this.#session.repo.index.has(c, 'data'))) {
      counts.filesUnchanged++;
      node.content = parent.content;
      return started(Promise.resolve(node));
    }
    counts.filesChanged++;
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
    return this.#excludes.some((pattern) => matchesGlob(abs, pattern) || matchesGlob(name, pattern));
  }
}
