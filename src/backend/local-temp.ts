/**
 * Temporary files on the local machine for storages that keep nothing local (S3): the files
 * `putFile` uploads. They are `.holdfast-<24 hex>` in the local temporary folder, which
 * other programs, users and holdfast processes share, so a sweep only touches names of
 * exactly that form, skips what it may not delete, and relies on the age of a file alone.
 */
import { randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HoldfastError, sysCode } from '../core/errors.ts';

/** A name from `localTempPath`, or one a writer derived from it by appending `-…`. */
const LOCAL_TEMP_NAME = /^\.holdfast-[0-9a-f]{24}(?:$|-)/;

/** Another user's file, or one gone meanwhile: not ours to sweep. */
const NOT_OURS = new Set(['ENOENT', 'EACCES', 'EPERM']);

export function localTempPath(): string {
  return join(tmpdir(), `.holdfast-${randomBytes(12).toString('hex')}`);
}

/** Deletes local temporary files last modified before `modifiedBefore`; returns how many. */
export async function removeStaleLocalTempFiles(modifiedBefore: Date, folder = tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(folder).catch(sweepError(folder))) {
    if (!LOCAL_TEMP_NAME.test(name)) continue;
    const path = join(folder, name);
    try {
      const s = await stat(path);
      if (!s.isFile() || s.mtimeMs >= modifiedBefore.getTime()) continue;
      await unlink(path);
      removed++;
    } catch (err) {
      if (!NOT_OURS.has(sysCode(err) ?? '')) sweepError(path)(err);
    }
  }
  return removed;
}

function sweepError(path: string): (err: unknown) => never {
  return (err) => {
    throw new HoldfastError('STORAGE_IO', `cannot remove stale temporary files in ${path}: ${sysCode(err) ?? String(err)}`, { cause: err });
  };
}
