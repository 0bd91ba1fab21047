/**
 * A throwaway repository for one test: a temporary folder holding the repository (an
 * FsStorage) and room for source trees and restore targets, opened in-process and
 * reachable through the real `holdfast` command with the same password.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '#src/backend/fs/fs-storage.ts';
import type { CompressionSettings } from '#src/repo/compression.ts';
import { Repository } from '#src/repo/repository.ts';
import { cliFor } from './cli.ts';
import type { Cli } from './cli.ts';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestRepository {
  /** The temporary folder; the repository is `<dir>/repo`. */
  readonly dir: string;
  readonly repoDir: string;
  readonly password: string;
  readonly storage: FsStorage;
  readonly repo: Repository;
  readonly cli: Cli;
  /** A path inside the temporary folder. */
  path(...parts: string[]): string;
  /** Opens the repository again (a fresh Repository, index loaded), as a new process would. */
  reopen(): Promise<Repository>;
  cleanup(): Promise<void>;
}

export interface TestRepositoryOptions {
  /** Pack size in bytes (1 MiB minimum); small packs give more pack boundaries to test. */
  readonly packSize?: number;
  readonly compression?: CompressionSettings;
}

export async function createTestRepository(opts: TestRepositoryOptions = {}): Promise<TestRepository> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-test-'));
  const repoDir = join(dir, 'repo');
  const storage = new FsStorage(repoDir);
  const repo = await Repository.init(storage, {
    password: TEST_PASSWORD,
    now: new Date(),
    kdfCost: 'test',
    ...(opts.packSize ? { packSize: opts.packSize } : {}),
    ...(opts.compression ? { compression: opts.compression } : {}),
  });
  return {
    dir,
    repoDir,
    password: TEST_PASSWORD,
    storage,
    repo,
    cli: cliFor(repoDir, TEST_PASSWORD),
    path: (...parts) => join(dir, ...parts),
    reopen: async () => {
      const fresh = await Repository.open(new FsStorage(repoDir), { password: TEST_PASSWORD });
      await fresh.loadIndex();
      return fresh;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
