/**
 * Reads a file (or block device) in large pieces, cuts it into content-defined chunks and
 * seals each: the worker side of a tree or block backup. Zero chunks become holes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Chunker } from '../../repo/chunker/fastcdc.ts';
import { BlobSealer, isAllZero } from '../../repo/blob-sealer.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import type { BlobBatcher } from './blob-batcher.ts';

const READ_SIZE = 8 << 20;

export class FileReader {
  readonly #sealer: BlobSealer;
  readonly #batcher: BlobBatcher;
  #buffer = new Uint8Array(0);

  constructor(sealer: BlobSealer, batcher: BlobBatcher) {
    this.#sealer = sealer;
    this.#batcher = batcher;
  }

  read(path: string, chunker: Chunker, maxSize: number): { content: ContentRef[]; bytesRead: number } {
    if (this.#buffer.byteLength < maxSize + READ_SIZE) this.#buffer = new Uint8Array(maxSize + READ_SIZE);
    const fd = openSync(path, 'r');
    try {
      return this.#readFd(fd, chunker, maxSize);
    } finally {
      closeSync(fd);
    }
  }

  #readFd(fd: number, chunker: Chunker, maxSize: number): { content: ContentRef[]; bytesRead: number } {
    const buf = this.#buffer;
    const content: ContentRef[] = [];
    let start = 0;
    let end = 0;
    let eof = false;
    let bytesRead = 0;
    while (!eof || start < end) {
      if (!eof && end - start < maxSize) {
        if (start > 0) {
          buf.copyWithin(0, start, end);
          end -= start;
          start = 0;
        }
        this.#batcher.waitForCredit();
        const n = readFully(fd, buf, end, buf.byteLength - end);
        eof = n < buf.byteLength - end;
        end += n;
        bytesRead += n;
        continue;
      }
      const cut = chunker.cut(buf, start, end, eof);
      this.#emit(buf.subarray(start, cut), content);
      start = cut;
    }
    return { content, bytesRead };
  }

  #emit(chunk: Uint8Array, content: ContentRef[]): void {
    if (isAllZero(chunk)) {
      const last = content.at(-1);
      if (typeof last === 'number') content[content.length - 1] = last + chunk.byteLength;
      else content.push(chunk.byteLength);
      return;
    }
    const r = this.#sealer.seal(chunk, 'data');
    content.push(r.id);
    this.#batcher.add(r);
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
