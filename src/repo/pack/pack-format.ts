/**
 * Pack layout (see docs/repository-format.md):
 *
 *   pack   := blob* sealedHeader headerLength
 *   header := "HFPK" version:u8 count:u32le entry*
 *   entry  := type:u8 flags:u8 length:u32le rawLength:u32le id:32 bytes   (42 bytes)
 *
 * Blobs are sealed (AES-256-GCM) independently and laid end to end; their offsets follow
 * from the lengths in the header. The header is sealed too and its sealed length is the
 * pack's last four bytes, so a reader finds it with one ranged read at the end.
 */
import { HoldfastError } from '../../core/errors.ts';
import { idFromBytes, idToBytes } from '../../core/ids.ts';
import type { Id } from '../../core/ids.ts';
import { BLOB_TYPE_CODE, blobTypeFromCode } from '../blob.ts';
import type { BlobLocation, BlobType } from '../blob.ts';

const MAGIC = Buffer.from('HFPK');
const VERSION = 1;
const PREFIX = 9;
export const PACK_ENTRY_SIZE = 42;
export const PACK_TRAILER_SIZE = 4;
export const PACK_HEADER_AAD = Buffer.from('holdfast pack header v1');
const FLAG_COMPRESSED = 1;

export interface PackEntry {
  readonly id: Id;
  readonly type: BlobType;
  readonly length: number;
  readonly rawLength: number;
  readonly compressed: boolean;
}

export function encodePackHeader(entries: readonly PackEntry[]): Buffer {
  const out = Buffer.allocUnsafe(PREFIX + entries.length * PACK_ENTRY_SIZE);
  MAGIC.copy(out, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt32LE(entries.length, 5);
  let at = PREFIX;
  for (const e of entries) {
    out.writeUInt8(BLOB_TYPE_CODE[e.type], at);
    out.writeUInt8(e.compressed ? FLAG_COMPRESSED : 0, at + 1);
    out.writeUInt32LE(e.length, at + 2);
    out.writeUInt32LE(e.rawLength, at + 6);
    idToBytes(e.id).copy(out, at + 10);
    at += PACK_ENTRY_SIZE;
  }
  return out;
}

export function decodePackHeader(plain: Buffer, where: string): PackEntry[] {
  if (plain.byteLength < PREFIX || !plain.subarray(0, 4).equals(MAGIC)) {
    throw new HoldfastError('REPO_CORRUPT', `${where}: pack header has no HFPK magic`);
  }
  if (plain.readUInt8(4) !== VERSION) {
    throw new HoldfastError('REPO_VERSION', `${where}: pack header version ${plain.readUInt8(4)} is not supported`);
  }
  const count = plain.readUInt32LE(5);
  if (plain.byteLength !== PREFIX + count * PACK_ENTRY_SIZE) {
    throw new HoldfastError('REPO_CORRUPT', `${where}: pack header says ${count} blobs but has ${plain.byteLength} bytes`);
  }
  const entries: PackEntry[] = [];
  for (let i = 0, at = PREFIX; i < count; i++, at += PACK_ENTRY_SIZE) {
    const type = blobTypeFromCode(plain.readUInt8(at));
    if (!type) throw new HoldfastError('REPO_CORRUPT', `${where}: blob ${i} has unknown type ${plain.readUInt8(at)}`);
    entries.push({
      type,
      compressed: (plain.readUInt8(at + 1) & FLAG_COMPRESSED) !== 0,
      length: plain.readUInt32LE(at + 2),
      rawLength: plain.readUInt32LE(at + 6),
      id: idFromBytes(plain.subarray(at + 10, at + 42)),
    });
  }
  return entries;
}

/** Turns header entries into blob locations, checking they fit before `headerStart`. */
export function locateEntries(pack: Id, entries: readonly PackEntry[], headerStart: number, where: string): BlobLocation[] {
  let offset = 0;
  const out: BlobLocation[] = [];
  for (const e of entries) {
    out.push({ ...e, pack, offset });
    offset += e.length;
  }
  if (offset !== headerStart) {
    throw new HoldfastError('REPO_CORRUPT', `${where}: blobs cover ${offset} bytes but the header starts at ${headerStart}`);
  }
  return out;
}

/** The header's length, from the trailer that ends `tail`: the last bytes of a pack of `size` (the whole pack by default), which must hold the header. */
export function readTrailer(tail: Buffer, where: string, size = tail.byteLength): number {
  if (tail.byteLength < PACK_TRAILER_SIZE) throw new HoldfastError('REPO_CORRUPT', `${where}: pack is only ${size} bytes`);
  const headerLength = tail.readUInt32LE(tail.byteLength - PACK_TRAILER_SIZE);
  if (headerLength + PACK_TRAILER_SIZE > tail.byteLength) {
    throw new HoldfastError('REPO_CORRUPT', `${where}: header length ${headerLength} exceeds the pack size ${size}`);
  }
  return headerLength;
}
