/**
 * The holdfast commands tests run most, each asserting that it succeeded: a backup
 * that returns its snapshot id and summary, a restore, and a check that must find no
 * errors (and, unless allowed, no warnings); and an in-process restore.
 */
import assert from 'node:assert/strict';
import { FsStorage } from '#src/backend/fs/fs-storage.ts';
import { systemClock } from '#src/core/clock.ts';
import { restoreSnapshot } from '#src/mover/restore/restorer.ts';
import { Repository } from '#src/repo/repository.ts';
import { findSnapshot } from '#src/repo/snapshot/snapshot-store.ts';
import type { Cli, CliResult, RunOptions } from './cli.ts';
import { jsonMessage, show, stderrLines } from './cli.ts';

export interface BackupSummary {
  readonly id: string;
  readonly files: number;
  readonly dirs: number;
  readonly filesChanged: number;
  readonly filesUnchanged: number;
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly blobsNew: number;
  readonly bytesNew: number;
  readonly bytesStored: number;
  /** Source files that could not be read. */
  readonly errors: ReadonlyArray<{ path: string; message: string }>;
}

export async function backup(cli: Cli, args: readonly string[], opts?: RunOptions): Promise<BackupSummary> {
  const r = await cli.run(['--json', 'backup', ...args], opts);
  assert.equal(r.code, 0, `backup ${args.join(' ')} failed\n${show(r)}`);
  const s = jsonMessage(r, 'summary');
  return { ...(s as unknown as BackupSummary), id: String(s.snapshot_id) };
}

export async function restore(cli: Cli, snapshot: string, target: string, extra: readonly string[] = []): Promise<CliResult> {
  const r = await cli.run(['restore', snapshot, '--target', target, ...extra]);
  assert.equal(r.code, 0, `restore ${snapshot} failed\n${show(r)}`);
  return r;
}

/** Runs `check`; it must exit 0 and report no errors (and no warnings unless allowed). */
export async function checkClean(cli: Cli, opts: { readData?: boolean; allowWarnings?: boolean } = {}): Promise<CliResult> {
  const r = await cli.run(['check', ...(opts.readData ? ['--read-data'] : [])]);
  assert.equal(r.code, 0, `check failed\n${show(r)}`);
  const lines = stderrLines(r);
  const unexpected = lines.filter((l) => !(opts.allowWarnings && l.startsWith('warning: ')));
  assert.deepEqual(unexpected, [], `check reported problems\n${show(r)}`);
  assert.match(r.stdout, /no errors were found/);
  return r;
}

/** Snapshot ids, oldest first. */
export async function snapshotIds(cli: Cli): Promise<string[]> {
  const r = await cli.run(['--json', 'snapshots']);
  assert.equal(r.code, 0, show(r));
  return (JSON.parse(r.stdout) as Array<{ id: string }>).map((s) => s.id);
}

/**
 * Restores a snapshot in this process (the same engine call the CLI makes, without a
 * process start): for tests that restore many snapshots.
 */
export async function restoreDirect(repoDir: string, password: string, snapshot: string, target: string): Promise<void> {
  const repo = await Repository.open(new FsStorage(repoDir), { password });
  const found = await findSnapshot(repo, snapshot);
  const r = await restoreSnapshot(repo, found, { target, clock: systemClock, workers: 2 });
  assert.deepEqual(r.errors, [], `restore of ${snapshot} reported errors`);
}
