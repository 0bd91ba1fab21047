/**
 * Which blobs the snapshots use: every tree reachable from a snapshot and every data blob
 * those trees name. Shared by prune and stats. A tree that cannot be read is reported,
 * not fatal, so one damaged tree does not hide the rest. Trees are read ahead of the walk
 * (TreePrefetcher); a subtree already counted is not walked again.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { Repository } from '../repository.ts';
import type { TreeNode } from '../tree/tree.ts';
import { TreePrefetcher } from '../tree/tree-prefetch.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';

export interface UsedBlobs {
  readonly trees: Set<Id>;
  readonly data: Set<Id>;
  readonly problems: Array<{ snapshot: Id; path: string; message: string }>;
  /** Sum over snapshots of their files' sizes (what a restore of each would write). */
  logicalBytes: number;
}

export interface WalkVisitor {
  file?(snapshot: Snapshot, path: string, node: TreeNode): void;
}

export async function collectUsedBlobs(repo: Repository, snapshots: readonly Snapshot[], visitor: WalkVisitor = {}): Promise<UsedBlobs> {
  const used: UsedBlobs = { trees: new Set(), data: new Set(), problems: [], logicalBytes: 0 };
  const sizes = new Map<Id, number>();
  const skip = (id: Id): boolean => !visitor.file && sizes.has(id);
  const trees = new TreePrefetcher(repo, { expand: (nodes) => subtrees(nodes, skip) });
  for (const snap of snapshots) {
    used.logicalBytes += await walk({ trees, snap, used, sizes, visitor }, snap.tree, '');
  }
  return used;
}

function subtrees(nodes: readonly TreeNode[], skip: (id: Id) => boolean): Id[] {
  const out: Id[] = [];
  for (const n of nodes) if (n.type === 'dir' && n.subtree && !skip(n.subtree)) out.push(n.subtree);
  return out;
}

interface WalkContext {
  readonly trees: TreePrefetcher;
  readonly snap: Snapshot;
  readonly used: UsedBlobs;
  readonly sizes: Map<Id, number>;
  readonly visitor: WalkVisitor;
}

async function walk(ctx: WalkContext, tree: Id, path: string): Promise<number> {
  const { trees, snap, used, sizes, visitor } = ctx;
  const known = sizes.get(tree);
  if (known !== undefined && !visitor.file) return known;
  used.trees.add(tree);
  let nodes: TreeNode[];
  try {
    nodes = await trees.get(tree);
  } catch (err) {
    used.problems.push({ snapshot: snap.id, path: path || '/', message: `tree ${tree}: ${messageOf(err)}` });
    return 0;
  }
  trees.prefetch(subtrees(nodes, (id) => !visitor.file && sizes.has(id)));
  let total = 0;
  for (const node of nodes) {
    const child = `${path}/${node.name}`;
    if (node.type === 'dir' && node.subtree) total += await walk(ctx, node.subtree, child);
    if (node.type !== 'file') continue;
    total += node.size;
    visitor.file?.(snap, child, node);
    for (const ref of node.content ?? []) if (typeof ref === 'string') used.data.add(ref);
  }
  sizes.set(tree, total);
  return total;
}
