/**
 * Which blobs the snapshots use: every tree reachable from a snapshot and every data blob
 * those trees name. Shared by check, prune and stats. A tree that cannot be read is
 * reported, not fatal, so one damaged tree does not hide the rest.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { Repository } from '../repository.ts';
import { decodeTree } from '../tree/tree.ts';
import type { TreeNode } from '../tree/tree.ts';
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
  for (const snap of snapshots) {
    used.logicalBytes += await walk({ repo, snap, used, sizes, visitor }, snap.tree, '');
  }
  return used;
}

interface WalkContext {
  readonly repo: Repository;
  readonly snap: Snapshot;
  readonly used: UsedBlobs;
  readonly sizes: Map<Id, number>;
  readonly visitor: WalkVisitor;
}

async function walk(ctx: WalkContext, tree: Id, path: string): Promise<number> {
  const { repo, snap, used, sizes, visitor } = ctx;
  const known = sizes.get(tree);
  if (known !== undefined && !visitor.file) return known;
  used.trees.add(tree);
  let nodes: TreeNode[];
  try {
    nodes = decodeTree(await repo.loadBlob(tree, 'tree'), tree).nodes;
  } catch (err) {
    used.problems.push({ snapshot: snap.id, path: path || '/', message: `tree ${tree}: ${messageOf(err)}` });
    return 0;
  }
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
