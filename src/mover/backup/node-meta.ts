/** Tree nodes from lstat results, and the change test against a parent snapshot. */
import { constants } from 'node:fs';
import type { NodeType, TreeNode } from '../../repo/tree/tree.ts';
import type { EntryStat } from './dir-listing.ts';

export function nodeType(st: EntryStat): NodeType | undefined {
  switch (st.mode & constants.S_IFMT) {
    case constants.S_IFREG: return 'file';
    case constants.S_IFDIR: return 'dir';
    case constants.S_IFLNK: return 'symlink';
    case constants.S_IFBLK: return 'blockdev';
    case constants.S_IFCHR: return 'chardev';
    case constants.S_IFIFO: return 'fifo';
    case constants.S_IFSOCK: return 'socket';
    default: return undefined;
  }
}

export function nodeFromStats(name: string, type: NodeType, st: EntryStat): TreeNode {
  const node: TreeNode = {
    name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
    mtime: st.mtimeMs, ctime: st.ctimeMs,
    inode: st.ino, dev: st.dev, links: st.nlink, size: type === 'file' ? st.size : 0,
  };
  if (type === 'blockdev' || type === 'chardev') node.rdev = st.rdev;
  return node;
}

/**
 * How a file is judged unchanged since the parent snapshot. `strict` (the default): size,
 * mtime, ctime and inode all match. `size-mtime`: only size and mtime, for sources whose
 * files get new inodes and ctimes at every backup though their contents did not change —
 * a volume restored from a CSI snapshot for each move (restic's --ignore-inode --ignore-ctime).
 */
export type ChangeDetection = 'strict' | 'size-mtime';

export function unchanged(node: TreeNode, parent: TreeNode | undefined, mode: ChangeDetection = 'strict'): parent is TreeNode & { content: NonNullable<TreeNode['content']> } {
  if (parent === undefined || parent.type !== 'file' || parent.content === undefined) return false;
  if (parent.size !== node.size || parent.mtime !== node.mtime) return false;
  return mode === 'size-mtime' || (parent.ctime === node.ctime && parent.inode === node.inode);
}

/**
 * Whether two sorted node lists encode to the same tree. Contents are compared by
 * reference: an unchanged file takes over its parent's list, and anything rebuilt
 * counts as different (the tree is then simply encoded and deduplicated as usual).
 */
export function sameNodes(a: readonly TreeNode[], b: readonly TreeNode[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameNode(a[i] as TreeNode, b[i] as TreeNode)) return false;
  return true;
}

function sameNode(a: TreeNode, b: TreeNode): boolean {
  return a.name === b.name && a.type === b.type && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid &&
    a.mtime === b.mtime && a.ctime === b.ctime && a.inode === b.inode && a.dev === b.dev && a.links === b.links &&
    a.size === b.size && a.content === b.content && a.subtree === b.subtree && a.target === b.target && a.rdev === b.rdev;
}
