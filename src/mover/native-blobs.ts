/**
 * What the addon's blob work (native/src/blob.h: check's verifyBlobs, restore's
 * restorePieces) takes from TypeScript, in one place: the keys, a blob's flags, and how
 * many calls to run at once on libuv's pool.
 */
import { availableParallelism } from 'node:os';
import { treeIdKey } from '../repo/blob-ids.ts';
import type { SealerKeys } from '../repo/blob-sealer.ts';

/** encryption, data blob ids, tree blob ids: the addon's three 32-byte keys. */
export type AddonKeys = [Uint8Array, Uint8Array, Uint8Array];

export function addonKeys(key: SealerKeys): AddonKeys {
  return [key.encKey, key.idKey, treeIdKey(key.idKey)];
}

/** blob.h's BLOB_COMPRESSED and BLOB_TREE. */
export function blobFlags(blob: { readonly compressed: boolean; readonly type: string }): number {
  return (blob.compressed ? 1 : 0) | (blob.type === 'tree' ? 2 : 0);
}

/**
 * Calls run at once on the pool: one per CPU (at most 3), so that of libuv's 4 threads
 * one stays free for the reads that feed them.
 */
export function poolCalls(requested?: number): number {
  return requested ?? Math.min(availableParallelism(), 3);
}
