/**
 * Blob ids per blob type. Data ids are keyed BLAKE3 with the master key's `idKey`; tree
 * ids use a second key derived from it, so a tree and a data chunk with equal bytes
 * (an empty directory's `{"nodes":[]}` and a 12-byte file holding that text) never share
 * an id, and dedup, index lookups and prune can never mistake one for the other.
 */
import { Blake3Hasher } from '@napi-rs/blake-hash';
import type { Id } from '../core/ids.ts';
import type { BlobType } from './blob.ts';
import { BlobHasher } from './crypto/keyed-hash.ts';

const TREE_KEY_CONTEXT = 'holdfast tree id key v1';

export function treeIdKey(idKey: Uint8Array): Buffer {
  return Blake3Hasher.newKeyed(Buffer.from(idKey)).update(TREE_KEY_CONTEXT).digestBuffer();
}

export class BlobIds {
  readonly #data: BlobHasher;
  readonly #tree: BlobHasher;

  constructor(idKey: Uint8Array) {
    this.#data = new BlobHasher(idKey);
    this.#tree = new BlobHasher(treeIdKey(idKey));
  }

  id(plain: Uint8Array, type: BlobType): Buffer {
    return (type === 'tree' ? this.#tree : this.#data).id(plain);
  }

  idHex(plain: Uint8Array, type: BlobType): Id {
    return (type === 'tree' ? this.#tree : this.#data).idHex(plain);
  }
}
