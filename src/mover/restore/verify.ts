/**
 * `restore --verify`: reads every restored file back and checks each piece against the
 * blob id it was restored from (zero runs must read back as zeros).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { messageOf } from '../../core/errors.ts';
import type { Repository } from '../../repo/repository.ts';
import { isAllZero } from '../../repo/blob-sealer.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';

export function verifyFiles(repo: Repository, files: ReadonlyArray<{ path: string; node: TreeNode }>, errors: Array<{ path: string; message: string }>): number {
  let verified = 0;
  for (const { path, node } of files) {
    try {
      verifyFile(repo, path, node);
      verified++;
    } catch (err) {
      errors.push({ path, message: `verification failed: ${messageOf(err)}` });
    }
  }
  return verified;
}

function readAt(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  if (readSync(fd, buf, 0, len, pos) !== len) throw new Error(`short read at offset ${pos}`);
  return buf;
}

function checkBlob(repo: Repository, fd: number, pos: number, id: string): number {
  const buf = readAt(fd, repo.index.get(id)?.rawLength ?? 0, pos);
  if (repo.hasher.idHex(buf) !== id) throw new Error(`content differs at offset ${pos}`);
  return pos + buf.byteLength;
}

function checkZeros(fd: number, pos: number, run: number): number {
  const step = 1 << 20;
  for (let at = 0; at < run; at += step) {
    if (!isAllZero(readAt(fd, Math.min(step, run - at), pos + at))) throw new Error(`expected zeros at offset ${pos + at}`);
  }
  return pos + run;
}

function verifyFile(repo: Repository, path: string, node: TreeNode): void {
  const fd = openSync(path, 'r');
  try {
    let pos = 0;
    for (const ref of node.content ?? []) {
      pos = typeof ref === 'number' ? checkZeros(fd, pos, ref) : checkBlob(repo, fd, pos, ref);
    }
    if (readSync(fd, Buffer.alloc(1), 0, 1, pos) !== 0) throw new Error(`file is longer than ${pos} bytes`);
  } finally {
    closeSync(fd);
  }
}
