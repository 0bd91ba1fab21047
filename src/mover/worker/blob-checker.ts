/**
 * Verifies blobs exactly as `BlobOpener.open` does (same checks, same errors) without
 * handing their plaintext back: `check --read-data` only needs to know that each blob
 * decrypts, decompresses to its length and hashes to its id. A compressed blob is
 * decompressed into one buffer reused from blob to blob, instead of a fresh buffer per
 * blob that the collector must then reclaim; for a whole repository that is gigabytes of
 * garbage less per worker. Without the native zstd binding it simply uses BlobOpener.
 */
import { createRequire } from 'node:module';
import { HoldfastError } from '../../core/errors.ts';
import { BlobIds } from '../../repo/blob-ids.ts';
import { BlobOpener } from '../../repo/blob-opener.ts';
import type { BlobRef } from '../../repo/blob-opener.ts';
import type { SealerKeys } from '../../repo/blob-sealer.ts';
import { open } from '../../repo/crypto/aead.ts';

interface NativeDCtx {
  decompress(dst: Uint8Array, src: Uint8Array): number;
}

function nativeContext(): NativeDCtx | undefined {
  try {
    const binding = createRequire(import.meta.url)('zstd-napi/binding') as { DCtx: new () => NativeDCtx };
    return new binding.DCtx();
  } catch {
    return undefined;
  }
}

export class BlobChecker {
  readonly #encKey: Buffer;
  readonly #ids: BlobIds;
  readonly #opener: BlobOpener;
  readonly #dctx: NativeDCtx | undefined = nativeContext();
  #scratch = Buffer.alloc(0);

  constructor(keys: SealerKeys, opener = new BlobOpener(keys)) {
    this.#encKey = keys.encKey;
    this.#ids = new BlobIds(keys.idKey);
    this.#opener = opener;
  }

  /** Throws what `BlobOpener.open` would throw for this blob; returns nothing. */
  check(ref: BlobRef, sealed: Uint8Array): void {
    if (!this.#dctx) {
      this.#opener.open(ref, sealed);
      return;
    }
    const where = `blob ${ref.id} in pack ${ref.pack}`;
    if (sealed.byteLength !== ref.length) {
      throw new HoldfastError('REPO_CORRUPT', `${where}: read ${sealed.byteLength} bytes, expected ${ref.length}`);
    }
    const data = open(this.#encKey, sealed, undefined, where);
    const plain = ref.compressed ? this.#decompress(this.#dctx, ref, data, where) : data;
    if (plain.byteLength !== ref.rawLength || this.#ids.idHex(plain, ref.type) !== ref.id) {
      throw new HoldfastError('AUTH_FAILED', `${where}: content does not match its id`);
    }
  }

  #decompress(dctx: NativeDCtx, ref: BlobRef, data: Uint8Array, where: string): Uint8Array {
    if (this.#scratch.byteLength < ref.rawLength) this.#scratch = Buffer.allocUnsafeSlow(Math.max(ref.rawLength, 2 * this.#scratch.byteLength));
    try {
      const n = dctx.decompress(this.#scratch, data);
      if (n !== ref.rawLength) throw new Error(`decompressed to ${n} bytes, expected ${ref.rawLength}`);
      return this.#scratch.subarray(0, n);
    } catch (cause) {
      throw new HoldfastError('REPO_CORRUPT', `${where}: cannot decompress`, { cause });
    }
  }
}
