/** Tree nodes from lstat results, and the change test against a parent snapshot. */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import type { NodeType, TreeNode } from '../../repo/tree/tree.ts';

export function nodeType(st: Stats): NodeType | undefined {
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

export function nodeFromStats(name: string, type: NodeType, st: Stats): TreeNode {
  const node: TreeNode = {
    name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
    mtime: st.mtimeMs, ctime: st.ctimeMs,
    inode: st.ino, dev: st.dev, links: st.nlink, size: type === 'file' ? st.size : 0,
  };
  if (type === 'blockdev' || type === 'chardev') node.rdev = st.rdev;
  return node;
}

/** A file is unchanged when size, mtime, ctime and inode all match the parent's node. */
export function unchanged(node: TreeNode, parent: TreeNode | undefined): parent is TreeNode & { content: NonNullable<TreeNode['content']> } {
  return parent !== undefined && parent.type === 'file' && parent.content !== undefined &&
    parent.size === node.size && parent.mtime === node.mtime && parent.ctime === node.ctime && parent.inode === node.inode;
}
