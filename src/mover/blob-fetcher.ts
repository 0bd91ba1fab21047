/**
 * Reads many blobs from a repository with few requests: blobs are grouped by pack,
 * neighbours within a pack are merged into one ranged read (small gaps are read and
 * thrown away), and a few ranges are in flight at once. Every blob is decoded — so
 * decrypted, decompressed and authenticated — before it is handed on.
 */
import type { BlobLocation } from '../repo/blob.ts';
import type { Repository } from '../repo/repository.ts';

const MAX_GAP = 256 * 1024;
const MAX_RANGE = 32 * 1024 * 1024;

export interface FetchedBlob {
  readonly loc: BlobLocation;
  readonly plain: Buffer;
}

interface PackRange {
  readonly pack: string;
  readonly offset: number;
  end: number;
  readonly blobs: BlobLocation[];
}

export function planRanges(locs: Iterable<BlobLocation>): PackRange[] {
  const byPack = new Map<string, BlobLocation[]>();
  for (const loc of locs) {
    const list = byPack.get(loc.pack);
    if (list) list.push(loc);
    else byPack.set(loc.pack, [loc]);
  }
  const ranges: PackRange[] = [];
  for (const [pack, list] of byPack) {
    list.sort((a, b) => a.offset - b.offset);
    let current: PackRange | undefined;
    for (const loc of list) {
      const end = loc.offset + loc.length;
      if (current && loc.offset - current.end <= MAX_GAP && end - current.offset <= MAX_RANGE) {
        current.end = Math.max(current.end, end);
        current.blobs.push(loc);
      } else {
        current = { pack, offset: loc.offset, end, blobs: [loc] };
        ranges.push(current);
      }
    }
  }
  return ranges;
}

/** Yields every blob of `locs` once, in no particular order, with at most `parallel` reads in flight. */
export async function* fetchBlobs(repo: Repository, locs: Iterable<BlobLocation>, parallel = 4): AsyncGenerator<FetchedBlob> {
  const ranges = planRanges(locs);
  const inFlight = new Map<number, Promise<{ slot: number; blobs: FetchedBlob[] }>>();
  let next = 0;
  const start = (slot: number): void => {
    const range = ranges[next++];
    if (!range) return;
    const read = readRange(repo, range).then((blobs) => ({ slot, blobs }));
    read.catch(() => {}); // raced below; this only keeps an abandoned read from being an unhandled rejection
    inFlight.set(slot, read);
  };
  for (let slot = 0; slot < parallel; slot++) start(slot);
  while (inFlight.size > 0) {
    const { slot, blobs } = await Promise.race(inFlight.values());
    inFlight.delete(slot);
    start(slot);
    yield* blobs;
  }
}

async function readRange(repo: Repository, range: PackRange): Promise<FetchedBlob[]> {
  const bytes = await repo.storage.get({ type: 'data', name: range.pack }, { offset: range.offset, length: range.end - range.offset });
  return range.blobs.map((loc) => {
    const at = loc.offset - range.offset;
    return { loc, plain: repo.decodeBlob(loc, bytes.subarray(at, at + loc.length)) };
  });
}
