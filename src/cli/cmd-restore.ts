import type { Command } from '@commander-js/extra-typings';
import { HoldfastError } from '../core/errors.ts';
import type { Repository } from '../repo/repository.ts';
import type { Snapshot } from '../repo/snapshot/snapshot.ts';
import { findSnapshot } from '../repo/snapshot/snapshot-store.ts';
import { dumpFile, findNode } from '../mover/restore/dump.ts';
import { restoreSnapshot } from '../mover/restore/restorer.ts';
import { nativeRestore } from '../mover/restore/native-runner.ts';
import type { CliContext } from './context.ts';
import { openRepository, say, writeJson } from './context.ts';
import { withSharedLock } from './repo-lock.ts';
import { EXIT } from './exit-codes.ts';
import { formatBytes, formatDuration } from './format.ts';
import { progressView } from './progress-view.ts';
import { addLatestFilter, latestFilter } from './snapshot-ref.ts';
import type { LatestFilterOptions } from './snapshot-ref.ts';
import { collect } from './option-values.ts';
import { databaseFilter, restoreDatabaseInto } from './cmd-database-options.ts';

export function registerRestore(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  const restore = program
    .command('restore')
    .description('restore a snapshot (or part of it) into a directory')
    .argument('<snapshot>', "snapshot id, or 'latest'")
    .option('--target <dir>', 'directory to restore into')
    .option('--into <url>', 'load a database dump into this database (postgres://, mysql://, redis://), or etcd-data-dir:/new/dir')
    .option('--recipe <file>', 'load the snapshot\'s recipe run with the load steps of this recipe file')
    .option('--param <name=value>', 'with --recipe: a parameter of the recipe (repeatable)', collect, [] as string[])
    .option('--drop', 'with --into: drop and recreate the database first')
    .option('--include <glob>', 'restore only matching paths (repeatable)', collect, [] as string[])
    .option('--exclude <glob>', 'skip matching paths (repeatable)', collect, [] as string[])
    .option('--verify', 'read restored files back and check them against the snapshot')
    .option('--workers <n>', 'restore tasks run at once (default: CPU count; natively at most 3)');
  addLatestFilter(restore).action(async (ref, opts) => {
      const started = Date.now();
      const repo = await openRepository(ctx, opts.target && !opts.recipe && !nativeRestore() ? { warmWorkers: opts.workers ?? '' } : {});
      // One shared lock from finding the snapshot to the last byte (restoreSnapshot's own is off, for --no-lock).
      await withSharedLock(ctx, repo, async () => {
        if (opts.recipe) return (await import('./cmd-database-recipe.ts')).restoreRecipeFile(ctx, repo, ref, { recipe: opts.recipe, param: opts.param, freeze: [] });
        const snapshot = await findSnapshot(repo, ref, { ...latestFilter(opts as Partial<LatestFilterOptions>), ...databaseFilter(opts.into) });
        if (opts.into) return restoreDatabaseInto(ctx, repo, snapshot, opts.into, opts.drop === true);
        if (!opts.target) throw new HoldfastError('USAGE', 'give --target DIR (files) or --into URL (a database dump)');
        return restoreFiles(ctx, repo, snapshot, { ...opts, target: opts.target, started }, setExit);
      });
    });

  const dump = program
    .command('dump')
    .description('write one file of a snapshot (or a stream backup) to stdout')
    .argument('<snapshot>', "snapshot id, or 'latest'")
    .argument('[path]', 'path inside the snapshot (default: the only file of a stream backup)', '');
  addLatestFilter(dump).action(async (ref, path, opts) => {
      const repo = await openRepository(ctx);
      await withSharedLock(ctx, repo, async () => {
        await repo.loadIndex();
        const snapshot = await findSnapshot(repo, ref, latestFilter(opts as Partial<LatestFilterOptions>));
        const node = await findNode(repo, snapshot, path);
        if (node.type === 'dir') throw new HoldfastError('USAGE', `'${path}' is a directory; use 'restore --include' for directories`);
        await dumpFile(repo, node, ctx.stdout);
      });
    });
}

interface RestoreFilesOptions {
  readonly target: string;
  readonly started: number;
  readonly include: string[];
  readonly exclude: string[];
  readonly verify?: true;
  readonly workers?: string;
}

async function restoreFiles(ctx: CliContext, repo: Repository, snapshot: Snapshot, opts: RestoreFilesOptions, setExit: (code: number) => void): Promise<void> {
  const view = progressView(ctx, opts.started);
  const r = await restoreSnapshot(repo, snapshot, {
    target: opts.target, clock: ctx.clock, progress: view, verify: opts.verify === true, lock: false,
    filter: { includes: opts.include, excludes: opts.exclude },
    ...(opts.workers ? { workers: Number(opts.workers) } : {}),
  });
  view.finish();
  for (const e of r.errors) ctx.stderr.write(`error: ${e.path}: ${e.message}\n`);
  if (ctx.globals().json) writeJson(ctx, { message_type: 'summary', snapshot_id: snapshot.id, ...r });
  else say(ctx, `restored snapshot ${snapshot.id.slice(0, 8)} to ${opts.target}: ${r.files} files, ${r.dirs} dirs, ${formatBytes(r.bytes)} in ${formatDuration(Date.now() - opts.started)}${opts.verify ? `, ${r.verified} files verified` : ''}`);
  if (r.errors.length > 0) {
    say(ctx, `${r.errors.length} path(s) could not be restored`);
    setExit(EXIT.partial);
  }
}
