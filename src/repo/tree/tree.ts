/**
 * Trees: one blob per directory, listing its entries sorted by name. A file's content is
 * a list of data blob ids; a number in that list is a run of that many zero bytes, stored
 * as nothing and restored as a hole. Access times are not recorded: they change on
 * every read and would make every backup store new trees. Unchanged directories encode to identical bytes and
 * so deduplicate like data.
 */
import { z } from 'zod';
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';

export type NodeType = 'file' | 'dir' | 'symlink' | 'blockdev' | 'chardev' | 'fifo' | 'socket';
export type ContentRef = Id | number;

export interface TreeNode {
  name: string;
  type: NodeType;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  ctime: number;
  inode: number;
  dev: number;
  links: number;
  size: number;
  content?: ContentRef[];
  subtree?: Id;
  target?: string;
  rdev?: number;
}

export interface Tree {
  nodes: TreeNode[];
}

const idString = z.string().regex(/^[0-9a-f]{64}$/);
const nodeSchema = z.strictObject({
  name: z.string().min(1).refine((n) => n !== '.' && n !== '..' && !n.includes('/'), 'not a plain name'),
  type: z.enum(['file', 'dir', 'symlink', 'blockdev', 'chardev', 'fifo', 'socket']),
  mode: z.number().int().nonnegative(),
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  mtime: z.number(),
  ctime: z.number(),
  inode: z.number().int().nonnegative(),
  dev: z.number().int().nonnegative(),
  links: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
  content: z.array(z.union([idString, z.number().int().positive()])).optional(),
  subtree: idString.optional(),
  target: z.string().optional(),
  rdev: z.number().int().nonnegative().optional(),
});
const treeSchema = z.strictObject({ nodes: z.array(nodeSchema) });

/** Encodes with a fixed key order and sorted names, so equal trees give equal bytes. */
export function encodeTree(nodes: TreeNode[]): Buffer {
  const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Buffer.from(JSON.stringify({ nodes: sorted.map(canonicalNode) }));
}

function canonicalNode(n: TreeNode): TreeNode {
  const out: TreeNode = {
    name: n.name, type: n.type, mode: n.mode, uid: n.uid, gid: n.gid,
    mtime: n.mtime, ctime: n.ctime, inode: n.inode, dev: n.dev, links: n.links, size: n.size,
  };
  if (n.content !== undefined) out.content = n.content;
  if (n.subtree !== undefined) out.subtree = n.subtree;
  if (n.target !== undefined) out.target = n.target;
  if (n.rdev !== undefined) out.rdev = n.rdev;
  return out;
}

export function decodeTree(plain: Buffer, where: string): Tree {
  let json: unknown;
  try {
    json = JSON.parse(plain.toString('utf8'));
  } catch (cause) {
    throw new HoldfastError('REPO_CORRUPT', `tree ${where} is not valid JSON`, { cause });
  }
  const parsed = treeSchema.safeParse(json);
  if (!parsed.success) throw new HoldfastError('REPO_CORRUPT', `tree ${where} is malformed: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The data blob ids a node's content refers to (zero runs excluded). */
export function contentIds(node: TreeNode): Id[] {
  return (node.content ?? []).filter((c): c is Id => typeof c === 'string');
}
