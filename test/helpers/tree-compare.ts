/**
 * Records what a directory tree holds (a manifest: per path its type, size, content hash,
 * mode bits, owner, mtime, symlink target, inode and allocated bytes) and compares two
 * manifests the way a restore must match its source: same names and types, same
 * content, mode, uid/gid, mtime to the millisecond, symlink targets, the same hard-link
 * groups, and sparse files still sparse.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MiB } from './tree-builder.ts';

export interface EntryInfo {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly size: number;
  readonly sha256?: string;
  readonly target?: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly nlink: number;
  /** Bytes the file occupies on disk (st_blocks × 512). */
  readonly allocated: number;
}

/** Path relative to the tree root ('' is the root itself) → what is there. */
export type TreeManifest = ReadonlyMap<string, EntryInfo>;

export async function fileHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function scanTree(root: string): Promise<TreeManifest> {
  const out = new Map<string, EntryInfo>();
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '' ? root : join(root, rel);
    const st = await lstat(abs);
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
    out.set(rel, {
      type, size: type === 'file' ? st.size : 0, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
      mtimeMs: st.mtimeMs, ino: st.ino, nlink: st.nlink, allocated: st.blocks * 512,
      ...(type === 'file' ? { sha256: await fileHash(abs) } : {}),
      ...(type === 'symlink' ? { target: await readlink(abs) } : {}),
    });
    if (type !== 'dir') return;
    for (const name of (await readdir(abs)).sort()) await visit(rel === '' ? name : `${rel}/${name}`);
  };
  await visit('');
  return out;
}

export interface CompareOptions {
  /** Paths of the expected tree that must not be in the actual one (excluded, unreadable). */
  readonly absent?: (path: string) => boolean;
  /** Paths not compared at all (known damaged, say). */
  readonly ignore?: (path: string) => boolean;
}

/** Every difference between an expected and an actual tree, one line each (empty: identical). */
export function diffManifests(expected: TreeManifest, actual: TreeManifest, opts: CompareOptions = {}): string[] {
  const problems: string[] = [];
  const wanted = [...expected.keys()].filter((p) => !opts.absent?.(p) && !opts.ignore?.(p));
  for (const path of wanted) {
    const e = expected.get(path) as EntryInfo;
    const a = actual.get(path);
    if (!a) problems.push(`${show(path)}: missing`);
    else problems.push(...compareEntry(show(path), e, a));
  }
  const extra = [...actual.keys()].filter((p) => !opts.ignore?.(p) && (!expected.has(p) || opts.absent?.(p)));
  for (const path of extra) problems.push(`${show(path)}: not expected`);
  problems.push(...compareLinkGroups(expected, actual, wanted));
  return problems;
}

function show(path: string): string {
  return path === '' ? '(root)' : path;
}

function compareEntry(path: string, e: EntryInfo, a: EntryInfo): string[] {
  const out: string[] = [];
  const differs = (what: string, x: unknown, y: unknown): void => {
    if (x !== y) out.push(`${path}: ${what} ${String(y)}, expected ${String(x)}`);
  };
  differs('type', e.type, a.type);
  if (e.type !== a.type) return out;
  differs('uid', e.uid, a.uid);
  differs('gid', e.gid, a.gid);
  if (Math.abs(e.mtimeMs - a.mtimeMs) >= 1) out.push(`${path}: mtime ${new Date(a.mtimeMs).toISOString()}, expected ${new Date(e.mtimeMs).toISOString()}`);
  if (e.type === 'symlink') differs('target', e.target, a.target);
  else differs('mode', e.mode.toString(8), a.mode.toString(8));
  if (e.type !== 'file') return out;
  differs('size', e.size, a.size);
  differs('content sha256', e.sha256, a.sha256);
  if (isSparse(e) && a.allocated > e.allocated + MiB) out.push(`${path}: no longer sparse (${a.allocated} bytes allocated, source ${e.allocated})`);
  return out;
}

/** A file at least 1 MiB large with less than half of it allocated. */
export function isSparse(e: EntryInfo): boolean {
  return e.type === 'file' && e.size >= MiB && e.allocated < e.size / 2;
}

/** Paths that share an inode must share one in the actual tree too, and only those. */
function compareLinkGroups(expected: TreeManifest, actual: TreeManifest, paths: string[]): string[] {
  const files = paths.filter((p) => expected.get(p)?.type === 'file' && actual.get(p)?.type === 'file');
  const groups = (m: TreeManifest): Map<string, string> => {
    const byIno = new Map<number, string[]>();
    for (const p of files) {
      const ino = (m.get(p) as EntryInfo).ino;
      byIno.set(ino, [...(byIno.get(ino) ?? []), p]);
    }
    return new Map(files.map((p) => [p, (byIno.get((m.get(p) as EntryInfo).ino) ?? []).join(' = ')]));
  };
  const want = groups(expected);
  const got = groups(actual);
  return files.filter((p) => want.get(p) !== got.get(p)).map((p) => `${p}: hard links ${got.get(p)}, expected ${want.get(p)}`);
}

/** Asserts that `actual` (a folder or a manifest) matches `expected`. */
export async function assertSameTree(expected: string | TreeManifest, actual: string | TreeManifest, opts: CompareOptions = {}): Promise<void> {
  const e = typeof expected === 'string' ? await scanTree(expected) : expected;
  const a = typeof actual === 'string' ? await scanTree(actual) : actual;
  const problems = diffManifests(e, a, opts);
  assert.deepEqual(problems, [], `trees differ:\n  ${problems.slice(0, 40).join('\n  ')}`);
}
