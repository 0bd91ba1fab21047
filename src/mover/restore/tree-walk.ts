/**
 * Walks a snapshot's trees depth-first, yielding every node with its path relative to
 * the snapshot root, filtered by include/exclude globs. A directory is yielded when it
 * or anything below it can match an include.
 */
import { matchesGlob } from 'node:path';
import type { Id } from '../../core/ids.ts';
import type { Repository } from '../../repo/repository.ts';
import { decodeTree } from '../../repo/tree/tree.ts';
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

export async function* walkTree(repo: Repository, root: Id, filter: PathFilter = {}, prefix = ''): AsyncGenerator<WalkEntry> {
  for (const node of await loadTree(repo, root)) {
    const path = prefix ? `${prefix}/${node.name}` : node.name;
    if (excluded(path, filter)) continue;
    const selected = included(path, filter);
    if (node.type === 'dir') {
      if (!selected && !mayContainIncluded(path, filter)) continue;
      yield { path, node };
      if (node.subtree) yield* walkTree(repo, node.subtree, selected ? { excludes: filter.excludes ?? [] } : filter, path);
      continue;
    }
    if (selected) yield { path, node };
  }
}

function excluded(path: string, f: PathFilter): boolean {
  return (f.excludes ?? []).some((p) => matchesGlob(path, p) || matchesGlob(path.split('/').at(-1) ?? path, p));
}

function included(path: string, f: PathFilter): boolean {
  const inc = f.includes ?? [];
  return inc.length === 0 || inc.some((p) => matchesGlob(path, p) || matchesGlob(path, `${p}/**`));
}

function mayContainIncluded(dir: string, f: PathFilter): boolean {
  const parts = dir.split('/');
  return (f.includes ?? []).some((p) => mayMatchBelow(parts, p.split('/')));
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
