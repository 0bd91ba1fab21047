/**
 * `check`: the repository's structure (index files readable, every indexed pack present,
 * every blob a snapshot needs indexed) and, with `readData`, every pack read in full:
 * its name must be the hash of its bytes, its header must match the index, and every
 * blob must decrypt and hash to its id. Damage is reported with the pack, the blob and
 * the snapshots and files it affects.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../blob.ts';
import type { Repository } from '../repository.ts';
import { loadSnapshot } from '../snapshot/snapshot-store.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';
import { collectUsedBlobs } from './used-blobs.ts';
import { readPack } from './pack-reader.ts';
import type { CheckReport } from './check-report.ts';

export type { CheckIssue, CheckReport } from './check-report.ts';

export interface CheckOptions {
  readonly readData: boolean;
  readonly onPack?: (done: number, total: number) => void;
}

export async function checkRepository(repo: Repository, opts: CheckOptions): Promise<CheckReport> {
  const report: CheckReport = { issues: [], snapshots: 0, packs: 0, blobs: 0, packsRead: 0, bytesRead: 0 };
  const byPack = await loadIndexes(repo, report);
  const stored = new Map<Id, number>();
  for await (const info of repo.storage.list('data')) stored.set(info.name, info.size);
  for (const pack of byPack.keys()) {
    if (!stored.has(pack)) report.issues.push({ severity: 'error', pack, message: `pack ${pack} is in the index but missing from storage` });
  }
  for (const pack of stored.keys()) {
    if (!byPack.has(pack)) report.issues.push({ severity: 'warning', pack, message: `pack ${pack} is not in any index (left by an interrupted backup or prune; 'prune' removes it)` });
  }
  report.packs = stored.size;
  const snapshots = await readSnapshots(repo, report);
  report.snapshots = snapshots.length;
  const users = new Map<Id, Array<{ snapshot: Id; path: string }>>();
  const used = await collectUsedBlobs(repo, snapshots, {
    file: (snap, path, node) => {
      for (const ref of node.content ?? []) {
        if (typeof ref !== 'string') continue;
        if (!repo.index.has(ref, 'data')) report.issues.push({ severity: 'error', snapshot: snap.id, path, blob: ref, message: `snapshot ${snap.id.slice(0, 8)} file ${path}: data blob ${ref} is not in any index` });
        let list = users.get(ref);
        if (!list) users.set(ref, (list = []));
        if (list.length < 5) list.push({ snapshot: snap.id, path });
      }
    },
  });
  for (const p of used.problems) report.issues.push({ severity: 'error', snapshot: p.snapshot, path: p.path, message: `snapshot ${p.snapshot.slice(0, 8)} ${p.path}: ${p.message}` });
  if (opts.readData) await readAllPacks(repo, { byPack, stored, users, report, opts });
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

async function loadIndexes(repo: Repository, report: CheckReport): Promise<Map<Id, BlobLocation[]>> {
  const byPack = new Map<Id, BlobLocation[]>();
  for await (const info of repo.storage.list('index')) {
    let locs: BlobLocation[];
    try {
      locs = await repo.readIndexFile(info.name);
    } catch (err) {
      report.issues.push({ severity: 'error', message: `index ${info.name}: ${messageOf(err)}` });
      continue;
    }
    repo.index.addAll(locs);
    for (const loc of locs) {
      let list = byPack.get(loc.pack);
      if (!list) byPack.set(loc.pack, (list = []));
      if (!list.some((l) => l.id === loc.id)) list.push(loc);
    }
  }
  report.blobs = repo.index.size;
  return byPack;
}

interface ReadDataContext {
  readonly byPack: Map<Id, BlobLocation[]>;
  readonly stored: Map<Id, number>;
  readonly users: Map<Id, Array<{ snapshot: Id; path: string }>>;
  readonly report: CheckReport;
  readonly opts: CheckOptions;
}

async function readAllPacks(repo: Repository, ctx: ReadDataContext): Promise<void> {
  const { byPack, stored, users, report, opts } = ctx;
  const packs = [...byPack.keys()].filter((p) => stored.has(p));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < packs.length) {
      const pack = packs[next++] as Id;
      const damaged = await readPack(repo, pack, byPack.get(pack) ?? [], report);
      for (const d of damaged) {
        const who = users.get(d.blob) ?? [];
        const affected = who.length > 0 ? `; affects ${who.map((u) => `snapshot ${u.snapshot.slice(0, 8)} file ${u.path}`).join(', ')}` : '; no snapshot uses it';
        report.issues.push({ severity: 'error', pack, blob: d.blob, message: `pack ${pack} blob ${d.blob}: ${d.message}${affected}`, ...(who[0] ? { snapshot: who[0].snapshot, path: who[0].path } : {}) });
      }
      report.packsRead++;
      opts.onPack?.(report.packsRead, packs.length);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}
