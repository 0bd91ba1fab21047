/**
 * Storage: where a repository's objects live. Every object is written once under a name
 * inside one of a few folders (`ObjectType`) and read back whole or by byte range.
 *
 * Contract (checked for every implementation by `storage.contract.ts`):
 * - `put` is atomic: a reader sees either no object or the whole object, never a part,
 *   even when the writer crashes mid-way. Putting an existing name replaces it atomically.
 * - `get` of a missing object throws HoldfastError `OBJECT_NOT_FOUND`; a range past the end
 *   returns the bytes that exist (possibly none).
 * - `delete` of a missing object succeeds (deletes are idempotent); of an object that
 *   object lock retains, it throws `OBJECT_LOCKED` naming the date (see `stat`).
 * - `list` yields every object of a type once, in no particular order.
 * - `get` with `into` returns the same bytes; a storage that can read a whole object
 *   straight into `into` (when it fits) returns a view of it, others their own buffer.
 * - `getStream`, where a storage has it, yields the same bytes as `get`, in order, from
 *   one request; its errors are `get`'s.
 * - Transient failures throw `STORAGE_TRANSIENT` (retryable), permission problems
 *   `STORAGE_PERMISSION`, anything else `STORAGE_IO`; messages name the object.
 */
export type ObjectType = 'config' | 'keys' | 'data' | 'index' | 'snapshots' | 'locks';

export const OBJECT_TYPES: readonly ObjectType[] = ['config', 'keys', 'data', 'index', 'snapshots', 'locks'];

export interface ObjectHandle {
  readonly type: ObjectType;
  /** For `config` the name is ignored (there is one config object). */
  readonly name: string;
}

export interface ObjectInfo {
  readonly name: string;
  readonly size: number;
  /** Set by `stat` when object lock retains the object: it cannot be deleted before then. */
  readonly retainUntil?: Date;
}

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface StorageReader {
  /** Where the storage is, for messages (a path or a URL without credentials). */
  readonly location: string;
  /**
   * The object's bytes, or the part of them in `range`. `into` is a place the caller
   * would like a whole object read into (a buffer it shares with worker threads): the
   * result is then a view of `into` from offset 0, or else the storage's own buffer.
   */
  get(handle: ObjectHandle, range?: ByteRange, into?: Uint8Array): Promise<Buffer>;
  /**
   * Optional, on remote storage: the whole object as its bytes arrive, from one request,
   * for a reader that works through a large object a piece at a time (check --read-data's
   * packs) instead of holding it whole. A body cut short throws STORAGE_TRANSIENT.
   */
  getStream?(handle: ObjectHandle): AsyncIterable<Uint8Array>;
  stat(handle: ObjectHandle): Promise<ObjectInfo>;
  list(type: ObjectType): AsyncIterable<ObjectInfo>;
}

export interface StorageWriter {
  put(handle: ObjectHandle, data: Uint8Array): Promise<void>;
  delete(handle: ObjectHandle): Promise<void>;
}

/**
 * Writing an object from a local file, so a writer need not hold it in memory (packs are
 * assembled in such files). Optional: a storage without it takes bytes through `put`.
 */
export interface FileSource {
  /**
   * A fresh path for a new file meant for `putFile`: on the storage's own filesystem when
   * that lets `putFile` link it into place instead of copying it, else a temporary folder.
   * Names start with `.`, so a file left by a crash is never listed as an object;
   * `Storage.removeStaleTempFiles` deletes it once stale.
   */
  tempPath(): string;
  /**
   * Stores the bytes of the local file `path` (`size` bytes) under `handle`, with the
   * guarantees of `put` (atomic, replaces). The file is left where it is: the caller
   * removes it. Safe to retry.
   */
  putFile(handle: ObjectHandle, path: string, size: number): Promise<void>;
}

export interface Storage extends StorageReader, StorageWriter {
  /**
   * Requests this storage serves well at once (S3: its connection limit); writers size
   * their upload concurrency from it. Absent for local storage.
   */
  readonly concurrency?: number;
  /** Present when the storage can store an object from a local file (see FileSource). */
  readonly files?: FileSource;
  /** Prepares an empty location to hold a repository (folders, bucket checks). Idempotent. */
  create(): Promise<void>;
  /** Whether a repository config object exists here. */
  exists(): Promise<boolean>;
  /**
   * Deletes the temporary files of this storage's writers last modified before
   * `modifiedBefore`: leftovers of writers that were killed. They include paths from
   * `files.tempPath()` and names a writer derives from one by appending `-…`. A live
   * writer keeps modifying its file, so an age no live writer reaches makes this safe
   * while others write. Returns how many were removed. Absent where nothing temporary is kept.
   */
  removeStaleTempFiles?(modifiedBefore: Date): Promise<number>;
  close(): Promise<void>;
}

export function describeHandle(h: ObjectHandle): string {
  return h.type === 'config' ? 'config' : `${h.type}/${h.name}`;
}
