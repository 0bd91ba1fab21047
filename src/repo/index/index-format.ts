/**
 * Index files map blob ids to packs. Plaintext (zstd-compressed, then sealed):
 *
 *   index := "HFIX" version:u8 packCount:u32le pack*
 *   pack  := packId:32 count:u32le entry*
 *   entry := type:u8 flags:u8 offset:u32le length:u32le rawLength:u32le id:32   (46 bytes)
 *
 * Each backup writes one index file for the packs it wrote; prune rewrites them.
 * The same blob may appear in more than one index file; any of its locations is valid.
 */
import zlib from 'node:zlib';
import { releaseBuffer } from '../../core/buffers.ts';
import { HoldfastError } from '../../core/errors.ts';
import { idFromBytes, idToBytes } from '../../core/ids.ts';
import type { Id } from '../../core/ids.ts';
import { BLOB_TYPE_CODE, blobTypeFromCode } from '../blob.ts';
import type { BlobLocation, BlobType } from '../blob.ts';
import type { PackEntry } from '../pack/pack-format.ts';

const MAGIC = Buffer.from('HFIX');
const VERSION = 1;
const ENTRY = 46;

export function encodeIndex(locations: Iterable<BlobLocation>): Buffer {
  const byPack = new Map<Id, BlobLocation[]>();
  for (const loc of locations) {
    const list = byPack.get(loc.pack);
    if (list) list.push(loc);
    else byPack.set(loc.pack, [loc]);
  }
  let size = 9;
  for (const list of byPack.values()) size += 36 + list.length * ENTRY;
  const out = Buffer.allocUnsafe(size);
  MAGIC.copy(out, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt32LE(byPack.size, 5);
  let at = 9;
  for (const [pack, list] of byPack) {
    idToBytes(pack).copy(out, at);
    out.writeUInt32LE(list.length, at + 32);
    at += 36;
    for (const loc of list) at = writeEntry(out, at, loc, loc.offset);
  }
  return zlib.zstdCompressSync(out);
}

const PACK_PREFIX = 36;

/**
 * An index file's body built up pack by pack, in the file's own layout: 46 bytes a blob
 * instead of a location object with a hex id string (~200 bytes on the heap) while a
 * backup writes tens of thousands of blobs between two index files.
 */
export class IndexBuilder {
  #buf = Buffer.allocUnsafe(1 << 16);
  #at = 9;
  #packs = 0;
  #count = 0;

  /** Blobs added so far. */
  get count(): number {
    return this.#count;
  }

  /** Adds a stored pack's entries, laid end to end from offset 0 up to its header at `headerStart`. */
  addPack(pack: Id, entries: readonly PackEntry[], headerStart: number): void {
    if (entries.length === 0) return;
    this.#reserve(PACK_PREFIX + entries.length * ENTRY);
    const start = this.#at;
    idToBytes(pack).copy(this.#buf, start);
    this.#buf.writeUInt32LE(entries.length, start + 32);
    let at = start + PACK_PREFIX;
    let offset = 0;
    for (const e of entries) {
      at = writeEntry(this.#buf, at, e, offset);
      offset += e.length;
    }
    if (offset !== headerStart) throw corrupt(pack, `blobs cover ${offset} bytes but the header starts at ${headerStart}`);
    this.#at = at;
    this.#packs++;
    this.#count += entries.length;
  }

  /** The index file's stored form so far (compressed; sealed by the caller). */
  encode(): Buffer {
    return zlib.zstdCompressSync(this.#plain());
  }

  /** Visits the entries added so far (see `scanIndex`). */
  visit(visit: IndexEntryVisitor, reserve?: (entries: number) => void): void {
    scanPlain(this.#plain(), 'being written', visit, reserve);
  }

  /** The locations added so far. */
  locations(): BlobLocation[] {
    return decodePlain(this.#plain(), 'being written');
  }

  /** The index file's plaintext so far: a view of the builder's buffer, its header written in place. */
  #plain(): Buffer {
    MAGIC.copy(this.#buf, 0);
    this.#buf.writeUInt8(VERSION, 4);
    this.#buf.writeUInt32LE(this.#packs, 5);
    return this.#buf.subarray(0, this.#at);
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#buf.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.#buf.byteLength, this.#at + bytes));
    this.#buf.copy(grown, 0, 0, this.#at);
    this.#buf = grown;
  }
}

function writeEntry(out: Buffer, at: number, loc: PackEntry, offset: number): number {
  out.writeUInt8(BLOB_TYPE_CODE[loc.type], at);
  out.writeUInt8(loc.compressed ? 1 : 0, at + 1);
  out.writeUInt32LE(offset, at + 2);
  out.writeUInt32LE(loc.length, at + 6);
  out.writeUInt32LE(loc.rawLength, at + 10);
  idToBytes(loc.id).copy(out, at + 14);
  return at + ENTRY;
}

function corrupt(where: string, what: string): HoldfastError {
  return new HoldfastError('REPO_CORRUPT', `index ${where}: ${what}`);
}

export function decodeIndex(compressed: Buffer, where: string): BlobLocation[] {
  return decodePlain(decompress(compressed, where), where);
}

function decompress(compressed: Buffer, where: string): Buffer {
  try {
    return zlib.zstdDecompressSync(compressed);
  } catch (cause) {
    throw new HoldfastError('REPO_CORRUPT', `index ${where}: cannot decompress`, { cause });
  }
}

function decodePlain(buf: Buffer, where: string): BlobLocation[] {
  const out: BlobLocation[] = [];
  const e = newRawEntry();
  scanPlain(buf, where, (pack, entry, at) => {
    readRawEntry(entry, at, e);
    out.push({ type: e.type, pack, compressed: e.compressed, offset: e.offset, length: e.length, rawLength: e.rawLength, id: idFromBytes(e.id) });
  });
  return out;
}

/** One index entry's 46 bytes: at `at` in `buf` (see the layout above). */
export type IndexEntryVisitor = (pack: Id, buf: Buffer, at: number) => void;

/**
 * Calls `visit` for every entry of an index file, building no objects: for loading a
 * repository's index, tens of thousands of blobs a file. The whole file is checked
 * first, so a damaged one visits nothing; `reserve` then hears how many entries follow.
 * The file's plaintext is freed when the scan ends (ADR 0041).
 */
export function scanIndex(compressed: Buffer, where: string, visit: IndexEntryVisitor, reserve?: (entries: number) => void): void {
  const plain = decompress(compressed, where);
  try {
    scanPlain(plain, where, visit, reserve);
  } finally {
    releaseBuffer(plain);
  }
}

function scanPlain(buf: Buffer, where: string, visit: IndexEntryVisitor, reserve?: (entries: number) => void): void {
  const packs = checkPlain(buf, where);
  reserve?.(packs.reduce((sum, p) => sum + p.count, 0));
  for (const { pack, at, count } of packs) {
    for (let i = 0, e = at; i < count; i++, e += ENTRY) visit(pack, buf, e);
  }
}

/** The packs of a whole, well-formed index file: where each one's entries start and how many. */
function checkPlain(buf: Buffer, where: string): Array<{ pack: Id; at: number; count: number }> {
  if (buf.byteLength < 9 || !buf.subarray(0, 4).equals(MAGIC)) throw corrupt(where, 'no HFIX magic');
  if (buf.readUInt8(4) !== VERSION) throw new HoldfastError('REPO_VERSION', `index ${where}: version ${buf.readUInt8(4)} is not supported`);
  const packs = buf.readUInt32LE(5);
  const out: Array<{ pack: Id; at: number; count: number }> = [];
  let at = 9;
  for (let p = 0; p < packs; p++) {
    if (at + PACK_PREFIX > buf.byteLength) throw corrupt(where, `truncated at pack ${p}`);
    const pack = idFromBytes(buf.subarray(at, at + 32));
    const count = buf.readUInt32LE(at + 32);
    at += PACK_PREFIX;
    if (at + count * ENTRY > buf.byteLength) throw corrupt(where, `truncated in pack ${pack}`);
    for (let i = 0; i < count; i++) {
      const code = buf.readUInt8(at + i * ENTRY);
      if (!blobTypeFromCode(code)) throw corrupt(where, `unknown blob type ${code} in pack ${pack}`);
    }
    out.push({ pack, at, count });
    at += count * ENTRY;
  }
  if (at !== buf.byteLength) throw corrupt(where, `${buf.byteLength - at} trailing bytes`);
  return out;
}

/** An index entry's fields, filled in place by `readRawEntry` (one object for a whole file). */
export interface RawEntry {
  type: BlobType;
  compressed: boolean;
  offset: number;
  length: number;
  rawLength: number;
  /** The blob id's 32 bytes. */
  readonly id: Buffer;
}

export function newRawEntry(): RawEntry {
  return { type: 'data', compressed: false, offset: 0, length: 0, rawLength: 0, id: Buffer.alloc(32) };
}

/** Reads the entry at `at` (one `scanIndex` visited) into `into`. */
export function readRawEntry(buf: Buffer, at: number, into: RawEntry): RawEntry {
  into.type = blobTypeFromCode(buf.readUInt8(at)) as BlobType;
  into.compressed = buf.readUInt8(at + 1) === 1;
  into.offset = buf.readUInt32LE(at + 2);
  into.length = buf.readUInt32LE(at + 6);
  into.rawLength = buf.readUInt32LE(at + 10);
  buf.copy(into.id, 0, at + 14, at + 46);
  return into;
}

