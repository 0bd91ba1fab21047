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

function verifyFile(repo: Repository, path: string, node: TreeNode): void {
  const fd = openSync(path, 'r');
  try {
    let pos = 0;
    for (const ref of node.content ?? []) {
      const len = typeof ref === 'number' ? ref : (repo.index.get(ref)?.rawLength ?? 0);
      const buf = Buffer.allocUnsafe(len);
      const n = readSync(fd, buf, 0, len, pos);
      if (n !== len) throw new Error(`short read at offset ${pos}`);
      const ok = typeof ref === 'number' ? isAllZero(buf) : repo.hasher.idHex(buf) === ref;
      if (!ok) throw new Error(`content differs at offset ${pos}`);
      pos += len;
    }
    if (readSync(fd, Buffer.alloc(1), 0, 1, pos) !== 0) throw new Error(`file is longer than ${pos} bytes`);
  } finally {
    closeSync(fd);
  }
}
