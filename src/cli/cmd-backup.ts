import type { Command } from '@commander-js/extra-typings';
import { HoldfastError } from '../core/errors.ts';
import { backupBlock, backupCommand, backupStream, backupTree, startTreeScan } from '../mover/backup/backup.ts';
import { readStdinPipe, startCommand, type PipeReader, type StartedCommand } from '../mover/backup/stream-command.ts';
import type { TreeScanner } from '../mover/backup/dir-listing.ts';
import type { BackupResult, CommonBackupOptions } from '../mover/backup/backup.ts';
import type { ChunkProfileName } from '../mover/backup/profiles.ts';
import { nativeSeal } from '../mover/backup/native-sealing.ts';
import type { CliContext } from './context.ts';
import { openRepository, say, writeJson, type OpenOptions } from './context.ts';
import { EXIT } from './exit-codes.ts';
import { formatBytes, formatDuration } from './format.ts';
import { parseLabels } from './labels.ts';
import { progressView } from './progress-view.ts';
import { collect } from './option-values.ts';
import { backupDatabaseUrl, databaseUrlOf, withFreezes } from './cmd-database-options.ts';

export function registerBackup(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command('backup')
    .description('back up directories and files, a stream on stdin, a command\'s output, or a block device/image')
    .argument('[paths...]', 'directories or files to back up, or one database URL (postgres://, mysql://, mariadb://, redis://, etcd://)')
    .option('--stdin', 'back up standard input as one file')
    .option('--stdin-from-command <command>', 'run a command and back up its standard output; a non-zero exit fails the backup')
    .option('--stdin-filename <name>', 'file name for a stream backup', 'stdin')
    .option('--block <path>', 'back up a block device or image file; zero runs are stored as holes')
    .option('--tag <tag>', 'add a tag (repeatable)', collect, [] as string[])
    .option('--label <key=value>', 'add a label such as namespace=shop (repeatable)', collect, [] as string[])
    .option('--host <name>', 'host name recorded in the snapshot')
    .option('--exclude <glob>', 'exclude paths matching a glob (repeatable)', collect, [] as string[])
    .option('--force', 're-read every file (ignore the parent snapshot)')
    .option('--workers <n>', 'files or chunks sealed at once (default: CPU count; natively at most 3, files one more than the CPUs)')
    .option('--chunk-profile <profile>', "chunk sizes: 'default' (~1 MiB, files and streams) or 'fine' (~64 KiB, for dumps whose small edits should dedup; database backups use it)")
    .option('--freeze <target>', 'hold a freeze while capturing: a database URL, suspend:PID or fsfreeze:/mount (repeatable)', collect, [] as string[])
    .option('--freeze-timeout <seconds>', 'longest a freeze may last; a watchdog outside holdfast ends it then', '60')
    .option('--group <file>', 'back up a consistency group (YAML: members, paths, pause/resume, probe); exit 15 when inconsistent')
    .option('--recipe <file>', 'back up with a recipe file (the Recipe spec): quiesce, dump steps streamed, unquiesce')
    .option('--param <name=value>', 'with --recipe: a parameter of the recipe (repeatable)', collect, [] as string[])
    .action(async (paths, opts) => {
      // Groups and recipe files are YAML: their parsers load only when one is given.
      if (opts.group) {
        const { backupGroup } = await import('./cmd-group.ts');
        return setExit(await backupGroup(ctx, await openRepository(ctx), opts.group, { clock: ctx.clock, tags: opts.tag, labels: parseLabels(opts.label) }));
      }
      if (opts.recipe) {
        const { backupRecipeFile } = await import('./cmd-database-recipe.ts');
        return backupRecipeFile(ctx, await openRepository(ctx), { ...opts, recipe: opts.recipe }, { clock: ctx.clock, tags: opts.tag, labels: parseLabels(opts.label) });
      }
      const dbUrl = databaseUrlOf(paths);
      const started = Date.now();
      const view = progressView(ctx, started);
      const modes = [paths.length > 0, !!opts.stdin, !!opts.stdinFromCommand, !!opts.block].filter(Boolean).length;
      const { scan, command, stdin } = modes === 1 ? startAhead(paths, opts, dbUrl) : {};
      let result: BackupResult;
      try {
        const repo = await openRepository(ctx, modes === 1 ? warmForStreams({ ...opts, dbUrl }) : {});
        const common: CommonBackupOptions = {
          clock: ctx.clock, progress: view, tags: opts.tag, labels: parseLabels(opts.label),
          ...(opts.host ? { hostname: opts.host } : {}),
          ...(opts.workers ? { workers: Number(opts.workers) } : {}),
          ...(opts.chunkProfile ? { chunkProfile: chunkProfileOf(opts.chunkProfile) } : {}),
        };
        if (modes !== 1) throw new HoldfastError('USAGE', 'give exactly one of: paths, --stdin, --stdin-from-command, --block');
        result = await withFreezes(ctx, opts, async () => {
          if (dbUrl) return backupDatabaseUrl(ctx, repo, dbUrl, common);
          if (opts.stdinFromCommand) return backupCommand(repo, command ?? opts.stdinFromCommand, { ...common, filename: opts.stdinFilename });
          if (opts.stdin) return backupStream(repo, stdin ?? process.stdin, { ...common, filename: opts.stdinFilename });
          if (opts.block) return backupBlock(repo, opts.block, common);
          return backupTree(repo, paths, { ...common, excludes: opts.exclude, ...(opts.force ? { parent: false as const } : {}), ...(scan ? { scan } : {}) });
        });
      } finally {
        command?.stop();
        stdin?.stop();
        await scan?.close();
      }
      view.finish();
      report(ctx, result);
      if (result.errors.length > 0) setExit(EXIT.partial);
    });
}

