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
export function walkTree(repo: Repository, root: Id, filter: PathFilter = {}, prefix = ''): AsyncGenerator<WalkEntry> {
  return walkFrom(new TreePrefetcher(repo, { expand: subtreesOf }), root, filter, prefix);
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
  next: number;
}

/** One generator over an explicit stack: nested `yield*` would pass every entry up through each ancestor. */
async function* walkFrom(trees: TreePrefetcher, root: Id, filter: PathFilter, prefix: string): AsyncGenerator<WalkEntry> {
  const stack: Level[] = [await openLevel(trees, root, filter, prefix)];
  for (let level = stack.at(-1); level; level = stack.at(-1)) {
    const node = level.nodes[level.next++];
    if (!node) {
      stack.pop();
      continue;
    }
    const path = level.prefix ? `${level.prefix}/${node.name}` : node.name;
    const f = level.filter;
    if (excluded(path, f)) continue;
    const selected = included(path, f);
    if (node.type !== 'dir') {
      if (selected) yield { path, node };
      continue;
    }
    if (!selected && !mayContainIncluded(path, f)) continue;
    yield { path, node };
    if (node.subtree) stack.push(await openLevel(trees, node.subtree, selected ? { excludes: f.excludes ?? [] } : f, path));
  }
}

async function openLevel(trees: TreePrefetcher, id: Id, filter: PathFilter, prefix: string): Promise<Level> {
  const nodes = await trees.get(id);
  trees.prefetch(subtreesOf(nodes));
  return { nodes, prefix, filter, next: 0 };
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
