/**
 * The master key: the three secrets of a repository, generated once at `init` and
 * never changed (changing any of them would orphan every stored blob). Key slots wrap
 * it under passwords; it never reaches storage unwrapped.
 *
 * - `encKey`: AES-256-GCM key for everything stored (see aead.ts).
 * - `idKey`: BLAKE3 key for blob ids (see keyed-hash.ts).
 * - `chunkerSeed`: seed of the chunker's gear table (see chunker/fastcdc.ts).
 *
 * Serialised form (the plaintext inside a key slot), 97 bytes:
 *   version (1 byte, = 1) || encKey (32) || idKey (32) || chunkerSeed (32)
 */
import { randomBytes } from 'node:crypto';
import { HoldfastError } from '../../core/errors.ts';

export interface MasterKey {
  readonly encKey: Buffer;
  readonly idKey: Buffer;
  readonly chunkerSeed: Buffer;
}

export const MASTER_KEY_VERSION = 1;
const PART_BYTES = 32;
export const MASTER_KEY_BYTES = 1 + 3 * PART_BYTES;

export function generateMasterKey(): MasterKey {
  return { encKey: randomBytes(PART_BYTES), idKey: randomBytes(PART_BYTES), chunkerSeed: randomBytes(PART_BYTES) };
}

export function masterKeyToBytes(key: MasterKey): Buffer {
  const parts = [key.encKey, key.idKey, key.chunkerSeed];
  if (parts.some((part) => part.byteLength !== PART_BYTES)) {
    throw new HoldfastError('INTERNAL', `master key parts must be ${PART_BYTES} bytes each`);
  }
  return Buffer.concat([Buffer.of(MASTER_KEY_VERSION), ...parts]);
}

/** Parses the serialised form; `where` names its source in errors. */
export function masterKeyFromBytes(bytes: Uint8Array, where: string): MasterKey {
  if (bytes.byteLength < 1 || bytes[0] !== MASTER_KEY_VERSION) {
    throw new HoldfastError(
      'REPO_VERSION',
      `${where}: master key format version ${bytes[0] ?? 'missing'} is not supported (this build reads version ${MASTER_KEY_VERSION})`,
    );
  }
  if (bytes.byteLength !== MASTER_KEY_BYTES) {
    throw new HoldfastError('REPO_CORRUPT', `${where}: master key is ${bytes.byteLength} bytes, expected ${MASTER_KEY_BYTES}`);
  }
  const part = (n: number): Buffer => Buffer.from(bytes.subarray(1 + n * PART_BYTES, 1 + (n + 1) * PART_BYTES));
  return { encKey: part(0), idKey: part(1), chunkerSeed: part(2) };
}
