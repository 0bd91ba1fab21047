/**
 * `dump`: streams one file of a snapshot (for a stream snapshot, the stream itself) to a
 * writable, reading a few blobs ahead; zero runs are written as zeros.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { releaseBuffer } from '../../core/buffers.ts';
import { HoldfastError } from '../../core/errors.ts';
import type { Repository } from '../../repo/repository.ts';
import type { Snapshot } from '../../repo/snapshot/snapshot.ts';
import type { TreeNode } from '../../repo/tree/tree.ts';
import { loadTree } from './tree-walk.ts';

const READ_AHEAD = 8;
const ZERO_BLOCK = 1 << 20;
/** Zeros for holes, made on the first one (not at load: every command loads this module). */
let zeros: Buffer | undefined;

/** Finds a node by its path inside the snapshot ('' or the only entry: the root's sole file). */
export async function findNode(repo: Repository, snapshot: Snapshot, path: string): Promise<TreeNode> {
  const parts = path.split('/').filter((p) => p.length > 0);
  let nodes = await loadTree(repo, snapshot.tree);
  if (parts.length === 0 && nodes.length === 1 && nodes[0]) return nodes[0];
  let found: TreeNode | undefined;
  for (const [i, part] of parts.entries()) {
    found = nodes.find((n) => n.name === part);
    if (!found) break;
    if (i < parts.length - 1) {
      if (found.type !== 'dir' || !found.subtree) { found = undefined; break; }
      nodes = await loadTree(repo, found.subtree);
    }
  }
  if (!found) throw new HoldfastError('USAGE', `'${path}' is not in snapshot ${snapshot.id.slice(0, 8)}`);
  return found;
}

export async function dumpFile(repo: Repository, node: TreeNode, out: Writable): Promise<number> {
  if (node.type !== 'file') throw new HoldfastError('USAGE', `'${node.name}' is a ${node.type}, not a file`);
  const content = node.content ?? [];
  const pending: Array<Promise<Buffer | number>> = [];
  let next = 0;
  let written = 0;
  const fill = (): void => {
    while (pending.length < READ_AHEAD && next < content.length) {
      const ref = content[next++] as string | number;
      const p = typeof ref === 'number' ? Promise.resolve(ref) : repo.loadBlob(ref, 'data');
      p.catch(() => {});
      pending.push(p);
    }
  };
  fill();
  while (pending.length > 0) {
    const data = await (pending.shift() as Promise<Buffer | number>);
    fill();
    written += await write(out, data);
  }
  return written;
}

/** Writes a blob, or a zero run in pieces of at most ZERO_BLOCK bytes. */
async function write(out: Writable, data: Buffer | number): Promise<number> {
  if (typeof data !== 'number') {
    const length = data.byteLength;
    await put(out, data, true);
    return length;
  }
  zeros ??= Buffer.alloc(ZERO_BLOCK);
  for (let left = data; left > 0; left -= ZERO_BLOCK) await put(out, zeros.subarray(0, Math.min(left, ZERO_BLOCK)));
  return data;
}

/**
 * Writes one piece and waits for room; a reader that went away (a loader that exited
 * without reading its input) ends the dump with an error instead of a wait for a
 * 'drain' that never comes. An `owned` piece (a blob's plaintext, megabytes) is freed as
 * soon as the stream is done with it, not at some later collection: dumping a 500 MB
 * stream otherwise held tens of megabytes of written blobs.
 */
async function put(out: Writable, piece: Buffer, owned = false): Promise<void> {
  if (out.destroyed || out.writableEnded) throw gone();
  if (out.write(piece, owned ? () => releaseBuffer(piece) : undefined)) return;
  const ac = new AbortController();
  try {
    await Promise.race([
      once(out, 'drain', { signal: ac.signal }),
      once(out, 'close', { signal: ac.signal }).then(() => { throw gone(); }),
      once(out, 'error', { signal: ac.signal }).then(([err]) => { throw gone(err); }),
    ]);
  } finally {
    ac.abort();
  }
}

function gone(cause?: unknown): HoldfastError {
  return new HoldfastError('INTERRUPTED', 'the reader of the restored stream closed it before the end', cause === undefined ? {} : { cause });
}
