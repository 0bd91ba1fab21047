import type { Command } from '@commander-js/extra-typings';
import { findSnapshot } from '../repo/snapshot/snapshot-store.ts';
import { diffTrees } from '../mover/inspect/diff.ts';
import { walkTree } from '../mover/restore/tree-walk.ts';
import { addLatestFilter, latestFilter } from './snapshot-ref.ts';
import type { LatestFilterOptions } from './snapshot-ref.ts';
import type { CliContext } from './context.ts';
import { emitLine, openRepository, say, writeJson } from './context.ts';
import { withSharedLock } from './repo-lock.ts';

export function registerBrowse(program: Command, ctx: CliContext): void {
  const ls = program
    .command('ls')
    .description('list the files of a snapshot')
    .argument('<snapshot>', "snapshot id, or 'latest'")
    .option('-l, --long', 'show mode, size and time');
  addLatestFilter(ls).action(async (ref, opts) => {
      const repo = await openRepository(ctx);
      await withSharedLock(ctx, repo, async () => {
        await repo.loadIndex();
        const snap = await findSnapshot(repo, ref, latestFilter(opts as Partial<LatestFilterOptions>));
        const { json, quiet } = ctx.globals();
        for await (const { path, node } of walkTree(repo, snap.tree)) {
          if (json) {
            await emitLine(ctx, JSON.stringify({ path: `/${path}`, type: node.type, size: node.size, mode: node.mode, mtime: new Date(node.mtime).toISOString() }));
          } else if (quiet) {
            continue;
          } else if (opts.long) {
            await emitLine(ctx, `${node.type.padEnd(8)} ${node.mode.toString(8).padStart(4, '0')} ${String(node.size).padStart(12)} ${new Date(node.mtime).toISOString().slice(0, 19)} /${path}`);
          } else {
            await emitLine(ctx, `/${path}`);
          }
        }
      });
    });

  program
    .command('diff')
    .description('show what changed between two snapshots (+ added, - removed, M content, U metadata, T type)')
    .argument('<from>', 'older snapshot')
    .argument('<to>', 'newer snapshot')
    .action(async (from, to) => {
      const repo = await openRepository(ctx);
      const changes = await withSharedLock(ctx, repo, async () => {
        await repo.loadIndex();
        const a = await findSnapshot(repo, from);
        const b = await findSnapshot(repo, to);
        return diffTrees(repo, a.tree, b.tree);
      });
      if (ctx.globals().json) {
        writeJson(ctx, changes);
        return;
      }
      for (const c of changes) say(ctx, `${c.kind}    ${c.path}`);
      const count = (k: string): number => changes.filter((c) => c.kind === k).length;
      say(ctx, `${count('+')} added, ${count('-')} removed, ${count('M')} modified, ${count('U')} metadata only, ${count('T')} type changed`);
    });
}
