/**
 * The two hashes that name things in a repository.
 *
 * - Blob ids: keyed BLAKE3 (key = the master key's `idKey`) of the plaintext chunk.
 *   Keyed, so that someone who can list or read the (encrypted) repository cannot test
 *   whether it holds a file they know by hashing that file themselves.
 * - Content hashes: unkeyed BLAKE3 of stored (already encrypted) bytes, used to name
 *   pack files and other content-addressed objects, so `check` can verify an object
 *   without the key.
 *
 * Both are 32 bytes (the BLAKE3 default output), written as 64 hex characters (`Id`).
 */
import { Blake3Hasher, blake3 } from '@napi-rs/blake-hash';
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';

export const ID_KEY_BYTES = 32;

export class BlobHasher {
  // One keyed hasher, reset before each use: cheaper than re-keying, and safe because
  // every call runs to completion synchronously.
  readonly #hasher: Blake3Hasher;

  constructor(idKey: Uint8Array) {
    if (idKey.byteLength !== ID_KEY_BYTES) {
      throw new HoldfastError('INTERNAL', `blob id key must be ${ID_KEY_BYTES} bytes, got ${idKey.byteLength}`);
    }
    this.#hasher = Blake3Hasher.newKeyed(Buffer.from(idKey));
  }

  /** The 32-byte blob id of `data`. */
  id(data: Uint8Array): Buffer {
    this.#hasher.reset();
    this.#hasher.update(data);
    return this.#hasher.digestBuffer();
  }

  /** The id as hex, with no Buffer made on the way (a backup hashes one blob per small file). */
  idHex(data: Uint8Array): Id {
    this.#hasher.reset();
    this.#hasher.update(data);
    return this.#hasher.digest('hex');
  }
}

/** Unkeyed BLAKE3 of stored bytes: the name of a pack file or content-addressed object. */
export function contentHash(data: Uint8Array): Buffer {
  return blake3(data);
}

/** `contentHash` of bytes that arrive in pieces (a pack written as it fills). */
export class ContentHasher {
  readonly #hasher = new Blake3Hasher();

  update(data: Uint8Array): void {
    this.#hasher.update(data);
  }

  digest(): Buffer {
    return this.#hasher.digestBuffer();
  }
}
