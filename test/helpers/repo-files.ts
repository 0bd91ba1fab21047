/**
 * Looking at and damaging a filesystem repository from the outside: which objects it
 * holds, a fingerprint of every file (to prove a failed command changed nothing), where
 * a snapshot's file lives in which pack, and byte flips for corruption tests.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectType } from '#src/backend/storage.ts';
import type { BlobLocation } from '#src/repo/blob.ts';
import type { Repository } from '#src/repo/repository.ts';
import { findSnapshot } from '#src/repo/snapshot/snapshot-store.ts';
import { contentIds } from '#src/repo/tree/tree.ts';
import { findNode } from '#src/mover/restore/dump.ts';
import { fileHash } from './tree-compare.ts';

/** Names of the stored objects of one type (temporary files left out). */
export function objectNames(repoDir: string, type: Exclude<ObjectType, 'config'>): string[] {
  const folders = type === 'data' ? readdirSync(join(repoDir, 'data')).map((d) => join('data', d)) : [type];
  return folders.flatMap((f) => readdirSync(join(repoDir, f)).filter((n) => !n.startsWith('.'))).sort();
}

export function objectCount(repoDir: string, type: Exclude<ObjectType, 'config'>): number {
  return objectNames(repoDir, type).length;
}

/** Paths (relative to the root) of the temporary files in the root and every object folder. */
export function tempFiles(repoDir: string): string[] {
  const folders = ['', 'keys', 'index', 'snapshots', 'locks', ...readdirSync(join(repoDir, 'data')).map((d) => join('data', d))];
  return folders.flatMap((f) => readdirSync(join(repoDir, f)).filter((n) => n.startsWith('.tmp-')).map((n) => join(f, n))).sort();
}

export function packPath(repoDir: string, pack: string): string {
  return join(repoDir, 'data', pack.slice(0, 2), pack);
}

export function objectPath(repoDir: string, type: Exclude<ObjectType, 'config' | 'data'>, name: string): string {
  return join(repoDir, type, name);
}

/** Relative path → sha256 of every file in the repository folder. */
export async function fingerprint(repoDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(repoDir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath, e.name);
    out.set(abs.slice(repoDir.length + 1), await fileHash(abs));
  }
  return out;
}

export async function assertRepositoryUnchanged(repoDir: string, before: Map<string, string>, what: string): Promise<void> {
  const after = await fingerprint(repoDir);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
  assert.deepEqual(changed, [], `${what} changed repository files`);
}

/** Inverts the bits of one byte of a file. */
export async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, offset);
    buf[0] = (buf[0] ?? 0) ^ 0xff;
    await fh.write(buf, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** The locations of a file's data blobs in a snapshot (`path` as inside the snapshot, e.g. 'src/a'). */
export async function fileBlobs(repo: Repository, snapshotRef: string, path: string): Promise<BlobLocation[]> {
  if (repo.index.size === 0) await repo.loadIndex();
  const snapshot = await findSnapshot(repo, snapshotRef);
  const node = await findNode(repo, snapshot, path);
  return contentIds(node).map((id) => {
    const loc = repo.index.get(id);
    assert.ok(loc, `blob ${id} of ${path} is indexed`);
    return loc;
  });
}
