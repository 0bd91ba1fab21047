/**
 * `repair index` (restic's name; `rebuild-index` is its alias): builds the index again
 * from the packs themselves, for when index files are lost, damaged or name packs that
 * are gone. Under the exclusive lock it (1) notes the index files present, (2) reads the
 * header of every stored pack (only the pack's end) and writes new index files covering
 * exactly those packs as it goes, (3) deletes the old index files. A crash before (3)
 * leaves duplicate index entries and, at worst, old entries for missing packs: run it
 * again. Packs whose header cannot be read are reported and left out of the index (so
 * `check` warns about them and `prune` would delete them).
 */
import { isHoldfastError, messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { Clock } from '../../core/clock.ts';
import type { BlobLocation } from '../blob.ts';
import { encodeIndex } from '../index/index-format.ts';
import { acquireLock } from '../lock/lock.ts';
import { readPackHeader } from '../pack/pack-header.ts';
import type { Repository } from '../repository.ts';
import { retainedObjects } from './object-lock.ts';

/** Entries per index file, as backups and prune write them. */
const INDEX_FILE_ENTRIES = 50_000;
/** Pack headers read at once on local storage (remote: the storage's connections, up to 16). */
const LOCAL_READS = 4;

export interface RepairIndexOptions {
  readonly clock: Clock;
  readonly onPack?: (done: number, total: number) => void;
}

export interface RepairIndexResult {
  /** Packs in storage, and the blobs the new index lists for them. */
  packs: number;
  blobs: number;
  indexFilesWritten: number;
  indexFilesRemoved: number;
  /** Old index files that could not be read (they are removed all the same). */
  unreadableIndexFiles: number;
  /** Old index files object lock keeps: they stay, with whatever they list. */
  retainedIndexFiles: number;
  /** Stored packs no readable old index file listed. */
  packsAdded: number;
  /** Packs the old index listed that storage does not hold. */
  packsDropped: number;
  /** Packs whose header could not be read: their blobs are not in the new index. */
  readonly unreadablePacks: Array<{ pack: Id; message: string }>;
}

export async function repairIndex(repo: Repository, opts: RepairIndexOptions): Promise<RepairIndexResult> {
  const lock = await acquireLock(repo, { exclusive: true, clock: opts.clock });
  try {
    return await repairLocked(repo, opts);
  } finally {
    await lock.release();
  }
}

async function repairLocked(repo: Repository, opts: RepairIndexOptions): Promise<RepairIndexResult> {
  const result: RepairIndexResult = {
    packs: 0, blobs: 0, indexFilesWritten: 0, indexFilesRemoved: 0, unreadableIndexFiles: 0, retainedIndexFiles: 0, packsAdded: 0, packsDropped: 0, unreadablePacks: [],
  };
  const old = await oldIndex(repo, result);
  const stored = new Map<Id, number>();
  for await (const info of repo.backend.list('data')) stored.set(info.name, info.size);
  result.packs = stored.size;
  for (const pack of stored.keys()) if (!old.packs.has(pack)) result.packsAdded++;
  for (const pack of old.packs) if (!stored.has(pack)) result.packsDropped++;

  const written = await indexPacks(repo, stored, result, opts);
  const retained = await retainedObjects(repo.storage, 'index', old.files, opts.clock.now());
  result.retainedIndexFiles = retained.size;
  for (const name of old.files) {
    if (written.has(name) || retained.has(name)) continue;
    await repo.storage.delete({ type: 'index', name });
    result.indexFilesRemoved++;
  }
  return result;
}

/** The index files present now, and the packs the readable ones name. */
async function oldIndex(repo: Repository, result: RepairIndexResult): Promise<{ files: Id[]; packs: Set<Id> }> {
  const files: Id[] = [];
  const packs = new Set<Id>();
  for await (const info of repo.storage.list('index')) {
    files.push(info.name);
    try {
      for (const loc of await repo.readIndexFile(info.name)) packs.add(loc.pack);
    } catch (err) {
      repo.logger.warn({ index: info.name, error: messageOf(err) }, 'ignoring an unreadable index file');
      result.unreadableIndexFiles++;
    }
  }
  return { files, packs };
}

/** Reads every pack's header and writes index files for them as they fill; returns their names. */
async function indexPacks(repo: Repository, stored: Map<Id, number>, result: RepairIndexResult, opts: RepairIndexOptions): Promise<Set<Id>> {
  const written = new Set<Id>();
  let pending: BlobLocation[] = [];
  const save = async (): Promise<void> => {
    const locations = pending;
    pending = [];
    written.add(await repo.saveObject('index', encodeIndex(locations)));
    repo.index.addAll(locations);
    result.indexFilesWritten++;
  };
  const queue = [...stored];
  let done = 0;
  const lane = async (): Promise<void> => {
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const [pack, size] = next;
      try {
        const locations = await readPackHeader(repo.backend, repo.key.encKey, pack, size);
        pending.push(...locations);
        result.blobs += locations.length;
      } catch (err) {
        if (!isDamage(err)) {
          queue.length = 0;
          throw err;
        }
        result.unreadablePacks.push({ pack, message: messageOf(err) });
      }
      opts.onPack?.(++done, stored.size);
      if (pending.length >= INDEX_FILE_ENTRIES) await save();
    }
  };
  const lanes = Math.min(16, repo.backend.concurrency ?? LOCAL_READS);
  await Promise.all(Array.from({ length: lanes }, lane));
  if (pending.length > 0) await save();
  result.unreadablePacks.sort((a, b) => a.pack.localeCompare(b.pack));
  return written;
}

/**
 * A header that is there but wrong. Anything else (storage failures, a newer format)
 * stops the repair before it deletes an old index file: leaving a readable pack out of
 * the index would let the next prune delete it.
 */
function isDamage(err: unknown): boolean {
  return isHoldfastError(err, 'REPO_CORRUPT') || isHoldfastError(err, 'AUTH_FAILED');
}
