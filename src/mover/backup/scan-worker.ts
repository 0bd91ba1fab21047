/**
 * The scan worker's program (see dir-scanner.ts): lists the backup paths depth-first,
 * lstat-ing every entry, and posts the listings in batches, staying at most
 * `setup.limit` entries ahead of what the main thread has taken unless the main thread
 * is waiting for a directory.
 *
 * It runs as a plain script (`new Worker(source, { eval: true })`, the source being this
 * function's text once Node has stripped its types), so the worker starts in tens of
 * milliseconds without loading the TypeScript loader or any module: everything it uses
 * comes from `process.getBuiltinModule`, and the wire layout it writes is the one
 * dir-listing.ts reads (ten float64 per entry, in `STAT_FIELDS` order).
 */
import type { PackedListing, ScanMessage, ScanSetup } from './dir-listing.ts';

export function scanWorkerMain(): void {
  const { lstatSync, readdirSync } = process.getBuiltinModule('node:fs');
  const { join, matchesGlob } = process.getBuiltinModule('node:path');
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  const S_IFMT = 0o170000;
  const S_IFDIR = 0o040000;
  const FIELDS = 10;
  const BATCH_ENTRIES = 2048;
  const setup = workerData as ScanSetup;
  const credit = new Int32Array(setup.credit);
  const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
  const excluded = (abs: string, name: string): boolean => setup.excludes.some((p) => matchesGlob(abs, p) || matchesGlob(name, p));
  let batch: PackedListing[] = [];
  let batchEntries = 0;

  const list = (path: string): PackedListing => {
    let all: string[];
    try {
      all = readdirSync(path).sort();
    } catch (err) {
      return { path, error: message(err), names: [], stats: new Float64Array(0) };
    }
    const names = setup.excludes.length > 0 ? all.filter((n) => !excluded(join(path, n), n)) : all;
    const stats = new Float64Array(names.length * FIELDS);
    const errors: Record<number, string> = {};
    let failed = false;
    for (let i = 0; i < names.length; i++) {
      try {
        const st = lstatSync(join(path, names[i] as string));
        stats.set([st.mode, st.uid, st.gid, st.mtimeMs, st.ctimeMs, st.ino, st.dev, st.nlink, st.size, st.rdev], i * FIELDS);
      } catch (err) {
        errors[i] = message(err);
        failed = true;
      }
    }
    return { path, names, stats, ...(failed ? { errors } : {}) };
  };

  const flush = (): void => {
    if (batch.length === 0) return;
    Atomics.add(credit, 0, batchEntries);
    const msg: ScanMessage = { kind: 'listings', listings: batch };
    parentPort?.postMessage(msg, batch.map((l) => l.stats.buffer));
    batch = [];
    batchEntries = 0;
    for (let ahead = Atomics.load(credit, 0); ahead > setup.limit && Atomics.load(credit, 1) === 0; ahead = Atomics.load(credit, 0)) {
      Atomics.wait(credit, 0, ahead, 100);
    }
  };

  const scan = (path: string): void => {
    const listing = list(path);
    const subdirs = listing.names.filter((_, i) => listing.errors?.[i] === undefined && ((listing.stats[i * FIELDS] as number) & S_IFMT) === S_IFDIR);
    batch.push(listing);
    batchEntries += listing.names.length + 1;
    if (batchEntries >= BATCH_ENTRIES) flush(); // transfers (detaches) the batch's stats
    for (const name of subdirs) scan(join(path, name));
  };

  for (const root of setup.roots) {
    try {
      if (lstatSync(root).isDirectory()) scan(root);
    } catch {
      // the archiver reports an unreadable backup path itself
    }
  }
  flush();
  const done: ScanMessage = { kind: 'done' };
  parentPort?.postMessage(done);
}
