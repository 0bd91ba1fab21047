/** Decrypts, decompresses and authenticates blobs read back from packs. */
import { grownScratch } from '../core/buffers.ts';
import { HoldfastError } from '../core/errors.ts';
import type { BlobLocation } from './blob.ts';
import { createBlobDecompressor } from './compression.ts';
import type { BlobDecompressor } from './compression.ts';
import { SEAL_OVERHEAD, openInto } from './crypto/aead.ts';
import { BlobIds } from './blob-ids.ts';
import type { SealerKeys } from './blob-sealer.ts';

export type BlobRef = Pick<BlobLocation, 'id' | 'type' | 'pack' | 'length' | 'rawLength' | 'compressed'>;

export class BlobOpener {
  readonly #encKey: Buffer;
  readonly #ids: BlobIds;
  readonly #decompress: BlobDecompressor = createBlobDecompressor();
  /** Where compressed blobs are decrypted before they are decompressed (reused, grown as needed). */
  #scratch = Buffer.alloc(0);

  constructor(keys: SealerKeys) {
    this.#encKey = keys.encKey;
    this.#ids = new BlobIds(keys.idKey);
  }

  open(loc: BlobRef, sealed: Uint8Array): Buffer {
    const where = `blob ${loc.id} in pack ${loc.pack}`;
    if (sealed.byteLength !== loc.length) {
      throw new HoldfastError('REPO_CORRUPT', `${where}: read ${sealed.byteLength} bytes, expected ${loc.length}`);
    }
    const size = Math.max(sealed.byteLength - SEAL_OVERHEAD, 0);
    let plain: Buffer;
    if (loc.compressed) {
      this.#scratch = grownScratch(this.#scratch, size);
      const data = this.#scratch.subarray(0, openInto(this.#encKey, sealed, { out: this.#scratch, offset: 0 }, where));
      try {
        plain = this.#decompress(data, loc.rawLength);
      } catch (cause) {
        throw new HoldfastError('REPO_CORRUPT', `${where}: cannot decompress`, { cause });
      }
    } else {
      plain = Buffer.allocUnsafeSlow(size);
      openInto(this.#encKey, sealed, { out: plain, offset: 0 }, where);
    }
    if (plain.byteLength !== loc.rawLength || this.#ids.idHex(plain, loc.type) !== loc.id) {
      throw new HoldfastError('AUTH_FAILED', `${where}: content does not match its id`);
    }
    return plain;
  }
}
