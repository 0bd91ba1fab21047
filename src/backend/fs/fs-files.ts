/**
 * File primitives for the filesystem storage, on absolute paths, throwing raw Node.js
 * errors (the storage maps them). Durability: a written file is fsynced before it is
 * renamed into place, and its folder after, so the new name survives a power loss.
 */
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sysCode } from '../../core/errors.ts';
import type { ByteRange, ObjectInfo } from '../storage.ts';
import { DIR_MODE, FILE_MODE, isHiddenName } from './fs-layout.ts';

/** Filesystems that cannot fsync a folder report these; the rename is then as durable as it gets. */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP']);

/** Creates `file` (which must not exist) with `data`, flushed to disk. */
export async function writeNewFileSynced(file: string, data: Uint8Array): Promise<void> {
  const fh = await openExclusive(file);
  try {
    await writeAll(fh, data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A folder removed by hand (a data subfolder, say) is recreated; a missing root is not. */
async function openExclusive(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'wx', FILE_MODE);
  } catch (err) {
    if (sysCode(err) !== 'ENOENT') throw err;
    await mkdir(dirname(file), { mode: DIR_MODE }).catch(ignoreCode('EEXIST'));
    return await open(file, 'wx', FILE_MODE);
  }
}

/** Flushes an existing file's bytes to disk. */
export async function syncFile(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Failures of `link` that mean "no hard link here" (another filesystem, or none supported): copy instead. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

/**
 * Makes `to` (which must not exist) a second name of `from`'s bytes: a hard link, or a
 * flushed copy where links are impossible. A missing folder of `to` is created.
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await linkRecreatingFolder(from, to);
  } catch (err) {
    if (!NO_LINK.has(sysCode(err) ?? '')) throw err;
    await copyFile(from, to, constants.COPYFILE_EXCL);
    await syncFile(to);
  }
}

async function linkRecreatingFolder(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if (sysCode(err) !== 'ENOENT' || !(await exists(from))) throw err;
    await mkdir(dirname(to), { mode: DIR_MODE }).catch(ignoreCode('EEXIST'));
    await link(from, to);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.byteLength) {
    const { bytesWritten } = await fh.write(data, written, data.byteLength - written);
    written += bytesWritten;
  }
}

export async function syncFolder(folder: string): Promise<void> {
  const fh = await open(folder, 'r');
  try {
    await fh.sync();
  } catch (err) {
    if (!FOLDER_SYNC_UNSUPPORTED.has(sysCode(err) ?? '')) throw err;
  } finally {
    await fh.close();
  }
}

/** Reads the part of `range` that exists; a range past the end yields fewer bytes or none. */
export async function readFileRange(file: string, range: ByteRange): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    return await readOpenRange(fh, (await fh.stat()).size, range);
  } finally {
    await fh.close();
  }
}

/** A whole file, read into `into` when it fits (a view of it), else into a buffer of its own. */
export async function readFileInto(file: string, into: Uint8Array): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size > into.byteLength) return await readOpenRange(fh, size, { offset: 0, length: size });
    return await readFully(fh, Buffer.from(into.buffer, into.byteOffset, size), 0);
  } finally {
    await fh.close();
  }
}

/** Reads the part of `range` that exists in an open file of `size` bytes. */
export async function readOpenRange(fh: FileHandle, size: number, range: ByteRange): Promise<Buffer> {
  const length = Math.max(0, Math.min(range.length, size - range.offset));
  return readFully(fh, Buffer.allocUnsafeSlow(length), range.offset);
}

/** Fills `buf` from the file at `position`; a view of what was read if the file ends first. */
async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<Buffer> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesRead } = await fh.read(buf, done, buf.byteLength - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === buf.byteLength ? buf : buf.subarray(0, done);
}

/** Regular, non-hidden files in `folder` with their sizes; a missing folder lists as empty. */
export async function listFiles(folder: string): Promise<ObjectInfo[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(emptyIfMissing);
  const names = entries.filter((e) => e.isFile() && !isHiddenName(e.name)).map((e) => e.name);
  const infos = await Promise.all(names.map((name) => statIfPresent(join(folder, name), name)));
  return infos.filter((info) => info !== undefined);
}

/** Subfolder names of `folder`; a missing folder has none. */
export async function listFolders(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(emptyIfMissing);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** Names of all entries in `folder` that `match`; a missing folder has none. */
export async function listNames(folder: string, match: (name: string) => boolean): Promise<string[]> {
  const names = await readdir(folder).catch(emptyIfMissing);
  return names.filter(match);
}

async function statIfPresent(file: string, name: string): Promise<ObjectInfo | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? { name, size: s.size } : undefined;
  } catch (err) {
    if (sysCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function emptyIfMissing(err: unknown): never[] {
  if (sysCode(err) === 'ENOENT') return [];
  throw err;
}

export function ignoreCode(code: string): (err: unknown) => void {
  return (err) => {
    if (sysCode(err) !== code) throw err;
  };
}

/** A Node-style system error, for conditions Node reports as success (a folder where a file should be). */
export function systemError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
