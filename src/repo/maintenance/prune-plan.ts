/**
 * The decision part of prune, without I/O: which packs to keep, repack or delete, and
 * the locations the new index will hold for kept packs.
 */
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../blob.ts';
import type { UsedBlobs } from './used-blobs.ts';
import { SEAL_OVERHEAD } from '../crypto/aead.ts';
import { PACK_ENTRY_SIZE, PACK_TRAILER_SIZE } from '../pack/pack-format.ts';

export interface PrunePlan {
  readonly keepLocations: BlobLocation[];
  readonly repack: Map<Id, BlobLocation[]>;
  readonly deletePacks: Set<Id>;
  unusedBlobs: number;
  unusedBytes: number;
  usedBytes: number;
  readonly unreferencedPacks: number;
  /** Packs prune would free but object lock retains: kept whole, with their dates. */
  readonly retained: Map<Id, Date>;
  /** Unused bytes inside retained packs. */
  retainedUnusedBytes: number;
}

/**
 * `retained` packs (object lock) are kept as they are: never deleted nor repacked, their
 * used blobs indexed where they are.
 */
export function planPrune(indexFiles: Map<Id, BlobLocation[]>, stored: Map<Id, number>, used: UsedBlobs, maxUnused: number, retained = new Map<Id, Date>()): PrunePlan {
  const byPack = new Map<Id, BlobLocation[]>();
  for (const locs of indexFiles.values()) {
    for (const loc of locs) {
      if (!stored.has(loc.pack)) continue;
      const list = byPack.get(loc.pack) ?? [];
      if (!list.some((l) => l.id === loc.id)) list.push(loc);
      byPack.set(loc.pack, list);
    }
  }
  const unreferenced = [...stored.keys()].filter((p) => !byPack.has(p) && !retained.has(p));
  const plan: PrunePlan = {
    keepLocations: [], repack: new Map(), deletePacks: new Set(unreferenced), unusedBlobs: 0, unusedBytes: 0, usedBytes: 0,
    unreferencedPacks: unreferenced.length, retained: new Map(), retainedUnusedBytes: 0,
  };
  for (const [pack, until] of retained) if (stored.has(pack) && !byPack.has(pack)) keepRetained(plan, pack, until, stored.get(pack) ?? 0);
  const placed = new Set<Id>();
  const ordered = [...byPack].sort((a, b) => usedShare(b[1], used) - usedShare(a[1], used));
  for (const [pack, locs] of ordered) classifyPack(plan, { pack, locs, stored: stored.get(pack), until: retained.get(pack) }, used, placed, maxUnused);
  return plan;
}

interface PackFacts {
  readonly pack: Id;
  readonly locs: BlobLocation[];
  readonly stored: number | undefined;
  readonly until: Date | undefined;
}

/** Keep, repack or delete one pack; blobs already placed in a fuller pack count as unused here. */
function classifyPack(plan: PrunePlan, p: PackFacts, used: UsedBlobs, placed: Set<Id>, maxUnused: number): void {
  const live = p.locs.filter((l) => isUsed(l, used) && !placed.has(l.id));
  const liveBytes = live.reduce((s, l) => s + l.length, 0);
  const indexed = p.locs.reduce((s, l) => s + l.length, 0);
  const total = p.stored === undefined ? indexed : Math.max(indexed, p.stored - packOverhead(p.locs.length));
  plan.usedBytes += liveBytes;
  plan.unusedBytes += total - liveBytes;
  plan.unusedBlobs += p.locs.length - live.length;
  for (const l of live) placed.add(l.id);
  const keepUsed = (): void => {
    plan.keepLocations.push(...p.locs.filter((l) => isUsed(l, used)));
  };
  if (p.until !== undefined && live.length < p.locs.length) {
    keepRetained(plan, p.pack, p.until, total - liveBytes);
    keepUsed();
  } else if (live.length === 0) plan.deletePacks.add(p.pack);
  else if (total - liveBytes > maxUnused * total) {
    plan.repack.set(p.pack, live);
    plan.deletePacks.add(p.pack);
  } else keepUsed();
}

function keepRetained(plan: PrunePlan, pack: Id, until: Date, unusedBytes: number): void {
  plan.retained.set(pack, until);
  plan.retainedUnusedBytes += unusedBytes;
}

/** Header and trailer bytes of a pack holding `blobs` blobs (see pack-format.ts). */
function packOverhead(blobs: number): number {
  return 9 + blobs * PACK_ENTRY_SIZE + SEAL_OVERHEAD + PACK_TRAILER_SIZE;
}

function isUsed(l: BlobLocation, used: UsedBlobs): boolean {
  return l.type === 'tree' ? used.trees.has(l.id) : used.data.has(l.id);
}

function usedShare(locs: BlobLocation[], used: UsedBlobs): number {
  const total = locs.reduce((s, l) => s + l.length, 0) || 1;
  return locs.filter((l) => isUsed(l, used)).reduce((s, l) => s + l.length, 0) / total;
}
