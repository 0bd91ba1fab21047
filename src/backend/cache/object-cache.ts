/**
 * A local directory of content-addressed repository objects (index files, snapshots,
 * tree packs), one file per object under `<dir>/<type>/<name>`. Every such object is
 * named by the BLAKE3 hash of its stored bytes, so an entry is checked against its name
 * before it is used (once per process for ranged reads); a damaged or truncated entry is
 * dropped and the caller fetches the object again. The objects are the same sealed bytes
 * as in the repository, so the cache holds nothing the repository does not.
 *
 * Every failure of the cache itself (full disk, permissions) only makes it miss: the
 * cache never fails an operation the storage would have served.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { blake3 } from '@napi-rs/blake-hash';
import type { ByteRange, ObjectHandle } from '../storage.ts';

export interface CacheStats {
  hits: number;
  misses: number;
  dropped: number;
}

export class ObjectCache {
  readonly dir: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, dropped: 0 };
  /** Entries whose content was checked against their name in this process. */
  readonly #verified = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The object (or a range of it) when the cache has an intact copy; otherwise undefined. */
  read(handle: ObjectHandle, range?: ByteRange): Buffer | undefined {
    const path = this.#path(handle);
    try {
      if (range && this.#verified.has(path)) return this.#readRange(path, range);
      const data = readFileSync(path);
      if (!matchesName(handle, data)) {
        this.stats.dropped++;
        rmSync(path, { force: true });
        return this.#miss();
      }
      this.#verified.add(path);
      this.stats.hits++;
      return range ? data.subarray(range.offset, range.offset + range.length) : data;
    } catch {
      return this.#miss();
    }
  }

  /** Stores a copy when `data` is the object its name says (else nothing happens); returns whether it did. */
  write(handle: ObjectHandle, data: Uint8Array): boolean {
    if (!matchesName(handle, data)) return false;
    const path = this.#path(handle);
    const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      mkdirSync(join(this.dir, handle.type), { recursive: true, mode: 0o700 });
      writeFileSync(temp, data, { mode: 0o600 });
      renameSync(temp, path);
      this.#verified.add(path);
      return true;
    } catch {
      rmSync(temp, { force: true });
      return false;
    }
  }

  remove(handle: ObjectHandle): void {
    const path = this.#path(handle);
    this.#verified.delete(path);
    rmSync(path, { force: true });
  }

  #readRange(path: string, range: ByteRange): Buffer {
    const fd = openSync(path, 'r');
    try {
      const out = Buffer.allocUnsafeSlow(range.length);
      let done = 0;
      while (done < range.length) {
        const n = readSync(fd, out, done, range.length - done, range.offset + done);
        if (n === 0) break;
        done += n;
      }
      this.stats.hits++;
      return done === range.length ? out : out.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  }

  #miss(): undefined {
    this.stats.misses++;
    return undefined;
  }

  #path(handle: ObjectHandle): string {
    return join(this.dir, handle.type, handle.name);
  }
}

function matchesName(handle: ObjectHandle, data: Uint8Array): boolean {
  return /^[0-9a-f]{64}$/.test(handle.name) && blake3(data).toString('hex') === handle.name;
}
