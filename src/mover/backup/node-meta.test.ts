import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TreeNode } from '../../repo/tree/tree.ts';
import { sameNodes } from './node-meta.ts';

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
