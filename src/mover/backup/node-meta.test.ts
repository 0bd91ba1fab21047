import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreeNode } from '../../repo/tree/tree.ts';
import { sameNodes, unchanged } from './node-meta.ts';

const content = ['aa'.repeat(32)];
const base: TreeNode = { name: 'f', type: 'file', mode: 0o644, uid: 1, gid: 1, mtime: 5.5, ctime: 6.5, inode: 7, dev: 8, links: 1, size: 10, content };

describe('sameNodes', () => {
  const cases: Array<[string, Partial<TreeNode>, boolean]> = [
    ['identical, content shared', {}, true],
    ['content rebuilt (even if equal)', { content: [...content] }, false],
    ['name', { name: 'g' }, false],
    ['mode', { mode: 0o600 }, false],
    ['mtime', { mtime: 5.25 }, false],
    ['links', { links: 2 }, false],
    ['size', { size: 11 }, false],
    ['symlink target', { target: 'x' }, false],
    ['rdev', { rdev: 3 }, false],
    ['subtree', { subtree: 'bb'.repeat(32) }, false],
  ];
  for (const [what, change, same] of cases) {
    it(`${what}: ${same ? 'same' : 'different'}`, () => {
      assert.equal(sameNodes([{ ...base }], [{ ...base, ...change }]), same);
    });
  }
  it('different lengths differ', () => {
    assert.equal(sameNodes([base], [base, { ...base, name: 'g' }]), false);
    assert.equal(sameNodes([], []), true);
  });
});

describe('unchanged', () => {
  const cases: Array<[string, Partial<TreeNode>, boolean, boolean]> = [
    // what changed, change, unchanged (strict), unchanged (size-mtime)
    ['nothing', {}, true, true],
    ['inode (a volume restored from a snapshot)', { inode: 99 }, false, true],
    ['ctime', { ctime: 9.5 }, false, true],
    ['inode and ctime', { inode: 99, ctime: 9.5 }, false, true],
    ['mtime', { mtime: 5.25 }, false, false],
    ['size', { size: 11 }, false, false],
  ];
  for (const [what, change, strict, sizeMtime] of cases) {
    it(`${what}: strict ${strict}, size-mtime ${sizeMtime}`, () => {
      const node = { ...base, ...change, content: undefined };
      assert.equal(unchanged(node, base), strict);
      assert.equal(unchanged(node, base, 'size-mtime'), sizeMtime);
    });
  }
  it('a parent without content or of another type never matches', () => {
    assert.equal(unchanged(base, { ...base, content: undefined }, 'size-mtime'), false);
    assert.equal(unchanged(base, { ...base, type: 'symlink' }, 'size-mtime'), false);
    assert.equal(unchanged(base, undefined, 'size-mtime'), false);
  });
});
