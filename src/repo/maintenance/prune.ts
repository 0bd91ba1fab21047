/**
 * `prune`: removes data no snapshot uses. Under an exclusive lock it (1) finds the blobs
 * every snapshot needs, (2) copies the used blobs out of packs that are mostly unused
 * into new packs, (3) writes a complete new index, (4) deletes the old index files,
 * (5) deletes packs nothing references. A crash between any two steps leaves either
 * duplicate index entries or unreferenced packs — both harmless, both cleaned by the next
 * prune — and never an indexed blob without its pack.
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
import { collectUsedBlobs } from './used-blobs.ts';

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
}

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
  const plan = planPrune(indexFiles, stored, used, opts.maxUnused ?? 0.05);
  const missing = [...used.data, ...used.trees].filter((id) => !repo.index.has(id));
  if (missing.length > 0) {
    throw new HoldfastError('REPO_CORRUPT', `prune stopped before changing anything: ${missing.length} blob(s) that snapshots use are not indexed (first ${missing[0]}); run 'holdfast check'`);
  }
  if (opts.dryRun) return { plan, packsWritten: 0, bytesWritten: 0 };
  await step('plan');
  const sink = new PackSink(repo, { writeIndex: false });
  await repack(repo, plan, sink);
  await sink.flush();
  await step('repacked');
  const keep = [...plan.keepLocations, ...sink.written()];
  for (let i = 0; i < keep.length; i += 50_000) await repo.saveObject('index', encodeIndex(keep.slice(i, i + 50_000)));
  await step('indexed');
  for (const name of indexFiles.keys()) await repo.storage.delete({ type: 'index', name });
  await step('old-index-deleted');
  for (const pack of plan.deletePacks) await repo.storage.delete({ type: 'data', name: pack });
  await step('done');
  return { plan, packsWritten: sink.stats.packs, bytesWritten: sink.stats.storedBytes };
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
