/**
 * The operator's RepositoryGateway over the engine: opens (or creates) the repository a
 * BackupRepository names and describes it cheaply (listings only, no tree walk).
 */
import { openStorage } from '../backend/open-storage.ts';
import type { Storage } from '../backend/storage.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { RepositoryGateway, RepositoryInfo, RepositoryTarget } from '../controllers/ports.ts';
import { REPO_VERSION } from '../repo/repo-config.ts';
import { Repository } from '../repo/repository.ts';

export function storageForTarget(target: RepositoryTarget): Storage {
  return openStorage(target.location, target.s3 ? { s3: { ...target.s3 } } : {});
}

export class EngineRepositoryGateway implements RepositoryGateway {
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
  }

  async probe(target: RepositoryTarget, opts: { readonly initialize: boolean }): Promise<RepositoryInfo> {
    const storage = storageForTarget(target);
    try {
      const repo = opts.initialize && !(await storage.exists())
        ? await Repository.init(storage, { password: target.password, now: this.#clock.now(), logger: this.#logger })
        : await Repository.open(storage, { password: target.password, logger: this.#logger });
      let snapshots = 0;
      for await (const _ of storage.list('snapshots')) snapshots++;
      let packs = 0;
      let storedBytes = 0;
      for await (const info of storage.list('data')) {
        packs++;
        storedBytes += info.size;
      }
      return { id: repo.config.id, formatVersion: REPO_VERSION, snapshots, packs, storedBytes };
    } finally {
      await storage.close();
    }
  }
}
