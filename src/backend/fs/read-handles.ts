/**
 * Open read handles of pack files, kept between range reads. A restore or `check
 * --read-data` reads each pack in many ranges; opening, sizing and closing the file for
 * every one of them was three of its four file-system calls (and a FileHandle for the
 * collector each time). Only pack files are kept: they never change once stored, so a
 * kept handle reads what a fresh one would. The storage forgets a pack's handle when it
 * deletes or rewrites that pack, so a deleted pack reads as missing, as before.
 *
 * At most `limit` handles stay open; the least recently used one is closed when that is
 * exceeded, once the reads using it have finished.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteRange } from '../storage.ts';
import { readOpenRange } from './fs-files.ts';

interface Entry {
  readonly file: Promise<{ fh: FileHandle; size: number }>;
  users: number;
  evicted: boolean;
}

export class ReadHandles {
  readonly #entries = new Map<string, Entry>();
  readonly #limit: number;

  constructor(limit = 16) {
    this.#limit = limit;
  }

  /** Reads the part of `range` of `path` that exists (fewer bytes or none past its end). */
  async read(path: string, range: ByteRange): Promise<Buffer> {
    const entry = this.#acquire(path);
    try {
      const { fh, size } = await entry.file;
      return await readOpenRange(fh, size, range);
    } finally {
      this.#release(entry);
    }
  }

  /** Closes the handle of `path`, if one is open (after the reads using it). */
  forget(path: string): void {
    const entry = this.#entries.get(path);
    if (!entry) return;
    this.#entries.delete(path);
    this.#evict(entry);
  }

  /** Closes every handle (after the reads using them). */
  closeAll(): void {
    for (const path of [...this.#entries.keys()]) this.forget(path);
  }

  #acquire(path: string): Entry {
    let entry = this.#entries.get(path);
    if (entry) {
      this.#entries.delete(path); // re-inserted: the map's order is the recency order
    } else {
      entry = { file: openSized(path), users: 0, evicted: false };
      entry.file.catch(() => this.#entries.get(path) === entry && this.#entries.delete(path));
    }
    this.#entries.set(path, entry);
    entry.users++;
    if (this.#entries.size > this.#limit) this.forget(this.#entries.keys().next().value as string);
    return entry;
  }

  #release(entry: Entry): void {
    entry.users--;
    if (entry.evicted && entry.users === 0) closeQuietly(entry);
  }

  #evict(entry: Entry): void {
    entry.evicted = true;
    if (entry.users === 0) closeQuietly(entry);
  }
}

async function openSized(path: string): Promise<{ fh: FileHandle; size: number }> {
  const fh = await open(path, 'r');
  try {
    return { fh, size: (await fh.stat()).size };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}

function closeQuietly(entry: Entry): void {
  entry.file.then(({ fh }) => fh.close()).catch(() => {});
}
