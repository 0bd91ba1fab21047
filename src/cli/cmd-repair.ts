/**
 * `repair index` rebuilds the index from the packs' headers (restic's name for it), with
 * `rebuild-index` as an alias for restic 0.14's name.
 */
import type { Command } from '@commander-js/extra-typings';
import { repairIndex } from '../repo/maintenance/repair-index.ts';
import type { CliContext } from './context.ts';
import { openRepository, say, writeJson } from './context.ts';
import { EXIT } from './exit-codes.ts';

export function registerRepair(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  const description = 'rebuild the index from the headers of the stored packs, replacing every index file (exclusive lock)';
  const repair = program.command('repair').description('repair parts of a damaged repository');
  repair.command('index').description(description).action(() => rebuildIndex(ctx, setExit));
  program.command('rebuild-index').description(`${description}; same as 'repair index'`).action(() => rebuildIndex(ctx, setExit));
}

async function rebuildIndex(ctx: CliContext, setExit: (code: number) => void): Promise<void> {
  const repo = await openRepository(ctx);
  const r = await repairIndex(repo, { clock: ctx.clock });
  for (const p of r.unreadablePacks) ctx.stderr.write(`error: pack ${p.pack}: header unreadable, its blobs are not indexed: ${p.message}\n`);
  if (r.unreadablePacks.length > 0) setExit(EXIT.damaged);
  if (ctx.globals().json) {
    writeJson(ctx, { message_type: 'repair_index', ...r, unreadablePacks: r.unreadablePacks.length });
    return;
  }
  say(ctx, `read the headers of ${r.packs} pack(s): ${r.blobs} blob(s) indexed in ${r.indexFilesWritten} new index file(s); ${r.indexFilesRemoved} old index file(s) removed`);
  if (r.packsAdded > 0) say(ctx, `${r.packsAdded} pack(s) were missing from the index`);
  if (r.packsDropped > 0) say(ctx, `${r.packsDropped} indexed pack(s) are no longer in storage`);
  if (r.unreadableIndexFiles > 0) say(ctx, `${r.unreadableIndexFiles} old index file(s) could not be read`);
  if (r.retainedIndexFiles > 0) say(ctx, `${r.retainedIndexFiles} old index file(s) are retained by object lock and stay`);
  if (r.unreadablePacks.length > 0) say(ctx, `${r.unreadablePacks.length} pack(s) have a damaged header; run 'holdfast check --read-data'`);
}
