import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isExcluded, readListing } from './dir-listing.ts';
import type { DirListing, TreeScanner } from './dir-listing.ts';
import { DirScanner } from './dir-scanner.ts';
import { NativeDirScanner, nativeListDir } from './native-scanner.ts';

const FIELDS = ['mode', 'uid', 'gid', 'mtimeMs', 'ctimeMs', 'ino', 'dev', 'nlink', 'size', 'rdev'] as const;

/** Names and the stat fields trees are built from (Stats objects carry more, such as atime). */
function entries(l: DirListing, keep: (name: string) => boolean = () => true): unknown[] {
  return l.names.flatMap((name, i) => {
    if (!keep(name)) return [];
    const st = l.stat(i);
    return [[name, typeof st === 'string' ? st : FIELDS.map((f) => st[f])]];
  });
}

/** Every directory below `root` (itself included), depth-first as the archiver walks. */
function dirsOf(root: string, excludes: readonly string[] = []): string[] {
  const out = [root];
  const l = readListing(root);
  l.names.forEach((name, i) => {
    const st = l.stat(i);
    const child = join(root, name);
    if (typeof st !== 'string' && (st.mode & 0o170000) === 0o040000 && !isExcluded(child, name, excludes)) out.push(...dirsOf(child, excludes));
  });
  return out;
}

const native = nativeListDir();
type Start = (roots: readonly string[], excludes: readonly string[], ahead?: number) => TreeScanner;
const SCANNERS: Array<[string, Start]> = [
  ['DirScanner (worker thread)', (r, e, a) => DirScanner.start(r, e, a)],
  ['NativeDirScanner (libuv pool)', (r, e, a) => (native ? NativeDirScanner.start(native, r, e, a) : assert.fail('holdfast-native has no listDir: run `npm install` (node-gyp)'))],
];

for (const [name, start] of SCANNERS) describe(name, () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'holdfast-scan-'));
    for (const d of ['a', 'a/deep', 'a/deep/er', 'b', 'cache', 'b/cache', 'é']) await mkdir(join(root, d), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(join(root, i % 2 ? 'a' : 'b', `f${i}.txt`), 'x'.repeat(i));
    await writeFile(join(root, 'a/deep/er/leaf'), 'leaf');
    await writeFile(join(root, 'é/ü.txt'), 'u');
    await symlink('a', join(root, 'link'));
    await symlink('missing', join(root, 'dangling'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('hands over exactly what reading each directory gives', async () => {
    const scanner = start([root], []);
    try {
      for (const dir of dirsOf(root)) {
        const scanned = await scanner.take(dir);
        assert.ok(scanned, dir);
        assert.deepEqual(entries(scanned), entries(readListing(dir)), dir);
      }
      assert.equal(await scanner.take(join(root, 'link')), undefined, 'a symlink is not followed');
    } finally {
      await scanner.close();
    }
  });

  it('leaves out what the excludes match and does not descend into it', async () => {
    const excludes = ['cache', '**/deep'];
    const scanner = start([root], excludes);
    try {
      for (const dir of dirsOf(root, excludes)) {
        const scanned = await scanner.take(dir);
        assert.ok(scanned, dir);
        assert.deepEqual(entries(scanned), entries(readListing(dir), (n) => !isExcluded(join(dir, n), n, excludes)), dir);
      }
      assert.equal(await scanner.take(join(root, 'b/cache')), undefined);
      assert.equal(await scanner.take(join(root, 'a/deep')), undefined);
    } finally {
      await scanner.close();
    }
  });

  it('stays only a little ahead, and still hands over a directory asked for out of turn', async () => {
    const scanner = start([root], [], 1);
    try {
      const dirs = dirsOf(root);
      const last = dirs.at(-1) as string;
      assert.deepEqual(entries((await scanner.take(last)) ?? readListing('/nowhere')), entries(readListing(last)));
      for (const dir of dirs.slice(0, -1)) assert.ok(await scanner.take(dir), dir);
    } finally {
      await scanner.close();
    }
  });

  it('reports a directory it cannot list, and has nothing for paths it did not scan', async () => {
    const missing = join(root, 'gone');
    const scanner = start([root, join(root, 'a/f1.txt'), missing], []);
    try {
      assert.equal(await scanner.take(missing), undefined);
      assert.equal(await scanner.take('/nowhere'), undefined);
      const gone = readListing(missing);
      assert.match(gone.error ?? '', /ENOENT/);
    } finally {
      await scanner.close();
    }
  });
});
