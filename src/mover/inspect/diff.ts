/** Differences between two snapshots: added, removed and modified paths. */
import type { Id } from '../../core/ids.ts';
import type { Repository } from '../../repo/repository.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';
import { loadTree } from '../restore/tree-walk.ts';

export type Change = { readonly kind: '+' | '-' | 'M' | 'T' | 'U'; readonly path: string };

export async function diffTrees(repo: Repository, a: Id | undefined, b: Id | undefined, prefix = ''): Promise<Change[]> {
  if (a === b) return [];
  const left = new Map((a ? await loadTree(repo, a) : []).map((n) => [n.name, n]));
  const right = new Map((b ? await loadTree(repo, b) : []).map((n) => [n.name, n]));
  const names = [...new Set([...left.keys(), ...right.keys()])].sort();
  const out: Change[] = [];
  for (const name of names) {
    const path = `${prefix}/${name}`;
    out.push(...(await diffNode(repo, path, left.get(name), right.get(name))));
  }
  return out;
}

async function diffNode(repo: Repository, path: string, l: TreeNode | undefined, r: TreeNode | undefined): Promise<Change[]> {
  if (!l || !r) {
    const node = (l ?? r) as TreeNode;
    const kind = l ? '-' : '+';
    const below = node.type === 'dir' ? await diffTrees(repo, l?.subtree, r?.subtree, path) : [];
    return [{ kind, path: node.type === 'dir' ? `${path}/` : path }, ...below];
  }
  if (l.type !== r.type) return [{ kind: 'T', path }];
  if (l.type === 'dir') return diffTrees(repo, l.subtree, r.subtree, path);
  const kind = compareLeaves(l, r);
  return kind ? [{ kind, path }] : [];
}

function compareLeaves(l: TreeNode, r: TreeNode): 'M' | 'U' | undefined {
  if (JSON.stringify(l.content) !== JSON.stringify(r.content) || l.target !== r.target) return 'M';
  if (l.mode !== r.mode || l.uid !== r.uid || l.gid !== r.gid || l.mtime !== r.mtime) return 'U';
  return undefined;
}
