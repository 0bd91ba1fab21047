/**
 * `holdfast mover`: what the operator's data-mover Jobs run. `backup-volume` copies a
 * mounted volume into the repository as a tree snapshot whose parent is the newest
 * snapshot with the given parent labels (the previous move of the same PVC), judging
 * files unchanged by size and mtime only: the volume is a fresh restore of a CSI snapshot
 * each time, with new inodes and ctimes. `restore-volume` writes a volume snapshot's files
 * into a mounted volume. Both print JSON lines on stdout — `status` lines while they run,
 * one `summary` at the end — and can write the summary to a file (the container's
 * termination message), which is how the operator learns the result.
 */
import { writeFileSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { HoldfastError, messageOf } from '../core/errors.ts';
import type { Repository } from '../repo/repository.ts';
import { listSnapshots, findSnapshot } from '../repo/snapshot/snapshot-store.ts';
import { backupTree } from '../mover/backup/backup.ts';
import { findNode } from '../mover/restore/dump.ts';
import { restoreSnapshot } from '../mover/restore/restorer.ts';
import type { ProgressSink, ProgressSnapshot } from '../mover/progress.ts';
import type { CliContext } from './context.ts';
import { openRepository, writeJson } from './context.ts';
import { parseLabels } from './labels.ts';
import { collect } from './option-values.ts';

/** The host name recorded on every volume snapshot, so a mover pod's name never matters. */
export const MOVER_HOST = 'holdfast-mover';
const STATUS_EVERY_MS = 1000;

export function registerMover(program: Command, ctx: CliContext): void {
  const mover = program.command('mover').description("the operator's data mover: copy a mounted volume into the repository and back (JSON lines on stdout)");
  mover
    .command('backup-volume')
    .description('back up a mounted volume as a tree snapshot, incremental to the newest snapshot with the parent labels')
    .requiredOption('--path <dir>', 'where the volume is mounted')
    .option('--label <key=value>', 'label of the new snapshot (repeatable)', collect, [] as string[])
    .option('--parent-label <key=value>', 'the parent is the newest tree snapshot with all these labels (repeatable; none: no parent)', collect, [] as string[])
    .option('--host <name>', 'host name recorded in the snapshot', MOVER_HOST)
    .option('--result-file <file>', 'also write the summary line to this file (e.g. /dev/termination-log)')
    .action(async (opts) => {
      const total = totalSize(opts.path);
      total.catch(() => undefined);
      const repo = await openRepository(ctx);
      const parent = await parentOf(repo, parseLabels(opts.parentLabel));
      const progress = statusLines(ctx, total);
      const r = await backupTree(repo, [opts.path], {
        clock: ctx.clock, progress, tags: ['volume'], labels: parseLabels(opts.label), hostname: opts.host,
        parent: parent ?? false, changeDetection: 'size-mtime',
      });
      if (r.errors.length > 0) throw new HoldfastError('SOURCE_UNREADABLE', `${r.errors.length} file(s) of the volume could not be read, e.g. ${r.errors[0]?.path}: ${r.errors[0]?.message}; no snapshot kept`);
      const s = r.summary;
      finish(ctx, opts.resultFile, {
        message_type: 'summary', snapshot_id: r.id, parent: r.parent ?? null, files: s.files, files_changed: s.filesChanged, files_unchanged: s.filesUnchanged,
        bytes_total: s.bytesTotal, bytes_read: s.bytesRead, bytes_new: s.bytesNew, bytes_stored: s.bytesStored, duration_ms: s.durationMs,
      });
    });
  mover
    .command('restore-volume')
    .description("write a volume snapshot's files into a mounted volume")
    .requiredOption('--snapshot <id>', 'the volume snapshot (id or unique prefix)')
    .requiredOption('--target <dir>', 'where the volume is mounted')
    .option('--clean', 'first remove everything in the target (an in-place refill: the volume then holds exactly the snapshot)')
    .option('--result-file <file>', 'also write the summary line to this file (e.g. /dev/termination-log)')
    .action(async (opts) => {
      const started = ctx.clock.now().getTime();
      const repo = await openRepository(ctx);
      await repo.loadIndex();
      const snapshot = await findSnapshot(repo, opts.snapshot);
      const root = await findNode(repo, snapshot, '');
      if (root.type !== 'dir' || root.subtree === undefined) throw new HoldfastError('USAGE', `snapshot ${snapshot.id.slice(0, 8)} does not hold a volume (one directory)`);
      if (opts.clean === true) await emptyDirectory(opts.target);
      const progress = statusLines(ctx, Promise.resolve(snapshot.summary.bytesTotal));
      const r = await restoreSnapshot(repo, { ...snapshot, tree: root.subtree }, { target: opts.target, clock: ctx.clock, progress });
      if (r.errors.length > 0) throw new HoldfastError('RESTORE_TARGET', `${r.errors.length} path(s) could not be restored, e.g. ${r.errors[0]?.path}: ${r.errors[0]?.message}`);
      finish(ctx, opts.resultFile, {
        message_type: 'summary', snapshot_id: snapshot.id, files: r.files, dirs: r.dirs, bytes_total: snapshot.summary.bytesTotal, bytes_written: r.bytes,
        duration_ms: ctx.clock.now().getTime() - started,
      });
    });
}

/** Removes every entry of `dir`, keeping `dir` itself (a mount point). */
async function emptyDirectory(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

async function parentOf(repo: Repository, labels: Record<string, string>): Promise<string | undefined> {
  if (Object.keys(labels).length === 0) return undefined;
  return (await listSnapshots(repo, { labels, kind: 'tree' })).at(-1)?.id;
}

function finish(ctx: CliContext, resultFile: string | undefined, summary: Record<string, unknown>): void {
  writeJson(ctx, summary);
  if (resultFile === undefined) return;
  try {
    writeFileSync(resultFile, JSON.stringify(summary));
  } catch (err) {
    throw new HoldfastError('STORAGE_IO', `cannot write the result to ${resultFile}: ${messageOf(err)}`, { cause: err });
  }
}

/** `status` JSON lines at most once a second; the total is filled in once the size walk ends. */
function statusLines(ctx: CliContext, total: Promise<number>): ProgressSink {
  let bytesTotal: number | null = null;
  total.then((t) => void (bytesTotal = t), () => undefined);
  let last = 0;
  return {
    update(p: ProgressSnapshot) {
      const now = ctx.clock.now().getTime();
      if (now - last < STATUS_EVERY_MS) return;
      last = now;
      writeJson(ctx, { message_type: 'status', files_done: p.filesDone, bytes_done: p.bytesDone, bytes_total: p.bytesTotal ?? bytesTotal });
    },
    error(path: string, message: string) {
      ctx.stderr.write(`warning: ${path}: ${message}\n`);
    },
  };
}

/** The bytes of the regular files under `dir` (a quick lstat walk beside the backup, for progress). */
async function totalSize(dir: string): Promise<number> {
  let bytes = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(current, e.name);
      if (e.isDirectory()) pending.push(path);
      else if (e.isFile()) bytes += (await lstat(path).catch(() => ({ size: 0 }))).size;
    }
  }
  return bytes;
}
