/**
 * `holdfast mover`: what the operator's data-mover Jobs run. `backup-volume` copies a
 * mounted volume into the repository as a tree snapshot whose parent is the newest
 * snapshot with the given parent labels (the previous move of the same PVC), judging
 * files unchanged by size and mtime only: the volume is a fresh restore of a CSI snapshot
 * each time, with new inodes and ctimes. `restore-volume` writes a volume snapshot's files
 * into a mounted volume. With `--device` instead (a block move: the volume is a raw block
 * device, `volumeDevices`), `backup-volume` stores the device as one image — the engine's
 * block backup: content-defined chunks, runs of zeros kept as holes — incremental to the
 * newest block snapshot with the parent labels, and `restore-volume` writes such an image
 * back over the device from its start. Both print JSON lines on stdout — `status` lines while they run,
 * one `summary` at the end — and can write the summary to a file (the container's
 * termination message), which is how the operator learns the result.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { HoldfastError, messageOf } from '../core/errors.ts';
import type { Repository } from '../repo/repository.ts';
import type { Snapshot } from '../repo/snapshot/snapshot.ts';
import type { TreeNode } from '../repo/tree/tree.ts';
import { listSnapshots, findSnapshot } from '../repo/snapshot/snapshot-store.ts';
import { backupBlock, backupTree, sourceSize, type BackupResult } from '../mover/backup/backup.ts';
import { dumpFile, findNode } from '../mover/restore/dump.ts';
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
    .option('--path <dir>', 'where the volume is mounted (a filesystem move)')
    .option('--device <path>', 'the volume as a block device or image file (a block move)')
    .option('--label <key=value>', 'label of the new snapshot (repeatable)', collect, [] as string[])
    .option('--parent-label <key=value>', 'the parent is the newest snapshot of the same kind (tree or block) with all these labels (repeatable; none: no parent)', collect, [] as string[])
    .option('--host <name>', 'host name recorded in the snapshot', MOVER_HOST)
    .option('--result-file <file>', 'also write the summary line to this file (e.g. /dev/termination-log)')
    .action(async (opts) => {
      const source = oneSource(opts.path, opts.device, '--path');
      const total = source.device ? Promise.resolve().then(() => sourceSize(source.at)) : totalSize(source.at);
      total.catch(() => undefined);
      const repo = await openRepository(ctx);
      const parent = await parentOf(repo, parseLabels(opts.parentLabel), source.device ? 'block' : 'tree');
      const progress = statusLines(ctx, total);
      const common = { clock: ctx.clock, progress, tags: ['volume'], labels: parseLabels(opts.label), hostname: opts.host };
      const r: BackupResult = source.device
        ? await backupBlock(repo, source.at, { ...common, parent: parent ?? false })
        : await backupTree(repo, [source.at], { ...common, parent: parent ?? false, changeDetection: 'size-mtime' });
      if (r.errors.length > 0) throw new HoldfastError('SOURCE_UNREADABLE', `${r.errors.length} file(s) of the volume could not be read, e.g. ${r.errors[0]?.path}: ${r.errors[0]?.message}; no snapshot kept`);
      const s = r.summary;
      finish(ctx, opts.resultFile, {
        message_type: 'summary', snapshot_id: r.id, parent: r.parent ?? null, files: s.files, files_changed: s.filesChanged, files_unchanged: s.filesUnchanged,
        bytes_total: s.bytesTotal, bytes_read: s.bytesRead, bytes_new: s.bytesNew, bytes_stored: s.bytesStored, duration_ms: s.durationMs,
      });
    });
  mover
    .command('restore-volume')
    .description("write a volume snapshot's files into a mounted volume, or its image over a device")
    .requiredOption('--snapshot <id>', 'the volume snapshot (id or unique prefix)')
    .option('--target <dir>', 'where the volume is mounted (a snapshot of a filesystem move)')
    .option('--device <path>', 'the block device or image file to write (a snapshot of a block move)')
    .option('--clean', 'first remove everything in the target (an in-place refill: the volume then holds exactly the snapshot)')
    .option('--result-file <file>', 'also write the summary line to this file (e.g. /dev/termination-log)')
    .action(async (opts) => {
      const started = ctx.clock.now().getTime();
      const target = oneSource(opts.target, opts.device, '--target');
      const repo = await openRepository(ctx);
      await repo.loadIndex();
      const snapshot = await findSnapshot(repo, opts.snapshot);
      const root = await findNode(repo, snapshot, '');
      if (target.device) {
        const written = await writeImage(ctx, repo, snapshot, root, target.at);
        finish(ctx, opts.resultFile, {
          message_type: 'summary', snapshot_id: snapshot.id, files: 1, dirs: 0, bytes_total: snapshot.summary.bytesTotal, bytes_written: written,
          duration_ms: ctx.clock.now().getTime() - started,
        });
        return;
      }
      if (snapshot.kind === 'block') throw new HoldfastError('USAGE', `snapshot ${snapshot.id.slice(0, 8)} is a block image (a block move): restore it with --device into a Block PVC, not into a directory`);
      if (root.type !== 'dir' || root.subtree === undefined) throw new HoldfastError('USAGE', `snapshot ${snapshot.id.slice(0, 8)} does not hold a volume (one directory)`);
      if (opts.clean === true) await emptyDirectory(target.at);
      const progress = statusLines(ctx, Promise.resolve(snapshot.summary.bytesTotal));
      const r = await restoreSnapshot(repo, { ...snapshot, tree: root.subtree }, { target: target.at, clock: ctx.clock, progress });
      if (r.errors.length > 0) throw new HoldfastError('RESTORE_TARGET', `${r.errors.length} path(s) could not be restored, e.g. ${r.errors[0]?.path}: ${r.errors[0]?.message}`);
      finish(ctx, opts.resultFile, {
        message_type: 'summary', snapshot_id: snapshot.id, files: r.files, dirs: r.dirs, bytes_total: snapshot.summary.bytesTotal, bytes_written: r.bytes,
        duration_ms: ctx.clock.now().getTime() - started,
      });
    });
}

/** The one of a directory and a device given; both or neither is a usage error. */
function oneSource(dir: string | undefined, device: string | undefined, dirOption: string): { at: string; device: boolean } {
  if ((dir === undefined) === (device === undefined)) throw new HoldfastError('USAGE', `give exactly one of ${dirOption} <dir> and --device <path>`);
  return device !== undefined ? { at: device, device: true } : { at: dir ?? '', device: false };
}

