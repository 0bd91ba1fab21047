/**
 * Turns plaintext chunks into what a pack stores: id (keyed hash), then, unless the
 * repository already has the id, compression and encryption. Runs in worker threads.
 */
import type { Id } from '../core/ids.ts';
import type { BlobType } from './blob.ts';
import { createBlobCompressor } from './compression.ts';
import type { BlobCompressor, CompressionSettings, CompressionTuning } from './compression.ts';
import { seal } from './crypto/aead.ts';
import { BlobIds } from './blob-ids.ts';
import type { KnownIdSet } from './index/known-set.ts';
import type { ClaimSet } from './index/claim-set.ts';

export interface SealerKeys {
  readonly encKey: Buffer;
  readonly idKey: Buffer;
}

/** A blob ready to seal: its id and the bytes to encrypt (compressed or not). */
export interface PreparedBlob {
  readonly id: Id;
  /**
   * Absent when the repository already holds this blob, or another worker of the session
   * is storing it. May live in a buffer the next `prepare` reuses: seal it before then.
   */
  readonly data?: Uint8Array;
  readonly compressed: boolean;
  readonly rawLength: number;
}

export interface SealResult {
  readonly id: Id;
  /** Absent when the repository already holds this blob, or another worker of the session is storing it. */
  readonly sealed?: Uint8Array;
  readonly compressed: boolean;
  readonly rawLength: number;
}

export class BlobSealer {
  readonly #encKey: Buffer;
  readonly #ids: BlobIds;
  readonly #compressor: BlobCompressor;
  readonly #known: KnownIdSet | undefined;
  readonly #claims: ClaimSet | undefined;
  /** The current blob's id bytes, for the id sets (which copy what they keep). */
  readonly #idBytes = Buffer.alloc(32);

  constructor(keys: SealerKeys, compression: CompressionSettings, known?: KnownIdSet, claims?: ClaimSet) {
    this.#encKey = keys.encKey;
    this.#ids = new BlobIds(keys.idKey);
    this.#compressor = createBlobCompressor(compression);
    this.#known = known;
    this.#claims = claims;
  }

  seal(plain: Uint8Array, type: BlobType): SealResult {
    const { id, data, compressed, rawLength } = this.prepare(plain, type);
    return data === undefined ? { id, compressed, rawLength } : { id, sealed: seal(this.#encKey, data), compressed, rawLength };
  }

  /** Id and compression, leaving the encryption to whoever places the sealed bytes (a pack). */
  prepare(plain: Uint8Array, type: BlobType, tuning?: CompressionTuning): PreparedBlob {
    const id = this.#ids.idHex(plain, type);
    const idBytes = this.#idBytes;
    idBytes.write(id, 'hex');
    if (this.#known?.has(idBytes) || this.#claims?.claim(idBytes) === false) return { id, compressed: false, rawLength: plain.byteLength };
    const { data, compressed } = this.#compressor.compress(plain, tuning);
    return { id, data, compressed, rawLength: plain.byteLength };
  }
}

const ZEROS = new Uint8Array(1 << 16);

/** True when every byte is zero (such chunks are stored as holes). */
export function isAllZero(data: Uint8Array): boolean {
  for (let at = 0; at < data.byteLength; at += ZEROS.byteLength) {
    const end = Math.min(at + ZEROS.byteLength, data.byteLength);
    if (Buffer.compare(data.subarray(at, end), ZEROS.subarray(0, end - at)) !== 0) return false;
  }
  return true;
}
