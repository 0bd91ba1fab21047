/**
 * `prune`: removes data no snapshot uses. Under an exclusive lock it (1) finds the blobs
 * every snapshot needs, (2) copies the used blobs out of packs that are mostly unused
 * into new packs, (3) writes a complete new index, (4) deletes the old index files,
 * (5) deletes packs nothing references. A crash between any two steps leaves either
 * duplicate index entries or unreferenced packs — both harmless, both cleaned by the next
 * prune — and never an indexed blob without its pack. Before changing anything it also
 * deletes the temporary files killed writers left (`STALE_TEMP_AGE_MS`).
 */
import type { Id } from '../../core/ids.ts';
import type { Clock } from '../../core/clock.ts';
import type { BlobLocation } from '../blob.ts';
import { encodeIndex } from '../index/index-format.ts';
import { acquireLock } from '../lock/lock.ts';
import { PackSink } from '../pack/pack-sink.ts';
import type { Repository } from '../repository.ts';
import { listSnapshots } from '../snapshot/snapshot-store.ts';
import { HoldfastError } from '../../core/errors.ts';
import { planPrune } from './prune-plan.ts';
import type { PrunePlan } from './prune-plan.ts';
import { collectUsedBlobs, type UsedBlobs } from './used-blobs.ts';
import { retainedObjects } from './object-lock.ts';

export interface PruneOptions {
  readonly clock: Clock;
  readonly dryRun?: boolean;
  /** Repack a pack when more than this fraction of its bytes is unused (default 0.05). */
  readonly maxUnused?: number;
  /** Called between steps; tests use it to crash at each one. */
  readonly onStep?: (step: string) => void | Promise<void>;
}

export interface PruneResult {
  readonly plan: PrunePlan;
  readonly packsWritten: number;
  readonly bytesWritten: number;
  /** Temporary files of killed writers that were deleted. */
  readonly tempFilesRemoved: number;
}

/**
 * How long a temporary file must have gone unmodified before prune deletes it. A live
 * writer appends to its pack file as blobs come (16 MiB take seconds) and uploads it right
 * after, so its file is minutes old at most, even on a slow link or behind a stalled
 * source. The exclusive lock alone does not protect it: a lock can be judged stale while
 * its writer lives (see lock.ts), and the local temporary folder of S3 storage is shared by
 * every repository on the machine. A day is far beyond any live writer; leftovers cost
 * at most a pack each until then. Deleting a live writer's file would fail its backup,
 * never corrupt the repository: the file can then no longer be stored.
 */
export const STALE_TEMP_AGE_MS = 24 * 3600_000;

export async function prune(repo: Repository, opts: PruneOptions): Promise<PruneResult> {
  const lock = await acquireLock(repo, { exclusive: true, clock: opts.clock });
  try {
    return await pruneLocked(repo, opts);
  } finally {
    await lock.release();
  }
}

async function pruneLocked(repo: Repository, opts: PruneOptions): Promise<PruneResult> {
  const step = async (name: string): Promise<void> => opts.onStep?.(name);
  const indexFiles = new Map<Id, BlobLocation[]>();
  for await (const info of repo.storage.list('index')) indexFiles.set(info.name, await repo.readIndexFile(info.name));
  for (const locs of indexFiles.values()) repo.index.addAll(locs);
  const used = await collectUsedBlobs(repo, await listSnapshots(repo));
  if (used.problems.length > 0) {
    const first = used.problems[0];
    throw new HoldfastError('REPO_CORRUPT', `prune stopped before changing anything: ${used.problems.length} tree(s) cannot be read (first: snapshot ${first?.snapshot.slice(0, 8)} ${first?.path}: ${first?.message}); run 'holdfast check'`);
  }
  const stored = new Map<Id, number>();
  for await (const info of repo.storage.list('data')) stored.set(info.name, info.size);
  const { plan, lockedIndex } = await planWithRetention(repo, indexFiles, stored, used, opts);
  const missing = [...used.data, ...used.trees].filter((id) => !repo.index.has(id));
  if (missing.length > 0) {
    throw new HoldfastError('REPO_CORRUPT', `prune stopped before changing anything: ${missing.length} blob(s) that snapshots use are not indexed (first ${missing[0]}); run 'holdfast check'`);
  }
  if (opts.dryRun) return { plan, packsWritten: 0, bytesWritten: 0, tempFilesRemoved: 0 };
  const tempFilesRemoved = await removeStaleTempFiles(repo, opts.clock);
  await step('plan');
  const sink = new PackSink(repo, { writeIndex: false });
  try {
    await repack(repo, plan, sink);
    await sink.flush();
  } finally {
    sink.abandon();
  }
  await step('repacked');
  const keep = [...plan.keepLocations, ...sink.written()];
  for (let i = 0; i < keep.length; i += 50_000) await repo.saveObject('index', encodeIndex(keep.slice(i, i + 50_000)));
  await step('indexed');
  for (const name of indexFiles.keys()) if (!lockedIndex.has(name)) await repo.storage.delete({ type: 'index', name });
  await step('old-index-deleted');
  for (const pack of plan.deletePacks) await repo.storage.delete({ type: 'data', name: pack });
  await step('done');
  return { plan, packsWritten: sink.stats.packs, bytesWritten: sink.stats.storedBytes, tempFilesRemoved };
}

async function removeStaleTempFiles(repo: Repository, clock: Clock): Promise<number> {
  const storage = repo.storage;
  return storage.removeStaleTempFiles ? storage.removeStaleTempFiles(new Date(clock.now().getTime() - STALE_TEMP_AGE_MS)) : 0;
}

/**
 * Plans, then asks storage which of the packs to free and which index files object lock
 * retains, and plans again keeping those. An index file that must stay pins every pack it
 * names: deleting such a pack would leave an index entry without its pack.
 */
async function planWithRetention(repo: Repository, indexFiles: Map<Id, BlobLocation[]>, stored: Map<Id, number>, used: UsedBlobs, opts: PruneOptions) {
  const maxUnused = opts.maxUnused ?? 0.05;
  const first = planPrune(indexFiles, stored, used, maxUnused);
  const now = opts.clock.now();
  const lockedIndex = await retainedObjects(repo.storage, 'index', indexFiles.keys(), now);
  const retained = await retainedObjects(repo.storage, 'data', first.deletePacks, now);
  for (const [name, until] of lockedIndex) {
    for (const loc of indexFiles.get(name) ?? []) {
      if (!first.deletePacks.has(loc.pack)) continue;
      const had = retained.get(loc.pack);
      if (had === undefined || had < until) retained.set(loc.pack, until);
    }
  }
  const plan = retained.size === 0 ? first : planPrune(indexFiles, stored, used, maxUnused, retained);
  return { plan, lockedIndex };
}

async function repack(repo: Repository, plan: PrunePlan, sink: PackSink): Promise<void> {
  for (const [pack, blobs] of plan.repack) {
    const data = await repo.storage.get({ type: 'data', name: pack });
    for (const loc of blobs) {
      const sealed = data.subarray(loc.offset, loc.offset + loc.length);
      repo.decodeBlob(loc, sealed);
      await sink.add({ id: loc.id, type: loc.type, rawLength: loc.rawLength, compressed: loc.compressed, sealed }, { force: true });
    }
  }
}
