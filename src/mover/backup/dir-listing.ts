/**
 * A directory as the tree archiver walks it: entry names in sorted order (UTF-16 code
 * units, the order trees are encoded in) and each entry's lstat result, or why there is
 * none. It is read either on the spot (`readListing`) or ahead of time by the scan
 * worker (dir-scanner.ts), which hands over the same numbers in a flat form: ten
 * float64 per entry, exact because lstat's numbers are doubles already.
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { messageOf } from '../../core/errors.ts';

export type EntryStat = Pick<Stats, 'mode' | 'uid' | 'gid' | 'mtimeMs' | 'ctimeMs' | 'ino' | 'dev' | 'nlink' | 'size' | 'rdev'>;

export interface DirListing {
  /** Why the directory could not be listed; then there are no names. */
  readonly error?: string;
  readonly names: readonly string[];
  /** The entry's lstat result, or the message of lstat's error. */
  stat(index: number): EntryStat | string;
}

/**
 * What lists the source tree ahead of the archiver: the scan worker (DirScanner) or the
 * native addon from the main thread (NativeDirScanner).
 */
export interface TreeScanner {
  /** The directory as scanned, or undefined when the scan does not have it (the archiver then reads it itself). */
  take(path: string): Promise<DirListing | undefined>;
  close(): Promise<void>;
}

/** A listing on the wire from the scan worker; entries the excludes match are left out. */
export interface PackedListing {
  readonly path: string;
  readonly error?: string;
  readonly names: string[];
  readonly stats: Float64Array<ArrayBuffer>;
  /** lstat errors by entry index. */
  readonly errors?: Record<number, string>;
}

/** What the scan worker (scan-worker.ts) is started with. */
export interface ScanSetup {
  readonly roots: readonly string[];
  readonly excludes: readonly string[];
  /** Int32 [entries posted but not yet taken, 1 while the main thread waits]. */
  readonly credit: SharedArrayBuffer;
  readonly limit: number;
}

export type ScanMessage = { kind: 'listings'; listings: PackedListing[] } | { kind: 'done' };

/** Float64 per entry: mode, uid, gid, mtimeMs, ctimeMs, ino, dev, nlink, size, rdev (scan-worker.ts writes them). */
export const STAT_FIELDS = 10;

export function isExcluded(abs: string, name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matchesGlob(abs, pattern) || matchesGlob(name, pattern));
}

/** Lists a directory now; entries are lstat-ed only when asked for. */
export function readListing(abs: string): DirListing {
  let names: string[];
  try {
    names = readdirSync(abs).sort();
  } catch (err) {
    return { error: messageOf(err), names: [], stat: () => 'not listed' };
  }
  return {
    names,
    stat: (i) => {
      try {
        return lstatSync(join(abs, names[i] as string));
      } catch (err) {
        return messageOf(err);
      }
    },
  };
}

export function unpackListing(packed: PackedListing): DirListing {
  const s = packed.stats;
  return {
    ...(packed.error !== undefined ? { error: packed.error } : {}),
    names: packed.names,
    stat: (i) => {
      const failed = packed.errors?.[i];
      if (failed !== undefined) return failed;
      const at = i * STAT_FIELDS;
      return {
        mode: s[at] as number, uid: s[at + 1] as number, gid: s[at + 2] as number, mtimeMs: s[at + 3] as number,
        ctimeMs: s[at + 4] as number, ino: s[at + 5] as number, dev: s[at + 6] as number, nlink: s[at + 7] as number,
        size: s[at + 8] as number, rdev: s[at + 9] as number,
      };
    },
  };
}
