/**
 * One pack being filled: sealed blobs are copied into a single growing buffer as they
 * arrive (the blob's own buffer is garbage at once), and `finish` appends the sealed
 * header and the trailer in place, so a pack is assembled with one copy per blob and no
 * concatenation. Buffers of full-size packs come from a small pool and go back to it
 * once the pack is stored, so a backup reuses a handful of pack-sized buffers instead of
 * leaving one per pack to the collector.
 */
import { SEAL_OVERHEAD, seal, sealInto } from '../crypto/aead.ts';
import { PACK_ENTRY_SIZE, PACK_HEADER_AAD, PACK_TRAILER_SIZE, encodePackHeader } from './pack-format.ts';
import type { PackEntry } from './pack-format.ts';
import type { PlainBlob, SealedBlob } from '../blob.ts';

/** Room for the sealed header and trailer: prefix + tag + nonce + trailer, before the entries. */
const HEADER_FIXED = 9 + 28 + PACK_TRAILER_SIZE;

export class PackBufferPool {
  readonly #size: number;
  readonly #max: number;
  readonly #free: Buffer[] = [];

  constructor(size: number, max: number) {
    this.#size = size;
    this.#max = max;
  }

  get size(): number {
    return this.#size;
  }

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size);
  }

  give(buf: Buffer): void {
    if (buf.byteLength === this.#size && this.#free.length < this.#max) this.#free.push(buf);
  }
}

export class PackBuilder {
  readonly entries: PackEntry[] = [];
  #buf: Buffer;
  #used = 0;

  constructor(initial: Buffer) {
    this.#buf = initial;
  }

  /** Bytes of sealed blobs so far. */
  get bytes(): number {
    return this.#used;
  }

  add(blob: SealedBlob): void {
    const len = blob.sealed.byteLength;
    this.#room(len).set(blob.sealed, this.#used);
    this.#used += len;
    this.#entry(blob, len);
  }

  /** Seals a blob straight into the pack's buffer. */
  addSealing(blob: PlainBlob, encKey: Uint8Array): void {
    const len = blob.data.byteLength + SEAL_OVERHEAD;
    this.#used += sealInto(encKey, blob.data, this.#room(len), this.#used);
    this.#entry(blob, len);
  }

  /** The buffer, grown to hold `length` more bytes besides the header with one more entry. */
  #room(length: number): Buffer {
    this.#reserve(this.#used + length + HEADER_FIXED + (this.entries.length + 1) * PACK_ENTRY_SIZE);
    return this.#buf;
  }

  #entry(blob: Omit<PlainBlob, 'data'>, length: number): void {
    this.entries.push({ id: blob.id, type: blob.type, length, rawLength: blob.rawLength, compressed: blob.compressed });
  }

  /** Appends the sealed header and trailer; returns the whole pack (a view of `buffer`). */
  finish(encKey: Uint8Array): Buffer {
    const header = seal(encKey, encodePackHeader(this.entries), PACK_HEADER_AAD);
    const total = this.#used + header.byteLength + PACK_TRAILER_SIZE;
    this.#reserve(total);
    header.copy(this.#buf, this.#used);
    this.#buf.writeUInt32LE(header.byteLength, this.#used + header.byteLength);
    return this.#buf.subarray(0, total);
  }

  /** The buffer (to give back to the pool once the pack is stored). */
  get buffer(): Buffer {
    return this.#buf;
  }

  #reserve(size: number): void {
    if (size <= this.#buf.byteLength) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(size, Math.min(2 * this.#buf.byteLength, size + (16 << 20))));
    grown.set(this.#buf.subarray(0, this.#used));
    this.#buf = grown;
  }
}
