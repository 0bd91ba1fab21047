/**
 * Blobs are the repository's unit of deduplication: a chunk of file or stream data
 * (`data`) or one directory listing (`tree`). A blob's id is the keyed BLAKE3 hash of
 * its plaintext, so equal content is stored once and the storage never learns it.
 */
import type { Id } from '../core/ids.ts';

export type BlobType = 'data' | 'tree';

export const BLOB_TYPE_CODE: Record<BlobType, number> = { data: 1, tree: 2 };

export function blobTypeFromCode(code: number): BlobType | undefined {
  if (code === 1) return 'data';
  if (code === 2) return 'tree';
  return undefined;
}

/** Where a blob lives: which pack, where in it, and its sizes. */
export interface BlobLocation {
  readonly id: Id;
  readonly type: BlobType;
  readonly pack: Id;
  readonly offset: number;
  /** Bytes stored in the pack: nonce + (possibly compressed) ciphertext + tag. */
  readonly length: number;
  /** Plaintext length after decompression. */
  readonly rawLength: number;
  readonly compressed: boolean;
}

/** A blob's bytes before encryption (compressed when `compressed`), for a pack to seal in place. */
export interface PlainBlob {
  readonly id: Id;
  readonly type: BlobType;
  readonly rawLength: number;
  readonly compressed: boolean;
  readonly data: Uint8Array;
}

/** A blob after compression and encryption, ready to append to a pack. */
export interface SealedBlob {
  readonly id: Id;
  readonly type: BlobType;
  readonly rawLength: number;
  readonly compressed: boolean;
  readonly sealed: Uint8Array;
}
