/**
 * Lists the source tree ahead of the tree archiver, like DirScanner, but from the main
 * thread: each directory is read and its entries lstat-ed on a thread of libuv's pool by
 * the native addon (`native/src/listdir.c`), a few directories at once. No worker isolate
 * is started for it (ADRs 0033, 0037).
 *
 * The order and the words are DirScanner's: names sorted by UTF-16 code units, the
 * excludes left out (and not descended into), readdir and lstat failures in Node's own
 * messages (`scandir` and `lstat` with the path).
 */
import { nativeWith } from '../../core/native.ts';
import { join } from 'node:path';
import { lstatSync } from 'node:fs';
import { systemErrorMessage } from '../../core/errors.ts';
import { STAT_FIELDS, isExcluded, unpackListing } from './dir-listing.ts';
import type { DirListing, PackedListing, TreeScanner } from './dir-listing.ts';

interface NativeList {
  listDir(path: string): Promise<{ error: number; names: string[]; stats: Float64Array; errnos: Int32Array }>;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
/**
 * Entries listed ahead of the archiver at most (unless it waits): the scan reads ~180,000
 * entries a second, so this is ~0.1 s of lead, and the listings held (names and stats)
 * stay a few MB. 200,000 (the scan worker's) held a whole kernel tree: ~10 MB more.
 */
const AHEAD_ENTRIES = 20_000;
/** Directories read at once: enough to hide a pool round trip, few enough to leave threads for others. */
const IN_FLIGHT = 3;

/** The addon's listDir, when it is built; else undefined. */
export function nativeListDir(): NativeList | undefined {
  return nativeWith<NativeList>('listDir');
}

export class NativeDirScanner implements TreeScanner {
  readonly #native: NativeList;
  readonly #excludes: readonly string[];
  readonly #limit: number;
  /** Directories to read, in depth-first order from the end (a stack: the next is last). */
  readonly #pending: string[] = [];
  readonly #ready = new Map<string, PackedListing>();
  readonly #waiters = new Map<string, () => void>();
  #readyEntries = 0;
  #inFlight = 0;
  #finished = false;

  private constructor(native: NativeList, roots: readonly string[], excludes: readonly string[], limit: number) {
    this.#native = native;
    this.#excludes = excludes;
    this.#limit = limit;
    for (const root of [...roots].reverse()) if (isDirectory(root)) this.#pending.push(root);
    this.#pump();
  }

  /** Starts listing `roots` (absolute paths) depth-first, at most `aheadEntries` entries ahead of what has been taken. */
  static start(native: NativeList, roots: readonly string[], excludes: readonly string[], aheadEntries = AHEAD_ENTRIES): NativeDirScanner {
    return new NativeDirScanner(native, roots, excludes, aheadEntries);
  }

  /** The directory as scanned, or undefined when the scan does not have it. */
  async take(path: string): Promise<DirListing | undefined> {
    if (!this.#ready.has(path) && !this.#finished) {
      const at = this.#pending.lastIndexOf(path);
      if (at >= 0 && at < this.#pending.length - 1) this.#pending.push(...this.#pending.splice(at, 1));
      const arrived = new Promise<void>((resolve) => this.#waiters.set(path, resolve));
      this.#pump();
      await arrived;
    }
    const packed = this.#ready.get(path);
    if (!packed) return undefined;
    this.#ready.delete(path);
    this.#readyEntries -= packed.names.length + 1;
    this.#pump();
    return unpackListing(packed);
  }

  async close(): Promise<void> {
    this.#pending.length = 0;
    this.#finish();
  }

  /** Starts reads while there is room: under the limit, or whenever someone waits. */
  #pump(): void {
    while (this.#inFlight < IN_FLIGHT && this.#pending.length > 0 && (this.#readyEntries < this.#limit || this.#waiters.size > 0)) {
      const path = this.#pending.pop() as string;
      this.#inFlight++;
      void this.#read(path);
    }
    if (this.#inFlight === 0 && this.#pending.length === 0) this.#finish();
  }

  async #read(path: string): Promise<void> {
    let listing: PackedListing;
    try {
      listing = this.#pack(path, await this.#native.listDir(path));
    } catch (err) {
      listing = { path, error: String(err), names: [], stats: new Float64Array(0) };
    }
    this.#inFlight--;
    if (this.#finished) return;
    for (let i = listing.names.length - 1; i >= 0; i--) {
      if (listing.errors?.[i] === undefined && ((listing.stats[i * STAT_FIELDS] as number) & S_IFMT) === S_IFDIR) this.#pending.push(join(path, listing.names[i] as string));
    }
    this.#ready.set(path, listing);
    this.#readyEntries += listing.names.length + 1;
    const waiter = this.#waiters.get(path);
    this.#waiters.delete(path);
    waiter?.();
    this.#pump();
  }

  /** The addon's answer as the scan worker packs it: sorted, excluded entries left out, errors worded. */
  #pack(path: string, raw: { error: number; names: string[]; stats: Float64Array; errnos: Int32Array }): PackedListing {
    if (raw.error !== 0) return { path, error: systemErrorMessage(raw.error, 'scandir', path), names: [], stats: new Float64Array(0) };
    const order = raw.names.map((_, i) => i).sort((a, b) => compareNames(raw.names[a] as string, raw.names[b] as string));
    const kept = this.#excludes.length > 0 ? order.filter((i) => !isExcluded(join(path, raw.names[i] as string), raw.names[i] as string, this.#excludes)) : order;
    const names = kept.map((i) => raw.names[i] as string);
    const stats = new Float64Array(kept.length * STAT_FIELDS);
    const errors: Record<number, string> = {};
    let failed = false;
    kept.forEach((from, to) => {
      const errno = raw.errnos[from] ?? 0;
      if (errno !== 0) {
        errors[to] = systemErrorMessage(errno, 'lstat', join(path, names[to] as string));
        failed = true;
      } else {
        stats.set(raw.stats.subarray(from * STAT_FIELDS, (from + 1) * STAT_FIELDS), to * STAT_FIELDS);
      }
    });
    return { path, names, stats, ...(failed ? { errors } : {}) };
  }

  #finish(): void {
    this.#finished = true;
    for (const [path, wake] of [...this.#waiters]) {
      this.#waiters.delete(path);
      wake();
    }
  }
}

/** Array.prototype.sort's default order (UTF-16 code units), which readdirSync().sort() gives. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false; // the archiver reports an unreadable backup path itself
  }
}
