/**
 * FIFOs and device nodes. Node.js has no mknod, so these go through the coreutils
 * `mkfifo` and `mknod` commands. Sockets are not restorable (they belong to a process).
 */
import { spawnSync } from 'node:child_process';
import { HoldfastError } from '../../core/errors.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';

/** Creates the special file; returns false for kinds that are skipped (sockets). */
export function makeSpecialFile(abs: string, node: TreeNode): boolean {
  const rdev = node.rdev ?? 0;
  const major = (rdev >>> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
  let args: string[];
  if (node.type === 'fifo') args = ['mkfifo', abs];
  else if (node.type === 'chardev') args = ['mknod', abs, 'c', String(major), String(minor)];
  else if (node.type === 'blockdev') args = ['mknod', abs, 'b', String(major), String(minor)];
  else return false;
  const [cmd, ...rest] = args as [string, ...string[]];
  const r = spawnSync(cmd, rest, { encoding: 'utf8' });
  if (r.status !== 0) throw new HoldfastError('RESTORE_TARGET', `cannot create ${node.type} ${abs}: ${(r.stderr || r.error?.message || '').trim()}`);
  return true;
}
