/**
 * `holdfast backup --group group.yaml`: a consistency group in CLI mode. Each member's
 * dump, and a snapshot of the group's paths, is stored while the whole group is paused; once the group is resumed and probed,
 * each snapshot's labels get the verdict. A snapshot's id is the hash of its manifest, so
 * the verdict is written as a new manifest that replaces the provisional one (labelled
 * `holdfast.group.consistent=pending` until then — a run killed half-way leaves exactly
 * that). An inconsistent run keeps its snapshots, labelled `false`, and exits 15.
 */
import { readFile, stat } from 'node:fs/promises';
import { HoldfastError, messageOf } from '../core/errors.ts';
import type { Id } from '../core/ids.ts';
import { parseGroupFile } from '../consistency/groups/group-spec.ts';
import { runGroup } from '../consistency/groups/group-run.ts';
import type { GroupRun } from '../consistency/groups/group-run.ts';
import { parseDatabaseUrl } from '../consistency/recipes/target.ts';
import { backupTree } from '../mover/backup/backup.ts';
import type { CommonBackupOptions } from '../mover/backup/backup.ts';
import { acquireLock } from '../repo/lock/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { deleteSnapshot, loadSnapshot, saveSnapshot } from '../repo/snapshot/snapshot-store.ts';
import type { CliContext } from './context.ts';
import { say, writeJson } from './context.ts';
import { backupDatabase } from './cmd-database.ts';
import { DB_LABEL } from './labels.ts';
import type { DatabaseBackupResult } from './cmd-database.ts';
import { EXIT } from './exit-codes.ts';

export const GROUP_LABEL = {
  name: 'holdfast.group',
  pausedAt: 'holdfast.group.pausedAt',
  unpausedAt: 'holdfast.group.unpausedAt',
  consistent: 'holdfast.group.consistent',
} as const;

interface MemberResult {
  readonly member: string;
  readonly snapshot: Id;
  readonly extras: readonly Id[];
}

/** Replaces a snapshot's manifest with one carrying `labels` too; returns the new id. */
async function relabel(repo: Repository, id: Id, labels: Readonly<Record<string, string>>): Promise<Id> {
  const { id: _old, ...manifest } = await loadSnapshot(repo, id);
  const next = await saveSnapshot(repo, { ...manifest, labels: { ...manifest.labels, ...labels } });
  if (next !== id) await deleteSnapshot(repo, id);
  return next;
}

async function recordVerdict(ctx: CliContext, repo: Repository, run: GroupRun<DatabaseBackupResult & { member: string }>): Promise<MemberResult[]> {
  const verdict = { [GROUP_LABEL.unpausedAt]: run.window.unpausedAt, [GROUP_LABEL.consistent]: String(run.consistent) };
  const lock = await acquireLock(repo, { exclusive: false, clock: ctx.clock });
  try {
    const out: MemberResult[] = [];
    for (const c of run.captures) {
      const snapshot = await relabel(repo, c.main.id, verdict);
      const extras: Id[] = [];
      for (const e of c.extras) extras.push(await relabel(repo, e.id, { ...verdict, [DB_LABEL.dump]: snapshot }));
      out.push({ member: c.member, snapshot, extras });
    }
    return out;
  } finally {
    await lock.release();
  }
}

async function readGroupFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new HoldfastError('USAGE', `cannot read the group file ${path}: ${messageOf(err)}`, { cause: err });
  }
}

/** Every listed path must exist before anything is paused: a typo fails at once, not mid-window. */
async function checkPaths(file: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    try {
      await stat(p);
    } catch (err) {
      throw new HoldfastError('CONFIG_INVALID', `${file}: paths: cannot read ${p}: ${messageOf(err)}`, { cause: err });
    }
  }
}

/** Backs up every member and the paths of the group; returns the exit code (0; 3 when some files could not be read; 15 when the run was inconsistent). */
export async function backupGroup(ctx: CliContext, repo: Repository, file: string, common: CommonBackupOptions): Promise<number> {
  const spec = parseGroupFile(await readGroupFile(file), file);
  await checkPaths(file, spec.paths ?? []);
  const env = ctx.env.inherited;
  const labelsAt = (pausedAt: string): Record<string, string> => ({ ...common.labels, [GROUP_LABEL.name]: spec.name, [GROUP_LABEL.pausedAt]: pausedAt, [GROUP_LABEL.consistent]: 'pending' });
  let unreadable = 0;
  const run = await runGroup(spec, {
    env, clock: ctx.clock,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    onThawError: (_what, err) => void ctx.stderr.write(`holdfast: warning: ${messageOf(err)}\n`),
  }, async (member, pausedAt) => {
    const r = await backupDatabase(repo, member.url, env, { ...common, labels: labelsAt(pausedAt) });
    for (const w of r.warnings) ctx.stderr.write(`holdfast: warning: ${w}\n`);
    return { ...r, member: parseDatabaseUrl(member.url).display };
  }, async (paths, pausedAt) => {
    const main = await backupTree(repo, paths, { ...common, labels: labelsAt(pausedAt) });
    for (const e of main.errors) ctx.stderr.write(`holdfast: warning: ${e.path}: ${e.message}\n`);
    unreadable += main.errors.length;
    return { main, extras: [], warnings: [], member: `paths ${paths.join(', ')}` };
  });
  const members = await recordVerdict(ctx, repo, run);
  report(ctx, spec.name, run, members);
  if (!run.consistent) return EXIT.inconsistent;
  return unreadable > 0 ? EXIT.partial : EXIT.ok;
}

function report(ctx: CliContext, name: string, run: GroupRun<unknown>, members: readonly MemberResult[]): void {
  if (ctx.globals().json) {
    writeJson(ctx, { message_type: 'group', group: name, result: run.consistent ? 'Consistent' : 'Inconsistent', ...run.window, changes: run.changes, members });
    return;
  }
  for (const m of members) say(ctx, `${m.member}: snapshot ${m.snapshot.slice(0, 8)} saved`);
  const seconds = ((Date.parse(run.window.unpausedAt) - Date.parse(run.window.pausedAt)) / 1000).toFixed(1);
  say(ctx, `group ${name}: paused ${run.window.pausedAt} … ${run.window.unpausedAt} (${seconds} s)`);
  if (run.consistent) {
    say(ctx, `group ${name}: Consistent`);
    return;
  }
  ctx.stderr.write(`holdfast: group ${name} is Inconsistent: ${run.changes.join('; ')}; its snapshots are kept, labelled ${GROUP_LABEL.consistent}=false\n`);
}
