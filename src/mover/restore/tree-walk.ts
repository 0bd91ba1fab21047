/**
 * Walks a snapshot's trees depth-first, yielding every node with its path relative to
 * the snapshot root, filtered by include/exclude globs. A directory is yielded when it
 * or anything below it can match an include.
 *
 * Paths have no leading slash, but the user sees them with one (`ls` prints `/src/a`),
 * so a glob may have one too: an include `/src/a` is the include `src/a`; an exclude
 * with a leading slash is anchored at the root (`/a` is only the top-level `a`), one
 * without also matches any entry by its name (as restic's excludes do).
 */
import { matchesGlob } from 'node:path';
import type { Id } from '../../core/ids.ts';
import type { Repository } from '../../repo/repository.ts';
import { decodeTree } from '../../repo/tree/tree.ts';
import { TreePrefetcher } from '../../repo/tree/tree-prefetch.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';

export interface WalkEntry {
  readonly path: string;
  readonly node: TreeNode;
}

export interface PathFilter {
  readonly includes?: readonly string[];
  readonly excludes?: readonly string[];
}

export async function loadTree(repo: Repository, id: Id): Promise<TreeNode[]> {
  return decodeTree(await repo.loadBlob(id, 'tree'), id).nodes;
}

/**
 * Walks the snapshot depth-first from `root`. Subtrees are read ahead of the walk
 * (several reads at once, neighbours in a pack in one read), so on remote storage the
 * walk does not wait for one round trip per directory.
 */
export async function* walkTree(repo: Repository, root: Id, filter: PathFilter = {}, prefix = ''): AsyncGenerator<WalkEntry> {
  for await (const { dir, nodes } of walkRuns(repo, root, filter, prefix)) {
    for (const node of nodes) yield { path: dir ? `${dir}/${node.name}` : node.name, node };
  }
}

/**
 * Consecutive entries of one directory, in walk order: `walkRuns` yields a directory's
 * entries up to and including its next subdirectory, then the subdirectory's runs, then
 * the rest. A restore handles a run without an await per entry.
 */
export interface WalkRun {
  /** The directory's path relative to the snapshot root ('' for the root itself). */
  readonly dir: string;
  readonly nodes: readonly TreeNode[];
}

/**
 * The walk of `walkTree`, a run of entries at a time (same entries, same order). From
 * remote storage the reads run ahead of the walk several levels deep (`expand`); a local
 * read is quick enough for one level, and decoded trees then wait ahead of the walk in
 * far smaller numbers (on the bench's kernel tree a third less of this thread's objects
 * lived long enough to be promoted to the old generation).
 */
export function walkRuns(repo: Repository, root: Id, filter: PathFilter = {}, prefix = ''): AsyncGenerator<WalkRun> {
  const ahead = repo.storage.concurrency === undefined ? {} : { expand: subtreesOf };
  return walkFrom(new TreePrefetcher(repo, ahead), root, filter, prefix);
}

function unrooted(glob: string): string {
  return glob.replace(/^\/+/, '');
}

function subtreesOf(nodes: readonly TreeNode[]): Id[] {
  const out: Id[] = [];
  for (const n of nodes) if (n.type === 'dir' && n.subtree) out.push(n.subtree);
  return out;
}

interface Level {
  readonly nodes: readonly TreeNode[];
  readonly prefix: string;
  readonly filter: PathFilter;
  /** No include or exclude to test: every entry is selected. */
  readonly all: boolean;
  next: number;
}

/** One generator over an explicit stack: nested `yield*` would pass every run up through each ancestor. */
async function* walkFrom(trees: TreePrefetcher, root: Id, filter: PathFilter, prefix: string): AsyncGenerator<WalkRun> {
  const stack: Level[] = [await openLevel(trees, root, filter, prefix)];
  for (let level = stack.at(-1); level; level = stack.at(-1)) {
    const { nodes, descend } = level.all ? takeAll(level) : takeSelected(level);
    if (nodes.length > 0) yield { dir: level.prefix, nodes };
    if (descend) stack.push(await openLevel(trees, descend.subtree, descend.filter, descend.path));
    else if (level.next >= level.nodes.length) stack.pop();
  }
}

interface Descend {
  readonly subtree: Id;
  readonly filter: PathFilter;
  readonly path: string;
}

/** The entries up to and including the next directory (unfiltered). */
function takeAll(level: Level): { nodes: readonly TreeNode[]; descend: Descend | undefined } {
  const start = level.next;
  const all = level.nodes;
  let end = start;
  while (end < all.length && (all[end] as TreeNode).type !== 'dir') end++;
  const dir = all[end];
  level.next = dir ? end + 1 : end;
  const nodes = start === 0 && level.next === all.length ? all : all.slice(start, level.next);
  if (!dir?.subtree) return { nodes, descend: undefined };
  return { nodes, descend: { subtree: dir.subtree, filter: level.filter, path: childPath(level.prefix, dir.name) } };
}

/** The selected entries up to and including the next selected directory. */
function takeSelected(level: Level): { nodes: readonly TreeNode[]; descend: Descend | undefined } {
  const nodes: TreeNode[] = [];
  const f = level.filter;
  while (level.next < level.nodes.length) {
    const node = level.nodes[level.next++] as TreeNode;
    const path = childPath(level.prefix, node.name);
    if (excluded(path, f)) continue;
    const selected = included(path, f);
    if (node.type !== 'dir') {
      if (selected) nodes.push(node);
      continue;
    }
    if (!selected && !mayContainIncluded(path, f)) continue;
    nodes.push(node);
    if (node.subtree) return { nodes, descend: { subtree: node.subtree, filter: selected ? { excludes: f.excludes ?? [] } : f, path } };
  }
  return { nodes, descend: undefined };
}

function childPath(prefix: string, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

async function openLevel(trees: TreePrefetcher, id: Id, filter: PathFilter, prefix: string): Promise<Level> {
  const nodes = await trees.get(id);
  trees.prefetch(subtreesOf(nodes));
  const all = (filter.includes ?? []).length === 0 && (filter.excludes ?? []).length === 0;
  return { nodes, prefix, filter, all, next: 0 };
}

function excluded(path: string, f: PathFilter): boolean {
  if (!f.excludes || f.excludes.length === 0) return false;
  return f.excludes.some((p) => (p.startsWith('/') ? matchesGlob(path, unrooted(p)) : matchesGlob(path, p) || matchesGlob(path.split('/').at(-1) ?? path, p)));
}

function included(path: string, f: PathFilter): boolean {
  const inc = f.includes ?? [];
  return inc.length === 0 || inc.some((p) => {
    const glob = unrooted(p);
    return glob === '' || matchesGlob(path, glob) || matchesGlob(path, `${glob}/**`);
  });
}

function mayContainIncluded(dir: string, f: PathFilter): boolean {
  const parts = dir.split('/');
  return (f.includes ?? []).some((p) => mayMatchBelow(parts, unrooted(p).split('/')));
}

/** Whether a path below the folder (as segments) can match the glob (as segments); `**` matches any depth. */
function mayMatchBelow(dir: readonly string[], glob: readonly string[]): boolean {
  for (const [i, part] of dir.entries()) {
    const g = glob[i];
    if (g === undefined) return false;
    if (g === '**') return true;
    if (!matchesGlob(part, g)) return false;
  }
  return glob.length > dir.length;
}
