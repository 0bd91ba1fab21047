/** Ids are 32-byte values written as 64 lowercase hex characters. */
import { randomBytes } from 'node:crypto';

export const ID_BYTES = 32;
export type Id = string;

const ID_PATTERN = /^[0-9a-f]{64}$/;

export function isId(value: string): value is Id {
  return ID_PATTERN.test(value);
}

export function idFromBytes(bytes: Uint8Array): Id {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function idToBytes(id: Id): Buffer {
  return Buffer.from(id, 'hex');
}

export function randomId(): Id {
  return randomBytes(ID_BYTES).toString('hex');
}

/** The short form people type and read (first 8 hex characters), as restic does. */
export function shortId(id: Id): string {
  return id.slice(0, 8);
}
