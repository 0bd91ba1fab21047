/**
 * `stats`: what the snapshots hold (logical bytes: the sum of every snapshot's files),
 * what that is after deduplication (unique plaintext bytes of the blobs they use), and
 * what the storage holds (pack bytes). Their ratios are the dedup and compression gains.
 */
import type { Repository } from '../repository.ts';
import { listSnapshots } from '../snapshot/snapshot-store.ts';
import { collectUsedBlobs } from './used-blobs.ts';

export interface RepoStats {
  snapshots: number;
  logicalBytes: number;
  uniqueBytes: number;
  blobs: number;
  blobBytesStored: number;
  packs: number;
  packBytes: number;
  dedupRatio: number;
  compressionRatio: number;
  totalRatio: number;
}

export async function repositoryStats(repo: Repository): Promise<RepoStats> {
  await repo.loadIndex();
  const snapshots = await listSnapshots(repo);
  const used = await collectUsedBlobs(repo, snapshots);
  let uniqueBytes = 0;
  let blobBytesStored = 0;
  for (const id of [...used.data, ...used.trees]) {
    const loc = repo.index.get(id);
    if (!loc) continue;
    uniqueBytes += loc.rawLength;
    blobBytesStored += loc.length;
  }
  let packs = 0;
  let packBytes = 0;
  for await (const info of repo.storage.list('data')) {
    packs++;
    packBytes += info.size;
  }
  const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 100) / 100 : 0);
  return {
    snapshots: snapshots.length, logicalBytes: used.logicalBytes, uniqueBytes, blobs: used.data.size + used.trees.size,
    blobBytesStored, packs, packBytes,
    dedupRatio: ratio(used.logicalBytes, uniqueBytes), compressionRatio: ratio(uniqueBytes, blobBytesStored), totalRatio: ratio(used.logicalBytes, packBytes),
  };
}
