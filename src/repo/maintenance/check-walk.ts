/**
 * The snapshot walk of `check`: every tree reachable from a snapshot must load,
 * authenticate and parse, and every data blob a file names must be indexed.
 *
 * A subtree found clean is not walked again where another snapshot or directory shares
 * it, so many similar snapshots cost about one walk. A subtree with a problem is walked
 * again each time it is met, so every problem is still reported once per snapshot and
 * path, in walk order. Which files use a damaged blob is a second, narrower walk
 * (`findUsers`), run only when `--read-data` found damage.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { Repository } from '../repository.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';
import type { TreeNode } from '../tree/tree.ts';
import type { CheckIssue } from './check-report.ts';
import { TreePrefetcher } from '../tree/tree-prefetch.ts';

export interface WalkFindings {
  /** Data blobs that files name but no index has, in walk order. */
  readonly missing: CheckIssue[];
  /** Trees that cannot be read, in walk order. */
  readonly problems: CheckIssue[];
}

export interface BlobUser {
  readonly snapshot: Id;
  readonly path: string;
}

function subtrees(nodes: readonly TreeNode[], skip: ReadonlySet<Id>): Id[] {
  const out: Id[] = [];
  for (const n of nodes) if (n.type === 'dir' && n.subtree && !skip.has(n.subtree)) out.push(n.subtree);
  return out;
}

/** Walks every snapshot; `besideReads`: pack reads (`--read-data`) run at the same time. */
export async function walkSnapshots(repo: Repository, snapshots: readonly Snapshot[], besideReads = false): Promise<WalkFindings> {
  const findings: WalkFindings = { missing: [], problems: [] };
  const clean = new Set<Id>();
  const trees = new TreePrefetcher(repo, readAhead(repo, besideReads, (nodes) => subtrees(nodes, clean)));
  const walk = async (snap: Snapshot, tree: Id, path: string): Promise<boolean> => {
    if (clean.has(tree)) return true;
    let nodes: TreeNode[];
    try {
      nodes = await trees.get(tree);
    } catch (err) {
      const where = path || '/';
      findings.problems.push({ severity: 'error', snapshot: snap.id, path: where, message: `snapshot ${snap.id.slice(0, 8)} ${where}: tree ${tree}: ${messageOf(err)}` });
      return false;
    }
    trees.prefetch(subtrees(nodes, clean));
    let ok = true;
    for (const node of nodes) {
      const child = `${path}/${node.name}`;
      if (node.type === 'dir' && node.subtree) ok = (await walk(snap, node.subtree, child)) && ok;
      if (node.type === 'file') ok = checkFile(repo, snap, child, node, findings.missing) && ok;
    }
    if (ok) clean.add(tree);
    return ok;
  };
  for (const snap of snapshots) await walk(snap, snap.tree, '');
  return findings;
}

/**
 * How far tree reads run ahead of a walk: several levels, unless the walk runs beside
 * `--read-data` on a local disk. There the pack reads take longer than the walk anyway,
 * and the trees held ahead were ~13 MB of the peak (read ahead, a plain `check` of the
 * bench's tree takes ~1.0 s instead of ~1.2).
 */
function readAhead(repo: Repository, besideReads: boolean, expand: (nodes: readonly TreeNode[]) => Id[]): { expand?: (nodes: readonly TreeNode[]) => Id[] } {
  return besideReads && repo.storage.concurrency === undefined ? {} : { expand };
}

function checkFile(repo: Repository, snap: Snapshot, path: string, node: TreeNode, missing: CheckIssue[]): boolean {
  let ok = true;
  for (const ref of node.content ?? []) {
    if (typeof ref !== 'string' || repo.index.has(ref, 'data')) continue;
    missing.push({ severity: 'error', snapshot: snap.id, path, blob: ref, message: `snapshot ${snap.id.slice(0, 8)} file ${path}: data blob ${ref} is not in any index` });
    ok = false;
  }
  return ok;
}

/**
 * The first `limit` (snapshot, file) uses of each of `blobs`, in walk order (snapshots
 * in the order given, depth-first), skipping subtrees known to use none of them.
 */
export async function findUsers(repo: Repository, snapshots: readonly Snapshot[], blobs: ReadonlySet<Id>, limit = 5): Promise<Map<Id, BlobUser[]>> {
  const users = new Map<Id, BlobUser[]>();
  const unused = new Set<Id>();
  const trees = new TreePrefetcher(repo, { expand: (nodes) => subtrees(nodes, unused) });
  const walk = async (snap: Snapshot, tree: Id, path: string): Promise<boolean> => {
    if (unused.has(tree)) return false;
    let nodes: TreeNode[];
    try {
      nodes = await trees.get(tree);
    } catch {
      unused.add(tree);
      return false;
    }
    trees.prefetch(subtrees(nodes, unused));
    let uses = false;
    for (const node of nodes) {
      const child = `${path}/${node.name}`;
      if (node.type === 'dir' && node.subtree) uses = (await walk(snap, node.subtree, child)) || uses;
      if (node.type !== 'file') continue;
      for (const ref of node.content ?? []) {
        if (typeof ref !== 'string' || !blobs.has(ref)) continue;
        uses = true;
        let list = users.get(ref);
        if (!list) users.set(ref, (list = []));
        if (list.length < limit) list.push({ snapshot: snap.id, path: child });
      }
    }
    if (!uses) unused.add(tree);
    return uses;
  };
  for (const snap of snapshots) await walk(snap, snap.tree, '');
  return users;
}
