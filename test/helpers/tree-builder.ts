/**
 * Builds real directory trees for backup tests: every kind of entry and metadata a
 * backup must carry — random and compressible files, empty files, a file of several
 * MiB, a sparse file, nested folders, symlinks (one dangling), hard links, special mode
 * bits (0600, 0755, a setgid and a sticky folder), other owners, and distinct mtimes
 * (with sub-millisecond parts) on files, folders and symlinks.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, lchown, link, lutimes, mkdir, open, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface TreeOptions {
  /** Size of the large file (default 18 MiB: more than one 16 MiB restore piece). */
  readonly bigFileBytes?: number;
  /** Apparent size of the sparse file (default 24 MiB). */
  readonly sparseFileBytes?: number;
  /** Give some entries other owners (needs root; default: when running as root). */
  readonly otherOwners?: boolean;
}

/** Notable entries, as paths relative to the tree root. */
export interface BuiltTree {
  readonly root: string;
  readonly big: string;
  readonly sparse: string;
  readonly text: string;
  readonly empty: string;
  readonly hardLinks: readonly string[];
  readonly symlinks: readonly string[];
  readonly secret: string;
}

/** Text that compresses well but is not trivial (varying numbers on every line). */
export function compressible(bytes: number, seed = 0): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${seed}:${i} INSERT INTO orders (id, customer, total) VALUES (${i * 7 + seed}, 'customer-${i % 97}', ${(i * 13) % 1000}.${i % 100});\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** Half random, half compressible, so a file exercises both stored forms. */
export function mixed(bytes: number, seed = 0): Buffer {
  const half = Math.floor(bytes / 2);
  return Buffer.concat([randomBytes(half), compressible(bytes - half, seed)]);
}

/** A time with a sub-millisecond part, `days` after 2001-02-03 04:05:06. */
export function timeAt(days: number): Date {
  return new Date(Date.UTC(2001, 1, 3, 4, 5, 6) + days * 86_400_000 + 123.456);
}

/** Writes a file, making its folder first. */
export async function put(path: string, content: Uint8Array | string, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  if (mode !== undefined) await chmod(path, mode);
}

/** A file of `bytes` apparent size holding data only in a few small extents. */
export async function writeSparse(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'w');
  try {
    await fh.truncate(bytes);
    await fh.write(randomBytes(64 * KiB), 0, 64 * KiB, 0);
    await fh.write(randomBytes(4 * KiB), 0, 4 * KiB, Math.floor(bytes / 3) + 123);
    await fh.write(randomBytes(KiB), 0, KiB, bytes - KiB);
  } finally {
    await fh.close();
  }
}

/** Many files of random content under `dir` (for bulk data: crash and prune tests). */
export async function writeRandomFiles(dir: string, count: number, bytesEach: number, prefix = 'f'): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const size = Math.max(1, Math.round(bytesEach * (0.5 + ((i * 37) % 100) / 100)));
    await writeFile(join(dir, `${prefix}${String(i).padStart(4, '0')}`), i % 4 === 0 ? mixed(size, i) : randomBytes(size));
  }
}

export async function buildTree(root: string, opts: TreeOptions = {}): Promise<BuiltTree> {
  const owners = opts.otherOwners ?? process.getuid?.() === 0;
  const p = (rel: string): string => join(root, rel);
  await mkdir(root, { recursive: true });
  await put(p('empty'), '');
  await put(p('random.bin'), randomBytes(10 * KiB + 7));
  await put(p('text.txt'), compressible(300 * KiB));
  await put(p('big.bin'), mixed(opts.bigFileBytes ?? 18 * MiB, 1));
  await writeSparse(p('disk.img'), opts.sparseFileBytes ?? 24 * MiB);
  await put(p('private.key'), randomBytes(3 * KiB), 0o600);
  await put(p('run.sh'), '#!/bin/sh\necho hello\n', 0o755);
  await put(p('name with spaces & ünïcødé.txt'), 'spaces and unicode\n');
  await put(p('sub/nested/deeper/leaf.txt'), compressible(5 * KiB, 2));
  await put(p('sub/nested/also-empty'), '');
  await put(p('sub/nested/random.dat'), randomBytes(200 * KiB));
  await put(p('shared/group-file'), 'in a setgid folder\n', 0o664);
  await put(p('tmp/sticky-file'), 'in a sticky folder\n');
  await put(p('hardlink-a'), randomBytes(40 * KiB));
  await link(p('hardlink-a'), p('sub/hardlink-b'));
  await link(p('hardlink-a'), p('sub/nested/hardlink-c'));
  await symlink('text.txt', p('link-to-text'));
  await symlink('does/not/exist', p('dangling-link'));
  await symlink('../../random.bin', p('sub/nested/relative-link'));
  await mkdir(p('empty-dir'));
  await chmod(p('shared'), 0o2775);
  await chmod(p('tmp'), 0o1777);
  await chmod(p('sub'), 0o750);
  if (owners) {
    await chown(p('random.bin'), 1234, 4321);
    await chown(p('shared'), 1000, 2000);
    await chown(p('shared/group-file'), 1001, 2000);
    await lchown(p('sub/nested/relative-link'), 4242, 4343);
  }
  await setTimes(p, [
    'empty', 'random.bin', 'text.txt', 'big.bin', 'disk.img', 'private.key', 'run.sh', 'name with spaces & ünïcødé.txt',
    'sub/nested/deeper/leaf.txt', 'sub/nested/also-empty', 'sub/nested/random.dat', 'shared/group-file', 'tmp/sticky-file', 'hardlink-a',
  ], ['link-to-text', 'dangling-link', 'sub/nested/relative-link'], ['sub/nested/deeper', 'sub/nested', 'sub', 'shared', 'tmp', 'empty-dir', '.']);
  return {
    root,
    big: 'big.bin',
    sparse: 'disk.img',
    text: 'text.txt',
    empty: 'empty',
    hardLinks: ['hardlink-a', 'sub/hardlink-b', 'sub/nested/hardlink-c'],
    symlinks: ['link-to-text', 'dangling-link', 'sub/nested/relative-link'],
    secret: 'private.key',
  };
}

/** Distinct mtimes: files, then symlinks, then folders deepest first (writing into a folder changes its mtime). */
async function setTimes(p: (rel: string) => string, files: string[], links: string[], dirs: string[]): Promise<void> {
  let day = 0;
  for (const f of files) await utimes(p(f), timeAt(day), timeAt(++day));
  for (const l of links) await lutimes(p(l), timeAt(day), timeAt(++day));
  for (const d of dirs) await utimes(p(d), timeAt(day), timeAt(++day));
}
