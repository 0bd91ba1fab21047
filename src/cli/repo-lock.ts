/**
 * The repository lock a command holds while it works. Commands that read snapshots,
 * trees or packs (snapshots, ls, dump, diff, stats, restore, check) hold a shared lock, so
 * an exclusive `forget` or `prune` cannot delete what they are reading; `--no-lock` skips
 * it for read-only storage (then a concurrent prune may make the command fail mid-way).
 */
import { HoldfastError, isHoldfastError } from '../core/errors.ts';
import { acquireLock } from '../repo/lock/lock.ts';
import type { Repository } from '../repo/repository.ts';
import type { CliContext } from './context.ts';

/** Whether read commands lock (false with --no-lock). */
export function readersLock(ctx: CliContext): boolean {
  return ctx.globals().lock !== false;
}

/** Runs `work` while holding a shared lock on `repo` (none with --no-lock). */
export async function withSharedLock<T>(ctx: CliContext, repo: Repository, work: () => Promise<T>): Promise<T> {
  if (!readersLock(ctx)) return work();
  let lock;
  try {
    lock = await acquireLock(repo, { exclusive: false, clock: ctx.clock });
  } catch (err) {
    if (!isHoldfastError(err, 'STORAGE_PERMISSION')) throw err;
    throw new HoldfastError('STORAGE_PERMISSION', `${err.message} (to read a repository you may not write to, pass --no-lock)`, { cause: err });
  }
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