/**
 * Writes a block snapshot's image over `device` from offset 0, zero runs as zeros (a
 * device may hold old data), and flushes it before returning the bytes written. The
 * device is opened without truncation; a regular file smaller than the image (an image
 * file standing in for a device) is refused rather than grown, as a device would refuse.
 */
async function writeImage(ctx: CliContext, repo: Repository, snapshot: Snapshot, node: TreeNode, device: string): Promise<number> {
  const id = snapshot.id.slice(0, 8);
  if (snapshot.kind !== 'block' || node.type !== 'file') throw new HoldfastError('USAGE', `snapshot ${id} holds files (a filesystem move), not a block image: restore it with --target into a Filesystem PVC`);
  const st = await stat(device).catch((err: unknown) => {
    throw new HoldfastError('RESTORE_TARGET', `cannot open the device ${device}: ${messageOf(err)}`, { cause: err });
  });
  if (st.isFile() && st.size < node.size) throw new HoldfastError('RESTORE_TARGET', `the device ${device} holds ${st.size} bytes, less than the ${node.size} of snapshot ${id}: restore into a larger volume`);
  const out = createWriteStream(device, { flags: 'r+', flush: true });
  const progress = setInterval(() => writeJson(ctx, { message_type: 'status', files_done: 0, bytes_done: out.bytesWritten, bytes_total: node.size }), STATUS_EVERY_MS);
  try {
    const written = await dumpFile(repo, node, out);
    out.end();
    await finished(out);
    return written;
  } catch (err) {
    out.destroy();
    throw new HoldfastError('RESTORE_TARGET', `writing snapshot ${id} to ${device} failed: ${messageOf(err)}`, { cause: err });
  } finally {
    clearInterval(progress);
  }
}

/** Removes every entry of `dir`, keeping `dir` itself (a mount point). */
async function emptyDirectory(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

async function parentOf(repo: Repository, labels: Record<string, string>, kind: 'tree' | 'block'): Promise<string | undefined> {
  if (Object.keys(labels).length === 0) return undefined;
  return (await listSnapshots(repo, { labels, kind })).at(-1)?.id;
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
