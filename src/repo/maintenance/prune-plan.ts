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
}

export function planPrune(indexFiles: Map<Id, BlobLocation[]>, stored: Map<Id, number>, used: UsedBlobs, maxUnused: number): PrunePlan {
  const byPack = new Map<Id, BlobLocation[]>();
  for (const locs of indexFiles.values()) {
    for (const loc of locs) {
      if (!stored.has(loc.pack)) continue;
      const list = byPack.get(loc.pack) ?? [];
      if (!list.some((l) => l.id === loc.id)) list.push(loc);
      byPack.set(loc.pack, list);
    }
  }
  const unreferenced = [...stored.keys()].filter((p) => !byPack.has(p));
  const plan: PrunePlan = { keepLocations: [], repack: new Map(), deletePacks: new Set(unreferenced), unusedBlobs: 0, unusedBytes: 0, usedBytes: 0, unreferencedPacks: unreferenced.length };
  const placed = new Set<Id>();
  const ordered = [...byPack].sort((a, b) => usedShare(b[1], used) - usedShare(a[1], used));
  for (const [pack, locs] of ordered) {
    const live = locs.filter((l) => isUsed(l, used) && !placed.has(l.id));
    const liveBytes = live.reduce((s, l) => s + l.length, 0);
    const storedSize = stored.get(pack);
    const indexed = locs.reduce((s, l) => s + l.length, 0);
    const total = storedSize === undefined ? indexed : Math.max(indexed, storedSize - packOverhead(locs.length));
    plan.usedBytes += liveBytes;
    plan.unusedBytes += total - liveBytes;
    plan.unusedBlobs += locs.length - live.length;
    for (const l of live) placed.add(l.id);
    if (live.length === 0) plan.deletePacks.add(pack);
    else if (total - liveBytes > maxUnused * total) {
      plan.repack.set(pack, live);
      plan.deletePacks.add(pack);
    } else plan.keepLocations.push(...locs.filter((l) => isUsed(l, used)));
  }
  return plan;
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
