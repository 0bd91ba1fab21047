/**
 * Opens blobs exactly as `BlobOpener.open` does (same checks, same errors), for callers
 * that use the plaintext at once and drop it: `check --read-data` only needs to know
 * that each blob decrypts, decompresses to its length and hashes to its id, and restore
 * writes it to a file and moves on. A compressed blob is
 * decompressed into one buffer reused from blob to blob, instead of a fresh buffer per
 * blob that the collector must then reclaim; for a whole repository that is gigabytes of
 * garbage less per worker. Without the native zstd binding it simply uses BlobOpener.
 */
import { createRequire } from 'node:module';
import { grownScratch } from '../../core/buffers.ts';
import { HoldfastError } from '../../core/errors.ts';
import { BlobIds } from '../../repo/blob-ids.ts';
import { BlobOpener } from '../../repo/blob-opener.ts';
import type { BlobRef } from '../../repo/blob-opener.ts';
import type { SealerKeys } from '../../repo/blob-sealer.ts';
import { NONCE_BYTES, SEAL_OVERHEAD, openInto } from '../../repo/crypto/aead.ts';

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
  /** Decrypted blobs when they may not be decrypted in place (reused). */
  #opened = Buffer.alloc(0);
  /** Decompressed blobs (reused). */
  #scratch = Buffer.alloc(0);

  constructor(keys: SealerKeys, opener = new BlobOpener(keys)) {
    this.#encKey = keys.encKey;
    this.#ids = new BlobIds(keys.idKey);
    this.#opener = opener;
  }

  /**
   * Throws what `BlobOpener.open` would throw for this blob; returns nothing. Leaves
   * `sealed` as it was: a pack under check may list a blob twice (two index files).
   */
  check(ref: BlobRef, sealed: Uint8Array): void {
    this.openTransient(ref, sealed, false);
  }

  /**
   * The blob's plaintext, authenticated exactly as `BlobOpener.open` does; a compressed
   * blob's is a view of a buffer reused by the next call, so copy what must outlive it.
   *
   * With `inPlace` it decrypts in place: `sealed` is consumed (its bytes become the
   * plaintext, or zeros when the tag fails), which saves a blob-sized scratch buffer per
   * worker and a copy of every blob; for bytes read for this one use (a restore task's
   * ranges, each blob opened once).
   */
  openTransient(ref: BlobRef, sealed: Uint8Array, inPlace: boolean): Uint8Array {
    if (!this.#dctx) return this.#opener.open(ref, sealed);
    const where = `blob ${ref.id} in pack ${ref.pack}`;
    if (sealed.byteLength !== ref.length) {
      throw new HoldfastError('REPO_CORRUPT', `${where}: read ${sealed.byteLength} bytes, expected ${ref.length}`);
    }
    const data = inPlace ? this.#openInPlace(sealed, where) : this.#openToScratch(sealed, where);
    const plain = ref.compressed ? this.#decompress(this.#dctx, ref, data, where) : data;
    if (plain.byteLength !== ref.rawLength || this.#ids.idHex(plain, ref.type) !== ref.id) {
      throw new HoldfastError('AUTH_FAILED', `${where}: content does not match its id`);
    }
    return plain;
  }

  #openInPlace(sealed: Uint8Array, where: string): Uint8Array {
    return sealed.subarray(NONCE_BYTES, NONCE_BYTES + openInto(this.#encKey, sealed, { out: sealed, offset: NONCE_BYTES }, where));
  }

  #openToScratch(sealed: Uint8Array, where: string): Uint8Array {
    this.#opened = grownScratch(this.#opened, Math.max(sealed.byteLength - SEAL_OVERHEAD, 0));
    return this.#opened.subarray(0, openInto(this.#encKey, sealed, { out: this.#opened, offset: 0 }, where));
  }

  #decompress(dctx: NativeDCtx, ref: BlobRef, data: Uint8Array, where: string): Uint8Array {
    this.#scratch = grownScratch(this.#scratch, ref.rawLength);
    try {
      const n = dctx.decompress(this.#scratch, data);
      if (n !== ref.rawLength) throw new Error(`decompressed to ${n} bytes, expected ${ref.rawLength}`);
      return this.#scratch.subarray(0, n);
    } catch (cause) {
      throw new HoldfastError('REPO_CORRUPT', `${where}: cannot decompress`, { cause });
    }
  }
}
