import type { Command } from '@commander-js/extra-typings';
import { HoldfastError } from '../core/errors.ts';
import { acquireLock } from '../repo/lock/lock.ts';
import { applyRetention, parseDuration } from '../repo/maintenance/retention.ts';
import type { GroupBy, RetentionPolicy } from '../repo/maintenance/retention.ts';
import { prune } from '../repo/maintenance/prune.ts';
import { retainedObjects } from '../repo/maintenance/object-lock.ts';
import { deleteSnapshot, findSnapshot, listSnapshots, resolveSnapshotId } from '../repo/snapshot/snapshot-store.ts';
import type { Repository } from '../repo/repository.ts';
import type { CliContext } from './context.ts';
import { openRepository, say, writeJson } from './context.ts';
import { collect } from './option-values.ts';

function count(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < -1) throw new HoldfastError('USAGE', `${flag} takes a whole number (or -1 for unlimited), not '${v}'`);
  return n;
}

export function registerForget(program: Command, ctx: CliContext): void {
  program
    .command('forget')
    .description('remove snapshots by id or by a retention policy (then run prune, or pass --prune)')
    .argument('[snapshots...]', 'snapshot ids to remove')
    .option('--keep-last <n>').option('--keep-hourly <n>').option('--keep-daily <n>')
    .option('--keep-weekly <n>').option('--keep-monthly <n>').option('--keep-yearly <n>')
    .option('--keep-within <duration>', 'keep snapshots within this duration of the newest (e.g. 7d, 1y6m)')
    .option('--keep-tag <tag>', 'keep snapshots with this tag (repeatable)', collect, [] as string[])
    .option('--group-by <keys>', 'group snapshots by host,paths,tags,label:KEY', 'host,paths')
    .option('--dry-run', 'only show what would be removed')
    .option('--prune', 'run prune afterwards')
    .action(async (ids, opts) => {
      const repo = await openRepository(ctx);
      const lock = await acquireLock(repo, { exclusive: true, clock: ctx.clock });
      let removed = 0;
      try {
        if (ids.length > 0) {
          for (const ref of ids) {
            const id = ref === 'latest' ? (await findSnapshot(repo, ref)).id : await resolveSnapshotId(repo, ref);
            if (await removeUnlessRetained(ctx, repo, id, opts.dryRun === true, true)) removed++;
          }
        } else {
          removed = await forgetByPolicy(ctx, repo, opts);
        }
      } finally {
        await lock.release();
      }
      if (opts.prune && !opts.dryRun && removed > 0) {
        const r = await prune(repo, { clock: ctx.clock });
        say(ctx, `pruned: ${r.plan.unusedBlobs} unused blob(s) removed, ${r.plan.deletePacks.size} pack(s) deleted`);
      }
    });

  async function forgetByPolicy(c: CliContext, repo: Repository, opts: Record<string, unknown>): Promise<number> {
    const policy: RetentionPolicy = {
      last: count(opts.keepLast as string | undefined, '--keep-last'),
      hourly: count(opts.keepHourly as string | undefined, '--keep-hourly'),
      daily: count(opts.keepDaily as string | undefined, '--keep-daily'),
      weekly: count(opts.keepWeekly as string | undefined, '--keep-weekly'),
      monthly: count(opts.keepMonthly as string | undefined, '--keep-monthly'),
      yearly: count(opts.keepYearly as string | undefined, '--keep-yearly'),
      ...(opts.keepWithin ? { withinMs: parseDuration(String(opts.keepWithin)) } : {}),
      tags: opts.keepTag as string[],
    };
    const by = String(opts.groupBy).split(',').filter(Boolean) as unknown as GroupBy;
    const decisions = applyRetention(await listSnapshots(repo), policy, by);
    let removed = 0;
    for (const d of decisions) {
      if (c.globals().json) writeJson(c, { group: d.group, keep: d.keep.map((k) => ({ id: k.snapshot.id, reasons: k.reasons })), remove: d.remove.map((s) => s.id) });
      else {
        say(c, `group ${d.group}: keep ${d.keep.length}, remove ${d.remove.length}`);
        for (const k of d.keep) say(c, `  keep   ${k.snapshot.id.slice(0, 8)} ${k.snapshot.time} (${k.reasons.join(', ')})`);
        for (const s of d.remove) say(c, `  remove ${s.id.slice(0, 8)} ${s.time}`);
      }
      for (const s of d.remove) if (await removeUnlessRetained(c, repo, s.id, opts.dryRun === true, false)) removed++;
    }
    return removed;
  }
}

/**
 * Removes one snapshot unless object lock still retains it; then says until when and
 * leaves it (a later forget removes it). Returns whether it was (or would be) removed.
 */
async function removeUnlessRetained(ctx: CliContext, repo: Repository, id: string, dryRun: boolean, announce: boolean): Promise<boolean> {
  const until = (await retainedObjects(repo.storage, 'snapshots', [id], ctx.clock.now())).get(id);
  if (until !== undefined) {
    if (ctx.globals().json) writeJson(ctx, { message_type: 'retained', snapshot: id, until: until.toISOString() });
    else say(ctx, `kept snapshot ${id.slice(0, 8)}: object lock retains it until ${until.toISOString()}`);
    return false;
  }
  if (!dryRun) await deleteSnapshot(repo, id);
  if (announce && !ctx.globals().json) say(ctx, `${dryRun ? 'would remove' : 'removed'} snapshot ${id.slice(0, 8)}`);
  return true;
}