/**
 * What starts before the repository opens (key derivation, index): the source tree's
 * listing on a worker thread, or the command whose output is backed up, or the reading of
 * a pipe on standard input (ADR 0034), unless a freeze must come first.
 */
function startAhead(paths: string[], opts: AheadOptions, dbUrl: string | undefined): { scan?: TreeScanner; command?: StartedCommand; stdin?: PipeReader | undefined } {
  if (paths.length > 0 && !dbUrl) return { scan: startTreeScan(paths, opts.exclude) };
  if (opts.stdinFromCommand && opts.freeze.length === 0) return { command: startCommand(opts.stdinFromCommand) };
  if (opts.stdin && opts.freeze.length === 0) return { stdin: readStdinPipe() };
  return {};
}

interface AheadOptions {
  readonly exclude: string[];
  readonly stdin?: boolean;
  readonly stdinFromCommand?: string;
  readonly freeze: string[];
}

function chunkProfileOf(name: string): ChunkProfileName {
  if (name === 'default' || name === 'fine') return name;
  throw new HoldfastError('USAGE', `--chunk-profile must be 'default' or 'fine', not '${name}'`);
}

/**
 * A stream (a dump) sealed by worker threads (without the addon's sealChunks) needs them
 * from its first chunk on: they start while the key is derived. The addon needs none.
 */
function warmForStreams(opts: { stdin?: boolean; stdinFromCommand?: string; dbUrl?: string | undefined; workers?: string }): OpenOptions {
  return (opts.stdin || opts.stdinFromCommand || opts.dbUrl) && !nativeSeal() ? { warmWorkers: opts.workers ?? '' } : {};
}

function report(ctx: CliContext, r: BackupResult): void {
  const s = r.summary;
  if (ctx.globals().json) {
    writeJson(ctx, { message_type: 'summary', snapshot_id: r.id, parent: r.parent ?? null, ...s, errors: r.errors });
    return;
  }
  say(ctx, `${r.parent ? `using parent snapshot ${r.parent.slice(0, 8)}\n` : ''}files: ${s.files} (${s.filesChanged} read, ${s.filesUnchanged} unchanged), dirs: ${s.dirs}`);
  say(ctx, `read ${formatBytes(s.bytesRead)} of ${formatBytes(s.bytesTotal)}, added ${formatBytes(s.bytesNew)} new (${formatBytes(s.bytesStored)} stored) in ${s.blobsNew} blobs, ${formatDuration(s.durationMs)}`);
  if (r.errors.length > 0) say(ctx, `${r.errors.length} source file(s) could not be read (see warnings above); the snapshot has everything else`);
  say(ctx, `snapshot ${r.id.slice(0, 8)} saved`);
}
