/**
 * The `holdfast` command: global options, the command set, and the one place where
 * errors become a single line on stderr and an exit code.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { isHoldfastError, messageOf } from '../core/errors.ts';
import type { CliContext, GlobalOptions } from './context.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { registerBackup } from './cmd-backup.ts';
import { registerBackupCluster } from './cmd-backup-cluster.ts';
import { registerRestoreCluster } from './cmd-restore-cluster.ts';
import { registerBrowse } from './cmd-browse.ts';
import { registerCopy } from './cmd-copy.ts';
import { registerInstall } from './cmd-install.ts';
import { registerInit } from './cmd-init.ts';
import { registerKey } from './cmd-key.ts';
import { registerMaintenance } from './cmd-maintenance.ts';
import { registerMover } from './cmd-mover.ts';
import { registerRestore } from './cmd-restore.ts';
import { registerSnapshots } from './cmd-snapshots.ts';

export type CliDeps = Omit<CliContext, 'globals'>;

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  let exitCode: number = EXIT.ok;
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('holdfast')
    .description('Holdfast: deduplicated, compressed, encrypted backups of directories, streams and block devices')
    .version('0.1.0')
    .option('-r, --repo <location>', 'repository: a path or s3:https://host/bucket/prefix (default $HOLDFAST_REPOSITORY)')
    .option('--password-file <file>', 'read the password from a file (default $HOLDFAST_PASSWORD_FILE, $HOLDFAST_PASSWORD)')
    .option('--json', 'machine-readable output (JSON lines)')
    .option('-q, --quiet', 'print only errors')
    .option('--no-cache', 'do not use the local cache of index files, snapshots and tree packs (~/.cache/holdfast)')
    .option('--no-lock', 'read without a shared lock (snapshots, ls, dump, diff, stats, restore, check), for storage you may not write to')
    .exitOverride()
    .configureOutput({ writeOut: (s) => deps.stdout.write(s), writeErr: (s) => deps.stderr.write(s) });
  const ctx: CliContext = { ...deps, globals: () => program.opts() as GlobalOptions };
  registerInit(program, ctx);
  registerBackup(program, ctx, setExit);
  registerSnapshots(program, ctx);
  registerRestore(program, ctx, setExit);
  registerBrowse(program, ctx);
  registerMaintenance(program, ctx, setExit);
  registerKey(program, ctx);
  registerCopy(program, ctx);
  registerInstall(program, ctx);
  registerMover(program, ctx);
  const sub = (name: string): Command => program.commands.find((c) => c.name() === name) as Command;
  registerBackupCluster(sub('backup'), ctx, setExit);
  registerRestoreCluster(sub('restore'), ctx, setExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    return reportError(deps, err);
  }
  return exitCode;
}

function reportError(deps: CliDeps, err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isHoldfastError(err)) {
    deps.stderr.write(`holdfast: ${err.message}\n`);
    deps.logger.debug({ code: err.code, err }, 'command failed');
    return exitCodeFor(err.code);
  }
  deps.stderr.write(`holdfast: internal error: ${messageOf(err)}\n`);
  if (err instanceof Error && err.stack) deps.logger.error({ stack: err.stack }, 'internal error');
  return EXIT.failure;
}
