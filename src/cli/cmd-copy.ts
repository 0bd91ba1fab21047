import type { Command } from '@commander-js/extra-typings';
import { SnapshotCopier, type CopyOutcome } from '../mover/copy/snapshot-copier.ts';
import { acquireLock } from '../repo/lock/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { listSnapshots, resolveSnapshotId } from '../repo/snapshot/snapshot-store.ts';
import type { Snapshot } from '../repo/snapshot/snapshot.ts';
import type { CliContext } from './context.ts';
import { openRepository, openSourceRepository, say, writeJson } from './context.ts';
import { addLatestFilter, latestFilter, type LatestFilterOptions } from './snapshot-ref.ts';

export function registerCopy(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('copy')
    .description('copy snapshots from another repository into this one (-r), storing only the data it lacks')
    .argument('[snapshots...]', 'snapshot ids to copy (default: every snapshot that matches the filters)')
    .option('--from-repo <location>', 'the repository to copy from (default $HOLDFAST_FROM_REPOSITORY)')
    .option('--from-password-file <file>', 'its password (default $HOLDFAST_FROM_PASSWORD_FILE, $HOLDFAST_FROM_PASSWORD)');
  addLatestFilter(cmd).action(async (ids, opts) => {
    const src = await openSourceRepository(ctx, opts.fromRepo, opts.fromPasswordFile);
    const dst = await openRepository(ctx);
    const srcLock = await acquireLock(src, { exclusive: false, clock: ctx.clock });
    try {
      const dstLock = await acquireLock(dst, { exclusive: false, clock: ctx.clock });
      try {
        await runCopy(ctx, src, dst, await selectSnapshots(src, ids, opts as Partial<LatestFilterOptions>));
      } finally {
        await dstLock.release();
      }
    } finally {
      await srcLock.release();
    }
  });
}

async function selectSnapshots(src: Repository, ids: string[], opts: Partial<LatestFilterOptions>): Promise<Snapshot[]> {
  const all = await listSnapshots(src, latestFilter(opts));
  if (ids.length === 0) return all;
  const wanted = new Set(await Promise.all(ids.map((ref) => resolveSnapshotId(src, ref))));
  return all.filter((s) => wanted.has(s.id));
}

async function runCopy(ctx: CliContext, src: Repository, dst: Repository, snapshots: Snapshot[]): Promise<void> {
  await Promise.all([src.loadIndex(), dst.loadIndex()]);
  const copier = new SnapshotCopier(src, dst);
  const json = ctx.globals().json === true;
  if (!json && !copier.sharesIds) {
    say(ctx, 'note: the repositories do not share blob ids, so every blob is read and re-hashed (create the target with init --copy-params-from to copy only what is new)');
  }
  const report = (o: CopyOutcome): void => {
    if (json) writeJson(ctx, { message_type: 'snapshot', source: o.source, target: o.target, copied: o.copied });
    else say(ctx, `${o.copied ? 'copied' : 'already copied'} snapshot ${o.source.slice(0, 8)} → ${o.target.slice(0, 8)}`);
  };
  const outcomes = await copier.copy(snapshots, report);
  const copied = outcomes.filter((o) => o.copied).length;
  const s = copier.stats;
  if (json) writeJson(ctx, { message_type: 'summary', snapshots: outcomes.length, copied, ...s });
  else say(ctx, `${copied} of ${outcomes.length} snapshot(s) copied; ${s.blobsStored} new blob(s), ${s.bytesStored} bytes stored, ${s.blobsRead} blob(s) read`);
}
