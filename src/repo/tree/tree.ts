/**
 * Trees: one blob per directory, listing its entries sorted by name. A file's content is
 * a list of data blob ids; a number in that list is a run of that many zero bytes, stored
 * as nothing and restored as a hole. Access times are not recorded: they change on
 * every read and would make every backup store new trees. Unchanged directories encode to identical bytes and
 * so deduplicate like data.
 */
import { HoldfastError } from '../../core/errors.ts';
import { ShapeError, fields, hexId, integer, isRecord, list, number, oneOf, optional, readShape, text } from '../../core/json-shape.ts';
import { isId, type Id } from '../../core/ids.ts';

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

/** Node keys in their canonical order; JSON.stringify writes an object's keys in the order of this list. */
const CANONICAL_KEYS = ['nodes', 'name', 'type', 'mode', 'uid', 'gid', 'mtime', 'ctime', 'inode', 'dev', 'links', 'size', 'content', 'subtree', 'target', 'rdev'];

/**
 * Encodes with a fixed key order and sorted names, so equal trees give equal bytes. The
 * key list both orders the keys and leaves out any other property (absent optional keys
 * are left out as undefined), without copying the nodes.
 */
export function encodeTree(nodes: TreeNode[]): Buffer {
  const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Buffer.from(JSON.stringify({ nodes: sorted }, CANONICAL_KEYS));
}

export function decodeTree(plain: Buffer, where: string): Tree {
  let json: unknown;
  try {
    json = JSON.parse(plain.toString('utf8'));
  } catch (cause) {
    throw new HoldfastError('REPO_CORRUPT', `tree ${where} is not valid JSON`, { cause });
  }
  if (isWellFormedTree(json)) return json;
  readShape(`tree ${where} is malformed`, () => explainTree(json));
  throw new HoldfastError('REPO_CORRUPT', `tree ${where} is malformed`);
}

/*
 * The check walks run on every tree of a snapshot: it allocates nothing, not even the
 * path of a fault. A tree it refuses goes to `explainTree`, which walks it again with the
 * json-shape checks to name the first fault.
 */
const NODE_TYPES = new Set<unknown>(['file', 'dir', 'symlink', 'blockdev', 'chardev', 'fifo', 'socket']);
const COUNT_KEYS = ['mode', 'uid', 'gid', 'inode', 'dev', 'links', 'size'] as const;
const KNOWN_KEYS = new Set(['name', 'type', 'mtime', 'ctime', ...COUNT_KEYS, 'content', 'subtree', 'target', 'rdev']);

function isCount(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isWellFormedTree(json: unknown): json is Tree {
  if (!isRecord(json) || !Array.isArray(json.nodes)) return false;
  for (const key in json) if (key !== 'nodes') return false;
  return json.nodes.every(isWellFormedNode);
}

function isWellFormedNode(n: unknown): boolean {
  if (!isRecord(n)) return false;
  for (const key in n) if (!KNOWN_KEYS.has(key)) return false;
  const { name } = n;
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/')) return false;
  if (!NODE_TYPES.has(n.type) || !Number.isFinite(n.mtime) || !Number.isFinite(n.ctime)) return false;
  if (!COUNT_KEYS.every((k) => isCount(n[k]))) return false;
  return optionalFieldsWellFormed(n);
}

function optionalFieldsWellFormed(n: Record<string, unknown>): boolean {
  if ('content' in n && !(Array.isArray(n.content) && n.content.every((c) => (typeof c === 'string' ? isId(c) : Number.isSafeInteger(c) && (c as number) > 0)))) return false;
  if ('subtree' in n && !(typeof n.subtree === 'string' && isId(n.subtree))) return false;
  if ('target' in n && typeof n.target !== 'string') return false;
  return !('rdev' in n) || isCount(n.rdev);
}

/** Throws a ShapeError naming the first fault of a tree `isWellFormedTree` refused. */
function explainTree(json: unknown): void {
  const nodes = fields(json, 'tree', ['nodes']).nodes;
  list(nodes, 'nodes', (node, path) => {
    const n = fields(node, path, [...KNOWN_KEYS]);
    const name = text(n.name, `${path}.name`);
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new ShapeError(`${path}.name: not a plain name: ${JSON.stringify(name)}`);
    oneOf(n.type, `${path}.type`, [...NODE_TYPES] as string[]);
    number(n.mtime, `${path}.mtime`);
    number(n.ctime, `${path}.ctime`);
    for (const k of COUNT_KEYS) integer(n[k], `${path}.${k}`, { min: 0 });
    optional(n.content, `${path}.content`, (c, p) => list(c, p, (ref, rp) => (typeof ref === 'string' ? hexId(ref, rp) : integer(ref, rp, { min: 1 }))));
    optional(n.subtree, `${path}.subtree`, hexId);
    optional(n.target, `${path}.target`, text);
    optional(n.rdev, `${path}.rdev`, (r, p) => integer(r, p, { min: 0 }));
  });
}

/** The data blob ids a node's content refers to (zero runs excluded). */
export function contentIds(node: TreeNode): Id[] {
  return (node.content ?? []).filter((c): c is Id => typeof c === 'string');
}
