/**
 * `check`: the repository's structure (index files readable, every indexed pack present,
 * every blob a snapshot needs indexed) and, with `readData`, every pack read in full:
 * its name must be the hash of its bytes, its header must match the index, and every
 * blob must decrypt and hash to its id. Damage is reported with the pack, the blob and
 * the snapshots and files it affects.
 *
 * With `readData` the packs are read while the snapshots are walked (the blob decoding
 * runs on the `verifier`, by default this thread); which files a damaged blob affects is
 * looked up once both are done. Issues come out in a fixed order: index files, packs,
 * snapshots, the walk, then each pack in index order.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import { Limiter } from '../../core/limiter.ts';
import type { Repository } from '../repository.ts';
import { loadSnapshot } from '../snapshot/snapshot-store.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';
import { inlineVerifier } from './blob-verifier.ts';
import { PackBlobTable } from './pack-blob-table.ts';
import type { BlobVerifier } from './blob-verifier.ts';
import { findUsers, walkSnapshots } from './check-walk.ts';
import type { BlobUser } from './check-walk.ts';
import { PIECES_IN_MEMORY, readPack } from './pack-reader.ts';
import type { PackCheck } from './pack-reader.ts';
import type { CheckReport } from './check-report.ts';

export type { CheckIssue, CheckReport } from './check-report.ts';
export type { BlobVerifier, DamagedBlob } from './blob-verifier.ts';

export interface CheckOptions {
  readonly readData: boolean;
  readonly onPack?: (done: number, total: number) => void;
  /** Decodes the blobs of each pack read; default: on this thread. */
  readonly verifier?: BlobVerifier;
  /** Local packs longer than this are read in pieces of about this size (default 2 MiB; Infinity: whole). */
  readonly pieceBytes?: number;
}

export async function checkRepository(repo: Repository, opts: CheckOptions): Promise<CheckReport> {
  const report: CheckReport = { issues: [], snapshots: 0, packs: 0, blobs: 0, packsRead: 0, bytesRead: 0 };
  const byPack = await loadIndexes(repo, report);
  const stored = new Map<Id, number>();
  for await (const info of repo.storage.list('data')) stored.set(info.name, info.size);
  for (const pack of byPack.packs()) {
    if (!stored.has(pack)) report.issues.push({ severity: 'error', pack, message: `pack ${pack} is in the index but missing from storage` });
  }
  for (const pack of stored.keys()) {
    if (!byPack.has(pack)) report.issues.push({ severity: 'warning', pack, message: `pack ${pack} is not in any index (left by an interrupted backup or prune; 'prune' removes it)` });
  }
  report.packs = stored.size;
  const reading = opts.readData ? readAllPacks(repo, { byPack, stored, report, opts }) : Promise.resolve([]);
  reading.catch(() => {});
  const snapshots = await readSnapshots(repo, report);
  report.snapshots = snapshots.length;
  const walk = await walkSnapshots(repo, snapshots, opts.readData === true);
  report.issues.push(...walk.missing, ...walk.problems);
  await reportDamage(repo, snapshots, await reading, report);
  return report;
}

/** Every snapshot that can be read; one that cannot is an error, and the others are still checked. */
async function readSnapshots(repo: Repository, report: CheckReport): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  for await (const info of repo.storage.list('snapshots')) {
    try {
      snapshots.push(await loadSnapshot(repo, info.name));
    } catch (err) {
      report.issues.push({ severity: 'error', snapshot: info.name, message: messageOf(err) });
    }
  }
  return snapshots;
}

/** Each pack's blobs, from every readable index file (also loaded into `repo.index`). */
async function loadIndexes(repo: Repository, report: CheckReport): Promise<PackBlobTable> {
  const byPack = new PackBlobTable();
  for await (const info of repo.storage.list('index')) {
    try {
      await repo.loadIndexFile(info.name, (pack, buf, at) => byPack.addEntry(pack, buf, at));
    } catch (err) {
      report.issues.push({ severity: 'error', message: `index ${info.name}: ${messageOf(err)}` });
    }
  }
  report.blobs = repo.index.size;
  return byPack;
}

interface ReadDataContext {
  readonly byPack: PackBlobTable;
  readonly stored: Map<Id, number>;
  readonly report: CheckReport;
  readonly opts: CheckOptions;
}

/** Reads every indexed, stored pack, `verifier.parallelism` at a time; results in index order. */
async function readAllPacks(repo: Repository, ctx: ReadDataContext): Promise<PackCheck[]> {
  const { byPack, stored, report, opts } = ctx;
  const verifier = opts.verifier ?? inlineVerifier(repo);
  const packs = [...byPack.packs()].filter((p) => stored.has(p));
  // Tree packs first: the snapshot walk running beside this then finds them read (and,
  // with a cache, stored) instead of fetching them itself.
  const order = [...packs.keys()].sort((a, b) => Number(repo.index.isTreePack(packs[b] as Id)) - Number(repo.index.isTreePack(packs[a] as Id)));
  const results: PackCheck[] = [];
  const pieces = new Limiter(PIECES_IN_MEMORY);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < order.length) {
      const at = order[next++] as number;
      const pack = packs[at] as Id;
      const result = await readPack(repo, pack, byPack.take(pack), verifier, { size: stored.get(pack), pieceBytes: opts.pieceBytes, pieces });
      results[at] = result;
      report.bytesRead += result.bytesRead;
      report.packsRead++;
      opts.onPack?.(report.packsRead, packs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, verifier.parallelism) }, lane));
  return results;
}

async function reportDamage(repo: Repository, snapshots: readonly Snapshot[], packs: readonly PackCheck[], report: CheckReport): Promise<void> {
  const damagedIds = new Set(packs.flatMap((p) => p.damaged.map((d) => d.blob)));
  const users = damagedIds.size > 0 ? await findUsers(repo, snapshots, damagedIds) : new Map<Id, BlobUser[]>();
  for (const { pack, issues, damaged } of packs) {
    report.issues.push(...issues);
    for (const d of damaged) {
      const who = users.get(d.blob) ?? [];
      const affected = who.length > 0 ? `; affects ${who.map((u) => `snapshot ${u.snapshot.slice(0, 8)} file ${u.path}`).join(', ')}` : '; no snapshot uses it';
      report.issues.push({ severity: 'error', pack, blob: d.blob, message: `pack ${pack} blob ${d.blob}: ${d.message}${affected}`, ...(who[0] ? { snapshot: who[0].snapshot, path: who[0].path } : {}) });
    }
  }
}
