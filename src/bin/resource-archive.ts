/** The operator's ResourceArchive over the engine's entry archive and snapshot store. */
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { ArchivedFile, ArchiveMeta, RepositoryTarget, ResourceArchive } from '../controllers/ports.ts';
import { archiveEntries, readEntries } from '../mover/archive/entry-archive.ts';
import { acquireLock } from '../repo/lock/lock.ts';
import { Repository } from '../repo/repository.ts';
import { deleteSnapshot, listSnapshots } from '../repo/snapshot/snapshot-store.ts';
import { storageForTarget } from './repository-gateway.ts';

export class EngineResourceArchive implements ResourceArchive {
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
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

  read(target: RepositoryTarget, snapshotId: string): Promise<ArchivedFile[]> {
    return this.#with(target, (repo) => readEntries(repo, snapshotId));
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

  async #with<T>(target: RepositoryTarget, run: (repo: Repository) => Promise<T>): Promise<T> {
    const storage = storageForTarget(target);
    try {
      return await run(await Repository.open(storage, { password: target.password, logger: this.#logger }));
    } finally {
      await storage.close();
    }
  }
}
