/**
 * The operator's view of the engine: the RepositoryGateway, ResourceArchive and
 * StreamArchive ports, each call opening the repository a BackupRepository names for
 * just that call.
 */
import type { Readable, Writable } from 'node:stream';
import { openStorage } from '../backend/open-storage.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { ArchivedFile, ArchivedSnapshot, ArchiveMeta, RepositoryGateway, RepositoryInfo, RepositoryTarget, ResourceArchive, StreamArchive, StreamMeta } from '../controllers/ports.ts';
import { backupStream } from '../mover/backup/backup.ts';
import { dumpFile, findNode } from '../mover/restore/dump.ts';
import { archiveEntries, readEntries } from '../mover/archive/entry-archive.ts';
import { acquireLock } from '../repo/lock/lock.ts';
import { REPO_VERSION } from '../repo/repo-config.ts';
import { Repository } from '../repo/repository.ts';
import { deleteSnapshot, listSnapshots, loadSnapshot } from '../repo/snapshot/snapshot-store.ts';

export class EngineRepositories implements RepositoryGateway, ResourceArchive, StreamArchive {
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Opens (or creates) the repository and describes it cheaply: listings only, no tree walk. */
  probe(target: RepositoryTarget, opts: { readonly initialize: boolean }): Promise<RepositoryInfo> {
    return this.#with(target, async (repo) => {
      let snapshots = 0;
      for await (const _ of repo.storage.list('snapshots')) snapshots++;
      let packs = 0;
      let storedBytes = 0;
      for await (const info of repo.storage.list('data')) {
        packs++;
        storedBytes += info.size;
      }
      return { id: repo.config.id, formatVersion: REPO_VERSION, snapshots, packs, storedBytes };
    }, opts.initialize);
  }

  save(target: RepositoryTarget, files: readonly ArchivedFile[], meta: ArchiveMeta) {
    return this.#with(target, async (repo) => {
      const { id, manifest } = await archiveEntries(repo, files, { clock: this.#clock, ...meta });
      return { snapshotId: id, bytesNew: manifest.summary.bytesNew, bytesStored: manifest.summary.bytesStored };
    });
  }

  find(target: RepositoryTarget, labels: Readonly<Record<string, string>>): Promise<string | undefined> {
    return this.#with(target, async (repo) => (await listSnapshots(repo, { labels })).at(-1)?.id);
  }

  list(target: RepositoryTarget): Promise<ArchivedSnapshot[]> {
    return this.#with(target, async (repo) => {
      const snapshots = await listSnapshots(repo, { kind: 'resources' });
      return snapshots.map((s) => ({ id: s.id, time: s.time, hostname: s.hostname, labels: s.labels, files: s.summary.files, bytes: s.summary.bytesTotal }));
    });
  }

  read(target: RepositoryTarget, snapshotId: string): Promise<ArchivedFile[]> {
    return this.#with(target, (repo) => readEntries(repo, snapshotId));
  }

  saveStream(target: RepositoryTarget, input: Readable, meta: StreamMeta) {
    return this.#with(target, async (repo) => {
      // The operator streams database dumps made by recipes: fine chunks, as the CLI's recipes (ADR 0027).
      const r = await backupStream(repo, input, {
        clock: this.#clock, chunkProfile: 'fine', filename: meta.filename, labels: meta.labels, tags: meta.tags, hostname: meta.hostname,
        beforePublish: meta.beforePublish, ...(meta.command !== undefined ? { command: meta.command } : {}),
      });
      return { snapshotId: r.id, bytes: r.summary.bytesRead, bytesNew: r.summary.bytesNew };
    });
  }

  readStream(target: RepositoryTarget, snapshotId: string, out: Writable): Promise<number> {
    return this.#with(target, async (repo) => {
      const lock = await acquireLock(repo, { exclusive: false, clock: this.#clock });
      try {
        const snapshot = await loadSnapshot(repo, snapshotId);
        await repo.loadIndex();
        return await dumpFile(repo, await findNode(repo, snapshot, ''), out);
      } finally {
        await lock.release();
      }
    });
  }

  forget(target: RepositoryTarget, snapshotId: string): Promise<void> {
    return this.#with(target, async (repo) => {
      const lock = await acquireLock(repo, { exclusive: true, clock: this.#clock });
      try {
        await deleteSnapshot(repo, snapshotId);
      } finally {
        await lock.release();
      }
    });
  }

  async #with<T>(target: RepositoryTarget, run: (repo: Repository) => Promise<T>, initialize = false): Promise<T> {
    const storage = openStorage(target.location, target.s3 ? { s3: { ...target.s3 } } : {});
    try {
      const options = { password: target.password, logger: this.#logger };
      const repo = initialize && !(await storage.exists())
        ? await Repository.init(storage, { ...options, now: this.#clock.now() })
        : await Repository.open(storage, options);
      return await run(repo);
    } finally {
      await storage.close();
    }
  }
}
