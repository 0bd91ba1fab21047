/**
 * A Storage that keeps local copies of the objects a repository reads again and again —
 * index files, snapshots and tree packs (`cacheable` decides) — in an ObjectCache. A
 * read of a cacheable object is served from the cache; on a miss the whole object is
 * fetched once (concurrent readers share the fetch), stored, and the asked-for range cut
 * from it, so walking a snapshot's trees on remote storage costs one GET per tree pack
 * ever, not one per directory. Index files and snapshots are written through on `put`;
 * `delete` drops the copy. Listing and stat always ask the storage.
 */
import type { ByteRange, FileSource, ObjectHandle, ObjectInfo, ObjectType, Storage } from '../storage.ts';
import { ObjectCache } from './object-cache.ts';

export type CachePolicy = (handle: ObjectHandle) => boolean;

const CONTENT_NAME = /^[0-9a-f]{64}$/;

export class CachedStorage implements Storage {
  readonly location: string;
  readonly cache: ObjectCache;
  readonly #inner: Storage;
  readonly #cacheable: CachePolicy;
  readonly #fetching = new Map<string, Promise<Buffer>>();
  readonly concurrency?: number;
  /** The storage's own: only packs are stored from files, and packs are cached when first read, not on put. */
  readonly files?: FileSource;
  readonly removeStaleTempFiles?: (modifiedBefore: Date) => Promise<number>;
  /** The storage's own stream, for what is not cached; a cached object comes whole, from the cache when it is there. */
  readonly getStream?: (handle: ObjectHandle) => AsyncIterable<Uint8Array>;

  constructor(inner: Storage, cache: ObjectCache, cacheable: CachePolicy) {
    this.#inner = inner;
    this.cache = cache;
    this.#cacheable = cacheable;
    this.location = inner.location;
    if (inner.concurrency !== undefined) this.concurrency = inner.concurrency;
    if (inner.files !== undefined) this.files = inner.files;
    if (inner.removeStaleTempFiles) this.removeStaleTempFiles = inner.removeStaleTempFiles.bind(inner);
    if (inner.getStream) {
      const stream = inner.getStream.bind(inner);
      this.getStream = (handle) => (this.#cached(handle) ? this.#whole(handle) : stream(handle));
    }
  }

  async *#whole(handle: ObjectHandle): AsyncIterable<Uint8Array> {
    yield await this.get(handle);
  }

  /** The storage underneath, for reads that must see the stored bytes (check --read-data). */
  get inner(): Storage {
    return this.#inner;
  }

  async get(handle: ObjectHandle, range?: ByteRange, into?: Uint8Array): Promise<Buffer> {
    if (!this.#cached(handle)) return this.#inner.get(handle, range, into);
    const hit = this.cache.read(handle, range);
    if (hit) return hit;
    if (!range) return this.#fetchWhole(handle);
    const whole = await this.#fetchWhole(handle, true);
    return Buffer.from(whole.subarray(range.offset, range.offset + range.length));
  }

  /** Stores a copy of an object read elsewhere (whole, from the storage), when the policy wants it. */
  remember(handle: ObjectHandle, data: Uint8Array): void {
    if (this.#cached(handle)) this.cache.write(handle, data);
  }

  async put(handle: ObjectHandle, data: Uint8Array): Promise<void> {
    await this.#inner.put(handle, data);
    if (handle.type !== 'data' && this.#cached(handle)) this.cache.write(handle, data);
  }

  async delete(handle: ObjectHandle): Promise<void> {
    await this.#inner.delete(handle);
    if (CONTENT_NAME.test(handle.name)) this.cache.remove(handle);
  }

  stat(handle: ObjectHandle): Promise<ObjectInfo> {
    return this.#inner.stat(handle);
  }

  list(type: ObjectType): AsyncIterable<ObjectInfo> {
    return this.#inner.list(type);
  }

  create(): Promise<void> {
    return this.#inner.create();
  }

  exists(): Promise<boolean> {
    return this.#inner.exists();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  #cached(handle: ObjectHandle): boolean {
    return CONTENT_NAME.test(handle.name) && this.#cacheable(handle);
  }

  /**
   * Fetches the whole object and stores a copy. Range readers share one fetch (each
   * copies its range out); a whole read gets a buffer of its own, which its reader may
   * release (check --read-data does).
   */
  async #fetchWhole(handle: ObjectHandle, shared = false): Promise<Buffer> {
    const fetchAndStore = async (): Promise<Buffer> => {
      const data = await this.#inner.get(handle);
      this.cache.write(handle, data);
      return data;
    };
    if (!shared) return fetchAndStore();
    const key = `${handle.type}/${handle.name}`;
    let fetch = this.#fetching.get(key);
    if (!fetch) {
      fetch = fetchAndStore();
      this.#fetching.set(key, fetch);
      void fetch.finally(() => this.#fetching.delete(key)).catch(() => {});
    }
    return fetch;
  }
}
