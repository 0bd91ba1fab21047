import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { decodeTree, encodeTree } from './tree.ts';
import type { TreeNode } from './tree.ts';

const ID = 'ab'.repeat(32);
const file: TreeNode = { name: 'a.txt', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1.5, ctime: 2, inode: 3, dev: 4, links: 1, size: 10, content: [ID, 7] };
const dir: TreeNode = { name: 'sub', type: 'dir', mode: 0o755, uid: 1, gid: 1, mtime: 1, ctime: 1, inode: 5, dev: 4, links: 2, size: 0, subtree: ID };
const link: TreeNode = { name: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1, ctime: 1, inode: 6, dev: 4, links: 1, size: 0, target: 'a.txt' };
const dev: TreeNode = { name: 'null', type: 'chardev', mode: 0o666, uid: 0, gid: 0, mtime: 1, ctime: 1, inode: 7, dev: 4, links: 1, size: 0, rdev: 259 };

function raw(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

describe('decodeTree', () => {
  it('round-trips every node kind', () => {
    const nodes = [file, dir, link, dev];
    assert.deepEqual(decodeTree(encodeTree(nodes), 't').nodes, [file, link, dev, dir].sort((a, b) => (a.name < b.name ? -1 : 1)));
  });

  it('encodes keys in the canonical order, leaving out absent and unknown ones', () => {
    const messy = { size: 10, name: 'a.txt', type: 'file', content: [ID, 7], mode: 0o644, uid: 0, gid: 0, ctime: 2, mtime: 1.5, inode: 3, dev: 4, links: 1, subtree: undefined, extra: 'x' };
    const expected = `{"nodes":[{"name":"a.txt","type":"file","mode":420,"uid":0,"gid":0,"mtime":1.5,"ctime":2,"inode":3,"dev":4,"links":1,"size":10,"content":["${ID}",7]}]}`;
    assert.equal(encodeTree([messy as unknown as TreeNode]).toString(), expected);
  });

  const malformed: Array<[string, unknown]> = [
    ['not an object', [1]],
    ['an extra top-level key', { nodes: [], extra: 1 }],
    ['nodes not an array', { nodes: {} }],
    ['an unknown node key', { nodes: [{ ...file, atime: 1 }] }],
    ['an empty name', { nodes: [{ ...file, name: '' }] }],
    ['a name with a slash', { nodes: [{ ...file, name: 'a/b' }] }],
    ['a dot-dot name', { nodes: [{ ...file, name: '..' }] }],
    ['an unknown type', { nodes: [{ ...file, type: 'door' }] }],
    ['a negative mode', { nodes: [{ ...file, mode: -1 }] }],
    ['a fractional size', { nodes: [{ ...file, size: 1.5 }] }],
    ['a missing uid', { nodes: [{ ...file, uid: undefined }] }],
    ['a string mtime', { nodes: [{ ...file, mtime: '1' }] }],
    ['a short content id', { nodes: [{ ...file, content: ['abc'] }] }],
    ['a zero hole', { nodes: [{ ...file, content: [0] }] }],
    ['a null content', { nodes: [{ ...file, content: null }] }],
    ['an uppercase subtree id', { nodes: [{ ...dir, subtree: ID.toUpperCase() }] }],
    ['a numeric target', { nodes: [{ ...link, target: 5 }] }],
    ['a negative rdev', { nodes: [{ ...dev, rdev: -1 }] }],
  ];
  for (const [what, value] of malformed) {
    it(`refuses ${what}, naming the tree and the fault`, () => {
      assert.throws(() => decodeTree(raw(value), 'tree-x'), (err: unknown) => isHoldfastError(err, 'REPO_CORRUPT') && /^tree tree-x is malformed: (tree|nodes)\S*: \S/.test(err.message));
    });
  }
});
