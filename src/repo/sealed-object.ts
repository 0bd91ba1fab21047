/**
 * Unpacked objects (config, index files, snapshots, locks) are each sealed on their own
 * with the master key. The associated data names the object type, so an object of one
 * type cannot be passed off as another. Content-addressed objects are named by the
 * BLAKE3 hash of their stored bytes, so `check` can verify them without decrypting.
 */
import type { ObjectType } from '../backend/storage.ts';
import { open, seal } from './crypto/aead.ts';

function aad(type: ObjectType): Buffer {
  return Buffer.from(`holdfast ${type} v1`);
}

export function sealObject(key: Buffer, type: ObjectType, plain: Uint8Array): Buffer {
  return seal(key, plain, aad(type));
}

export function openObject(key: Buffer, type: ObjectType, sealed: Uint8Array, where: string): Buffer {
  return open(key, sealed, aad(type), where);
}
