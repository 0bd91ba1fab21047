/**
 * Authenticated encryption for everything Holdfast stores: AES-256-GCM with a random
 * 96-bit nonce per message.
 *
 * Sealed layout (on-disk format): nonce (12 bytes) || ciphertext (same length as the
 * plaintext) || GCM tag (16 bytes). Associated data (`aad`) is authenticated but not
 * stored: the opener must supply the same bytes, which binds a sealed object to its
 * role (an index file cannot be passed off as a snapshot, for example).
 *
 * Random nonces are safe for up to ~2^32 messages per key (NIST SP 800-38D); a
 * repository stays far below that because blobs are sealed one per chunk.
 */
import { nativeWith } from '../../core/native.ts';
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync } from 'node:crypto';
import { releaseBuffer } from '../../core/buffers.ts';
import type { KeyObject } from 'node:crypto';
import { HoldfastError } from '../../core/errors.ts';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

const CIPHER = 'aes-256-gcm';

const keyObjects = new WeakMap<Uint8Array, KeyObject>();

/** Importing a raw key costs more than the cipher work on a small blob: import once. */
function keyObject(key: Uint8Array): KeyObject {
  let k = keyObjects.get(key);
  if (k) return k;
  if (key.byteLength !== KEY_BYTES) {
    throw new HoldfastError('INTERNAL', `encryption key must be ${KEY_BYTES} bytes, got ${key.byteLength}`);
  }
  k = createSecretKey(key);
  keyObjects.set(key, k);
  return k;
}

/** Random nonces drawn from a refilled pool of CSPRNG bytes (one syscall per 1,365 nonces). */
const noncePool = Buffer.allocUnsafeSlow(NONCE_BYTES * 1365);
let noncePos = noncePool.byteLength;

function fillNonce(target: Uint8Array): void {
  if (noncePos + NONCE_BYTES > noncePool.byteLength) {
    randomFillSync(noncePool);
    noncePos = 0;
  }
  target.set(noncePool.subarray(noncePos, noncePos + NONCE_BYTES));
  noncePool.fill(0, noncePos, noncePos + NONCE_BYTES);
  noncePos += NONCE_BYTES;
}

/**
 * Encrypts and authenticates `plaintext`. The result is one Buffer of
 * `plaintext.length + SEAL_OVERHEAD` bytes; node:crypto hands the ciphertext back in
 * a fresh buffer, which is copied once into place (no further concatenation).
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  const k = keyObject(key);
  const out = Buffer.allocUnsafeSlow(plaintext.byteLength + SEAL_OVERHEAD);
  const nonce = out.subarray(0, NONCE_BYTES);
  fillNonce(nonce);
  const cipher = createCipheriv(CIPHER, k, nonce, { authTagLength: TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(aad);
  let at = NONCE_BYTES;
  const body = cipher.update(plaintext);
  at += body.copy(out, at);
  releaseBuffer(body);
  at += cipher.final().copy(out, at);
  cipher.getAuthTag().copy(out, at);
  return out;
}

/** The project's own addon (native/, built by npm install through node-gyp); optional. */
interface NativeAead {
  sealInto(key: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number, aad?: Uint8Array): number;
  /** The plaintext's length, or -1 when the tag does not verify (what it wrote is zeroed). */
  openInto(key: Uint8Array, sealed: Uint8Array, out: Uint8Array, offset: number, aad?: Uint8Array): number;
}

const native = nativeWith<NativeAead>('sealInto', 'openInto');

/** True when sealing and opening run in the native addon (else node:crypto, the same bytes). */
export const nativeSealing = native !== undefined;

/**
 * `seal` written straight into `out` at `offset` (which must have room for
 * `plaintext.length + SEAL_OVERHEAD` bytes); returns the bytes written. With the native
 * addon no buffer is allocated and no cipher object made per call; without it (or with
 * `opts.preferNative` false) node:crypto seals and the result is copied into place.
 */
export function sealInto(key: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number, opts: { aad?: Uint8Array; preferNative?: boolean } = {}): number {
  // The addon checks the key's size itself (and throws), so no KeyObject is looked up per blob.
  if (native !== undefined && opts.preferNative !== false) return native.sealInto(key, plaintext, out, offset, opts.aad);
  const sealed = seal(key, plaintext, opts.aad);
  const length = sealed.byteLength;
  if (offset + length > out.byteLength) throw new HoldfastError('INTERNAL', `no room for ${length} sealed bytes at offset ${offset} of ${out.byteLength}`);
  out.set(sealed, offset);
  releaseBuffer(sealed); // detaches it: its length reads 0 from here on
  return length;
}

/**
 * Verifies and decrypts a sealed message. Any tampering, truncation, wrong key or
 * wrong `aad` throws HoldfastError `AUTH_FAILED`; the message names `what` (for
 * example "pack data/ab12… blob 3"), so the user learns which object is damaged.
 * No plaintext is returned unless the tag verifies.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array | undefined, what: string): Buffer {
  const k = keyObject(key);
  if (sealed.byteLength < SEAL_OVERHEAD) {
    throw new HoldfastError(
      'AUTH_FAILED',
      `${what}: sealed data is ${sealed.byteLength} bytes, shorter than the ${SEAL_OVERHEAD}-byte nonce and tag`,
    );
  }
  const tagAt = sealed.byteLength - TAG_BYTES;
  try {
    const decipher = createDecipheriv(CIPHER, k, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(tagAt));
    if (aad !== undefined) decipher.setAAD(aad);
    const plaintext = decipher.update(sealed.subarray(NONCE_BYTES, tagAt));
    decipher.final();
    return plaintext;
  } catch (cause) {
    throw new HoldfastError('AUTH_FAILED', `${what}: authentication failed (data corrupted or tampered with)`, {
      cause,
    });
  }
}

/** `open` with the plaintext written into `out` at `offset` (room for `sealed.length - SEAL_OVERHEAD` bytes). */
export interface OpenTarget {
  readonly out: Uint8Array;
  readonly offset: number;
}

/**
 * `open` into the caller's buffer; returns the plaintext's length. Fails as `open` does
 * (`AUTH_FAILED` naming `what`), and then leaves no unauthenticated bytes in `out`. The
 * native addon decrypts in place with no allocation; node:crypto is the fallback.
 */
export function openInto(key: Uint8Array, sealed: Uint8Array, target: OpenTarget, what: string, opts: { aad?: Uint8Array; preferNative?: boolean } = {}): number {
  const length = sealed.byteLength - SEAL_OVERHEAD;
  if (native === undefined || opts.preferNative === false || length < 0) {
    const plain = open(key, sealed, opts.aad, what);
    target.out.set(plain, target.offset);
    return plain.byteLength;
  }
  const n = native.openInto(key, sealed, target.out, target.offset, opts.aad);
  if (n < 0) throw new HoldfastError('AUTH_FAILED', `${what}: authentication failed (data corrupted or tampered with)`);
  return n;
}
