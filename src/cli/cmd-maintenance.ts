import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { checkRepository } from '../repo/maintenance/check.ts';
import type { Repository } from '../repo/repository.ts';
import { prune } from '../repo/maintenance/prune.ts';
import { lastRelease } from '../repo/maintenance/object-lock.ts';
import { repositoryStats } from '../repo/maintenance/stats.ts';
import { checkVerifier, nativeVerify } from '../mover/verify/native-verifier.ts';
import type { CliContext } from './context.ts';
import { openRepository, say, writeJson } from './context.ts';
import { withSharedLock } from './repo-lock.ts';
import { EXIT } from './exit-codes.ts';
import { formatBytes } from './format.ts';
import { registerForget } from './cmd-forget.ts';
import { registerRepair } from './cmd-repair.ts';

export function registerMaintenance(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('check the repository structure; --read-data also reads and authenticates every blob')
    .option('--read-data', 'read every pack and verify every blob')
    .option('--workers <n>', 'threads that decode blobs for --read-data at once (default: CPU count; natively at most 3)')
    .action(async (opts) => {
      // A cache of this run only: check reads what the storage holds, each object once.
      const scratch = mkdtempSync(join(tmpdir(), 'holdfast-check-'));
      try {
        const repo = await openRepository(ctx, { cacheDir: scratch, ...(opts.readData && !nativeVerify() ? { warmWorkers: opts.workers ?? '' } : {}) });
        await withSharedLock(ctx, repo, () => runCheck(ctx, repo, opts, setExit));
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });

  program
    .command('prune')
    .description('remove data that no snapshot uses (repacks mostly-unused packs)')
    .option('--dry-run', 'only show what would be removed')
    .option('--max-unused <percent>', 'repack packs with more unused bytes than this', '5')
    .action(async (opts) => {
      const repo = await openRepository(ctx);
      const r = await prune(repo, { clock: ctx.clock, dryRun: opts.dryRun === true, maxUnused: Number(opts.maxUnused) / 100 });
      const p = r.plan;
      if (ctx.globals().json) {
        writeJson(ctx, { message_type: 'prune', dryRun: opts.dryRun === true, packsDeleted: p.deletePacks.size, packsRepacked: p.repack.size, unusedBlobs: p.unusedBlobs, unusedBytes: p.unusedBytes, usedBytes: p.usedBytes, packsWritten: r.packsWritten, packsRetained: p.retained.size, retainedUnusedBytes: p.retainedUnusedBytes, retainedUntil: lastRelease(p.retained.values())?.toISOString(), tempFilesRemoved: r.tempFilesRemoved });
        return;
      }
      say(ctx, `${opts.dryRun ? 'would remove' : 'removed'} ${p.unusedBlobs} unused blob(s), ${formatBytes(p.unusedBytes - p.retainedUnusedBytes)}; ${p.repack.size} pack(s) repacked, ${p.deletePacks.size} pack(s) deleted (${p.unreferencedPacks} unreferenced); ${formatBytes(p.usedBytes)} in use`);
      if (r.tempFilesRemoved > 0) say(ctx, `removed ${r.tempFilesRemoved} temporary file(s) that interrupted backups left`);
      const until = lastRelease(p.retained.values());
      if (until) say(ctx, `object lock retains ${p.retained.size} pack(s) with ${formatBytes(p.retainedUnusedBytes)} unused until ${until.toISOString()}; prune after then frees them`);
    });

  program
    .command('stats')
    .description('logical and stored sizes, deduplication and compression ratios')
    .action(async () => {
      const repo = await openRepository(ctx);
      const s = await withSharedLock(ctx, repo, () => repositoryStats(repo));
      if (ctx.globals().json) {
        writeJson(ctx, s);
        return;
      }
      say(ctx, [
        `snapshots:            ${s.snapshots}`,
        `logical size:         ${formatBytes(s.logicalBytes)} (all snapshots' files)`,
        `after deduplication:  ${formatBytes(s.uniqueBytes)} in ${s.blobs} blobs (dedup ratio ${s.dedupRatio})`,
        `after compression:    ${formatBytes(s.blobBytesStored)} (compression ratio ${s.compressionRatio})`,
        `stored:               ${formatBytes(s.packBytes)} in ${s.packs} packs (overall ${s.totalRatio}x)`,
      ].join('\n'));
    });

  registerForget(program, ctx);
  registerRepair(program, ctx, setExit);
}

async function runCheck(ctx: CliContext, repo: Repository, opts: { readData?: true; workers?: string }, setExit: (code: number) => void): Promise<void> {
  const verifier = opts.readData ? checkVerifier(repo, opts.workers ? { workers: Number(opts.workers) } : {}) : undefined;
  try {
    const report = await checkRepository(repo, { readData: opts.readData === true, ...(verifier ? { verifier } : {}) });
    const errors = report.issues.filter((i) => i.severity === 'error');
    if (ctx.globals().json) writeJson(ctx, { message_type: 'check', ...report, errors: errors.length });
    else {
      for (const i of report.issues) ctx.stderr.write(`${i.severity}: ${i.message}\n`);
      say(ctx, `checked ${report.snapshots} snapshot(s), ${report.packs} pack(s), ${report.blobs} blob(s)${opts.readData ? `, read ${report.packsRead} pack(s) (${formatBytes(report.bytesRead)})` : ''}`);
      say(ctx, errors.length === 0 ? 'no errors were found' : `${errors.length} error(s) found`);
    }
    if (errors.length > 0) setExit(EXIT.damaged);
  } finally {
    await verifier?.close();
  }
}
