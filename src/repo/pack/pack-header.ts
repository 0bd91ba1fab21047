/**
 * A pack's own account of its blobs: the sealed header at its end, authenticated and
 * turned into blob locations. `readPackHeader` fetches only the end of the pack (one
 * ranged read; a second when the header is larger than the first guess), so the blobs of
 * every pack can be listed without reading the packs (`repair index`).
 */
import type { Id } from '../../core/ids.ts';
import { HoldfastError } from '../../core/errors.ts';
import type { StorageReader } from '../../backend/storage.ts';
import type { BlobLocation } from '../blob.ts';
import { open } from '../crypto/aead.ts';
import { PACK_HEADER_AAD, PACK_TRAILER_SIZE, decodePackHeader, locateEntries, readTrailer } from './pack-format.ts';

/**
 * The first read of a pack's end: a data pack's header is ~1 KiB, a tree pack's one entry
 * (42 bytes) per tree, so this covers packs of up to ~1,500 blobs in one request.
 */
const TAIL_GUESS = 64 << 10;

/** Authenticates and parses a pack's sealed header, which starts at `headerStart`: the blobs must fill the pack up to there. */
export function openPackHeader(encKey: Uint8Array, pack: Id, sealedHeader: Uint8Array, headerStart: number): BlobLocation[] {
  const plain = open(encKey, sealedHeader, PACK_HEADER_AAD, `header of pack ${pack}`);
  return locateEntries(pack, decodePackHeader(plain, pack), headerStart, pack);
}

/** The blob locations a whole pack's header lists. */
export function packHeaderOf(encKey: Uint8Array, pack: Id, data: Buffer): BlobLocation[] {
  return packHeaderOfTail(encKey, pack, data, data.byteLength);
}

/**
 * The blob locations in a pack's header, from the pack's last bytes: `tail` ends where the
 * pack does, at `size`, and must hold the whole header (check's last piece of a stream).
 */
export function packHeaderOfTail(encKey: Uint8Array, pack: Id, tail: Buffer, size: number): BlobLocation[] {
  const headerLength = readTrailer(tail, pack, size);
  const end = tail.byteLength - PACK_TRAILER_SIZE;
  return openPackHeader(encKey, pack, tail.subarray(end - headerLength, end), size - PACK_TRAILER_SIZE - headerLength);
}

/** Reads a stored pack's header (the pack is `size` bytes long) and returns its blobs' locations. */
export async function readPackHeader(storage: StorageReader, encKey: Uint8Array, pack: Id, size: number): Promise<BlobLocation[]> {
  const first = Math.min(size, TAIL_GUESS);
  let tail = await storage.get({ type: 'data', name: pack }, { offset: size - first, length: first });
  if (tail.byteLength !== first) {
    throw new HoldfastError('REPO_CORRUPT', `${pack}: pack is ${size - first + tail.byteLength} bytes, listed as ${size}`);
  }
  if (first < PACK_TRAILER_SIZE) throw new HoldfastError('REPO_CORRUPT', `${pack}: pack is only ${size} bytes`);
  const headerLength = tail.readUInt32LE(first - PACK_TRAILER_SIZE);
  if (headerLength + PACK_TRAILER_SIZE > size) {
    throw new HoldfastError('REPO_CORRUPT', `${pack}: header length ${headerLength} exceeds the pack size ${size}`);
  }
  if (headerLength + PACK_TRAILER_SIZE > first) {
    tail = await storage.get({ type: 'data', name: pack }, { offset: size - PACK_TRAILER_SIZE - headerLength, length: headerLength + PACK_TRAILER_SIZE });
  }
  const headerStart = size - PACK_TRAILER_SIZE - headerLength;
  const end = tail.byteLength - PACK_TRAILER_SIZE;
  return openPackHeader(encKey, pack, tail.subarray(end - headerLength, end), headerStart);
}
