/**
 * A pack assembled in a local file rather than in memory: sealed blobs are appended as
 * they come (small ones gathered into one write, hashed a write at a time for the pack's
 * name), and `finish` appends the sealed header and the trailer. The storage then takes
 * the file (`FileSource.putFile`: on a local repository a hard link, so no byte is copied
 * again). A backup so holds no pack in memory however many are open or uploading.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { releaseBuffer } from '../../core/buffers.ts';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { PlainBlob, SealedBlob } from '../blob.ts';
import { SEAL_OVERHEAD, seal, sealInto } from '../crypto/aead.ts';
import { ContentHasher } from '../crypto/keyed-hash.ts';
import { PACK_HEADER_AAD, PACK_TRAILER_SIZE, encodePackHeader } from './pack-format.ts';
import type { PackEntry } from './pack-format.ts';

/** Blobs smaller than this are gathered before they are written: one system call per blob of a small file was the cost. */
const GATHER_BYTES = 1 << 20;

export class FilePack {
  readonly entries: PackEntry[] = [];
  readonly path: string;
  readonly #hasher = new ContentHasher();
  #fd: number | undefined;
  #blobBytes = 0;
  #size = 0;
  #gather: Buffer | undefined;
  #gathered = 0;

  constructor(path: string) {
    this.path = path;
    this.#fd = this.#io('create', () => openSync(path, 'wx', 0o600));
  }

  /** Bytes of sealed blobs so far. */
  get bytes(): number {
    return this.#blobBytes;
  }

  /** Appends a sealed blob; its buffer is not kept. */
  add(blob: SealedBlob): void {
    this.#append(blob.sealed);
    this.#entry(blob, blob.sealed.byteLength);
  }

  /** Seals a blob straight into the gathered bytes (a large one is sealed on its own and written). */
  addSealing(blob: PlainBlob, encKey: Uint8Array): void {
    const length = blob.data.byteLength + SEAL_OVERHEAD;
    if (length >= GATHER_BYTES / 4) {
      const sealed = seal(encKey, blob.data);
      this.add({ ...blob, sealed });
      releaseBuffer(sealed);
      return;
    }
    const gather = this.#room(length); // may flush, which empties the gather buffer: before reading #gathered
    this.#gathered += sealInto(encKey, blob.data, gather, this.#gathered);
    this.#size += length;
    this.#entry(blob, length);
  }

  /** Appends the sealed header and trailer and closes the file; returns the pack's name and size. */
  finish(encKey: Uint8Array): { name: Id; size: number } {
    const header = seal(encKey, encodePackHeader(this.entries), PACK_HEADER_AAD);
    const trailer = Buffer.allocUnsafe(PACK_TRAILER_SIZE);
    trailer.writeUInt32LE(header.byteLength, 0);
    this.#append(header);
    this.#append(trailer);
    this.#flush();
    this.#close();
    return { name: this.#hasher.digest().toString('hex'), size: this.#size };
  }

  /** Closes and removes the file (after it was stored, or to give up on it). */
  discard(): void {
    this.#close();
    rmSync(this.path, { force: true });
  }

  #append(data: Uint8Array): void {
    this.#size += data.byteLength;
    if (data.byteLength >= GATHER_BYTES / 4) {
      this.#flush();
      this.#write(data);
      return;
    }
    this.#room(data.byteLength).set(data, this.#gathered);
    this.#gathered += data.byteLength;
  }

  /** The gather buffer, flushed first when `length` more bytes would not fit. */
  #room(length: number): Buffer {
    if (this.#gathered + length > GATHER_BYTES) this.#flush();
    return (this.#gather ??= Buffer.allocUnsafeSlow(GATHER_BYTES));
  }

  #entry(blob: Omit<PlainBlob, 'data'>, length: number): void {
    this.#blobBytes += length;
    this.entries.push({ id: blob.id, type: blob.type, length, rawLength: blob.rawLength, compressed: blob.compressed });
  }

  #flush(): void {
    if (this.#gathered === 0 || !this.#gather) return;
    this.#write(this.#gather.subarray(0, this.#gathered));
    this.#gathered = 0;
  }

  #write(data: Uint8Array): void {
    const fd = this.#fd;
    if (fd === undefined) throw new HoldfastError('INTERNAL', `pack file ${this.path} is already closed`);
    this.#hasher.update(data);
    for (let at = 0; at < data.byteLength;) at += this.#io('write', () => writeSync(fd, data, at, data.byteLength - at));
  }

  #close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    releaseBuffer(this.#gather);
    this.#gather = undefined;
    this.#io('close', () => closeSync(fd));
  }

  #io<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new HoldfastError('STORAGE_IO', `cannot ${what} the pack file ${this.path}: ${messageOf(cause)}`, { cause });
    }
  }
}
