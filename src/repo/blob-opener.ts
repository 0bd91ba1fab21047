/** Decrypts, decompresses and authenticates blobs read back from packs. */
import { HoldfastError } from '../core/errors.ts';
import type { BlobLocation } from './blob.ts';
import { createBlobDecompressor } from './compression.ts';
import type { BlobDecompressor } from './compression.ts';
import { open } from './crypto/aead.ts';
import { BlobIds } from './blob-ids.ts';
import type { SealerKeys } from './blob-sealer.ts';

export type BlobRef = Pick<BlobLocation, 'id' | 'type' | 'pack' | 'length' | 'rawLength' | 'compressed'>;

export class BlobOpener {
  readonly #encKey: Buffer;
  readonly #ids: BlobIds;
  readonly #decompress: BlobDecompressor = createBlobDecompressor();

  constructor(keys: SealerKeys) {
    this.#encKey = keys.encKey;
    this.#ids = new BlobIds(keys.idKey);
  }

  open(loc: BlobRef, sealed: Uint8Array): Buffer {
    const where = `blob ${loc.id} in pack ${loc.pack}`;
    if (sealed.byteLength !== loc.length) {
      throw new HoldfastError('REPO_CORRUPT', `${where}: read ${sealed.byteLength} bytes, expected ${loc.length}`);
    }
    const data = open(this.#encKey, sealed, undefined, where);
    let plain = data;
    if (loc.compressed) {
      try {
        plain = this.#decompress(data, loc.rawLength);
      } catch (cause) {
        throw new HoldfastError('REPO_CORRUPT', `${where}: cannot decompress`, { cause });
      }
    }
    if (plain.byteLength !== loc.rawLength || this.#ids.idHex(plain, loc.type) !== loc.id) {
      throw new HoldfastError('AUTH_FAILED', `${where}: content does not match its id`);
    }
    return plain;
  }
}
