/**
 * Reads a file (or block device) in large pieces, cuts it into content-defined chunks and
 * seals each: the worker side of a tree or block backup. Zero chunks become holes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { releaseBuffer } from '../../core/buffers.ts';
import { Chunker } from '../../repo/chunker/fastcdc.ts';
import { BlobSealer, isAllZero } from '../../repo/blob-sealer.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import type { WorkerPackWriter } from './pack-writer.ts';

/**
 * Reads are this size; the buffer holds the chunk being cut plus one read, and grows (up
 * to the profile's `maxSize` plus a read) only while a chunk is longer than it. A buffer of
 * `maxSize` + 8 MiB per worker was 16 MiB resident each; cutting from what has been read
 * (`Chunker.cutAvailable`) needs only the current chunk.
 */
const READ_SIZE = 1 << 20;
const BASE_BUFFER = 4 * READ_SIZE;

export class FileReader {
  readonly #sealer: BlobSealer;
  readonly #packs: WorkerPackWriter;
  #buffer = new Uint8Array(0);

  constructor(sealer: BlobSealer, packs: WorkerPackWriter) {
    this.#sealer = sealer;
    this.#packs = packs;
  }

  read(path: string, chunker: Chunker, maxSize: number): { content: ContentRef[]; bytesRead: number } {
    if (this.#buffer.byteLength !== BASE_BUFFER) this.#replaceBuffer(new Uint8Array(BASE_BUFFER));
    const fd = openSync(path, 'r');
    try {
      return this.#readFd(fd, chunker, maxSize);
    } finally {
      closeSync(fd);
    }
  }

  #readFd(fd: number, chunker: Chunker, maxSize: number): { content: ContentRef[]; bytesRead: number } {
    const content: ContentRef[] = [];
    let start = 0;
    let end = 0;
    let scanned = 0;
    let eof = false;
    let bytesRead = 0;
    for (;;) {
      const cut = start < end ? chunker.cutAvailable(this.#buffer, start, end, eof, scanned) : -1;
      if (cut > start) {
        this.#emit(this.#buffer.subarray(start, cut), content);
        start = cut;
        scanned = 0;
        continue;
      }
      if (eof) return { content, bytesRead };
      scanned = end - start;
      ({ start, end } = this.#makeRoom(start, end, maxSize));
      this.#packs.waitForCredit();
      const want = Math.min(READ_SIZE, this.#buffer.byteLength - end);
      const n = readFully(fd, this.#buffer, end, want);
      eof = n < want;
      end += n;
      bytesRead += n;
    }
  }

  /** Swaps in another buffer and frees the old one at once (left to the collector, big files' buffers piled up). */
  #replaceBuffer(next: Uint8Array<ArrayBuffer>): void {
    releaseBuffer(this.#buffer);
    this.#buffer = next;
  }

  /** Room for one more read after `end`: the chunk in progress moves to the front, and the buffer grows only if that is not enough. */
  #makeRoom(start: number, end: number, maxSize: number): { start: number; end: number } {
    if (this.#buffer.byteLength - end >= READ_SIZE) return { start, end };
    const pending = end - start;
    if (this.#buffer.byteLength - pending < READ_SIZE) {
      const grown = new Uint8Array(Math.min(maxSize + READ_SIZE, Math.max(2 * this.#buffer.byteLength, pending + READ_SIZE)));
      grown.set(this.#buffer.subarray(start, end));
      this.#replaceBuffer(grown);
    } else {
      this.#buffer.copyWithin(0, start, end);
    }
    return { start: 0, end: pending };
  }

  #emit(chunk: Uint8Array, content: ContentRef[]): void {
    if (isAllZero(chunk)) {
      const last = content.at(-1);
      if (typeof last === 'number') content[content.length - 1] = last + chunk.byteLength;
      else content.push(chunk.byteLength);
      return;
    }
    const r = this.#sealer.prepare(chunk, 'data');
    content.push(r.id);
    this.#packs.add(r);
  }
}

function readFully(fd: number, buf: Uint8Array, offset: number, length: number): number {
  let total = 0;
  while (total < length) {
    const n = readSync(fd, buf, offset + total, length - total, null);
    if (n === 0) break;
    total += n;
  }
  return total;
}
