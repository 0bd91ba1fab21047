/**
 * Filesystem storage, the embedded default. Layout under the root:
 *
 *     config
 *     keys/<name>   index/<name>   snapshots/<name>   locks/<name>
 *     data/<first two hex characters of the name>/<name>   (256 subfolders made by create())
 *
 * Atomicity: `put` writes a temporary file `.tmp-<random>` in the object's own folder (so
 * the rename stays on one filesystem), fsyncs it, renames it over the target, then fsyncs
 * the folder. The order matters: fsync before rename means the name never points at
 * unflushed bytes; fsync of the folder after makes the rename itself durable. A crash at
 * any point leaves the old object or the new one, plus at worst an orphan temporary file,
 * which `list` skips and `removeStaleTempFiles` deletes. Files are 0600, folders 0700.
 */
import { mkdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { sysCode, type HoldfastError } from '../../core/errors.ts';
import { checkHandle, checkRange } from '../object-handle.ts';
import type { ByteRange, FileSource, ObjectHandle, ObjectInfo, ObjectType, Storage } from '../storage.ts';
import { toStorageError, type FsOperation } from './fs-errors.ts';
import { linkOrCopy, listFiles, listFolders, listNames, readFileInto, readFileRange, syncFile, syncFolder, systemError, writeNewFileSynced } from './fs-files.ts';
import { DATA_SUBFOLDERS, DIR_MODE, FOLDER_TYPES, isTempFileName, objectPath, tempFileName } from './fs-layout.ts';
import { ReadHandles } from './read-handles.ts';

export class FsStorage implements Storage {
  readonly location: string;
  /**
   * Files to store are made in the root (as temporary files, which `list` skips and
   * `removeStaleTempFiles` cleans up), so `putFile` links them into place: no copy.
   */
  readonly files: FileSource;
  /** Pack files stay open between range reads (immutable once stored; see read-handles.ts). */
  readonly #packHandles = new ReadHandles();

  constructor(root: string) {
    this.location = resolve(root);
    this.files = { tempPath: () => join(this.location, tempFileName()), putFile: (handle, path) => this.#putFile(handle, path) };
  }

  async create(): Promise<void> {
    const folders = ['', ...FOLDER_TYPES, ...DATA_SUBFOLDERS];
    for (const folder of folders) {
      await mkdir(this.#abs(folder), { recursive: true, mode: DIR_MODE }).catch((err: unknown) => {
        throw this.#error(err, 'create', folder === '' ? 'the repository folder' : folder);
      });
    }
  }

  async exists(): Promise<boolean> {
    try {
      return (await stat(this.#abs('config'))).isFile();
    } catch (err) {
      if (sysCode(err) === 'ENOENT' || sysCode(err) === 'ENOTDIR') return false;
      throw this.#error(err, 'stat', 'config');
    }
  }

  async get(handle: ObjectHandle, range?: ByteRange, into?: Uint8Array): Promise<Buffer> {
    checkHandle(handle);
    checkRange(handle, range);
    const rel = objectPath(handle);
    try {
      if (range === undefined) return into ? await readFileInto(this.#abs(rel), into) : await readFile(this.#abs(rel));
      return handle.type === 'data' ? await this.#packHandles.read(this.#abs(rel), range) : await readFileRange(this.#abs(rel), range);
    } catch (err) {
      throw this.#error(err, 'read', rel);
    }
  }

  async stat(handle: ObjectHandle): Promise<ObjectInfo> {
    checkHandle(handle);
    const rel = objectPath(handle);
    try {
      const s = await stat(this.#abs(rel));
      if (!s.isFile()) throw systemError('EISDIR', `${rel} is not a regular file`);
      return { name: handle.type === 'config' ? 'config' : handle.name, size: s.size };
    } catch (err) {
      throw this.#error(err, 'stat', rel);
    }
  }

  async *list(type: ObjectType): AsyncIterable<ObjectInfo> {
    const folders = type === 'config' ? [''] : await this.#foldersOf(type);
    for (const folder of folders) {
      const files = await listFiles(this.#abs(folder)).catch((err: unknown) => {
        throw this.#error(err, 'list', folder === '' ? 'config' : folder);
      });
      yield* type === 'config' ? files.filter((f) => f.name === 'config') : files;
    }
  }

  async put(handle: ObjectHandle, data: Uint8Array): Promise<void> {
    checkHandle(handle);
    const rel = objectPath(handle);
    const target = this.#abs(rel);
    const temp = join(dirname(target), tempFileName());
    this.#packHandles.forget(target);
    try {
      await writeNewFileSynced(temp, data);
      await rename(temp, target);
      await syncFolder(dirname(target));
    } catch (err) {
      await rm(temp, { force: true }).catch(() => {});
      throw this.#error(err, 'write', rel);
    }
  }

  /** As `put`, from a file: flushed, linked (or copied) to a temporary name beside the target, renamed over it. */
  async #putFile(handle: ObjectHandle, path: string): Promise<void> {
    checkHandle(handle);
    const rel = objectPath(handle);
    const target = this.#abs(rel);
    const temp = join(dirname(target), tempFileName());
    this.#packHandles.forget(target);
    try {
      await syncFile(path);
      await linkOrCopy(path, temp);
      await rename(temp, target);
      await syncFolder(dirname(target));
    } catch (err) {
      await rm(temp, { force: true }).catch(() => {});
      throw this.#error(err, 'write', rel);
    }
  }

  async delete(handle: ObjectHandle): Promise<void> {
    checkHandle(handle);
    const rel = objectPath(handle);
    this.#packHandles.forget(this.#abs(rel));
    try {
      await unlink(this.#abs(rel));
    } catch (err) {
      if (sysCode(err) !== 'ENOENT') throw this.#error(err, 'delete', rel);
    }
  }

  async close(): Promise<void> {
    this.#packHandles.closeAll();
  }

  /** Temporary files in the root (packs being assembled) and in every object folder (`put`). */
  async removeStaleTempFiles(modifiedBefore: Date): Promise<number> {
    const cutoff = modifiedBefore.getTime();
    const flat = FOLDER_TYPES.filter((t) => t !== 'data');
    let removed = 0;
    for (const folder of ['', ...flat, ...(await this.#foldersOf('data'))]) {
      removed += await this.#removeStaleIn(folder, cutoff);
    }
    return removed;
  }

  async #removeStaleIn(folder: string, cutoffMs: number): Promise<number> {
    let removed = 0;
    const names = await listNames(this.#abs(folder), isTempFileName).catch((err: unknown) => {
      throw this.#error(err, 'list', folder);
    });
    for (const name of names) {
      const rel = folder === '' ? name : `${folder}/${name}`;
      try {
        const s = await stat(this.#abs(rel));
        if (!s.isFile() || s.mtimeMs >= cutoffMs) continue;
        await unlink(this.#abs(rel));
        removed++;
      } catch (err) {
        if (sysCode(err) !== 'ENOENT') throw this.#error(err, 'delete', rel);
      }
    }
    return removed;
  }

  async #foldersOf(type: Exclude<ObjectType, 'config'>): Promise<string[]> {
    if (type !== 'data') return [type];
    const names = await listFolders(this.#abs('data')).catch((err: unknown) => {
      throw this.#error(err, 'list', 'data');
    });
    return names.sort().map((name) => `data/${name}`);
  }

  #abs(rel: string): string {
    return rel === '' ? this.location : join(this.location, rel);
  }

  #error(err: unknown, op: FsOperation, subject: string): HoldfastError {
    return toStorageError(err, { op, subject, location: this.location });
  }
}
