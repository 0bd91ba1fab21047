/**
 * Repository locks. Backups, restores and checks take a shared lock; forget and prune
 * take an exclusive one, so prune never deletes a blob that a running backup is about to
 * reference. A lock is a sealed object refreshed every few minutes; one that has not been
 * refreshed for `staleAfterMs`, or whose process is gone on this host, is stale and may
 * be removed by anyone.
 */
import { hostname } from 'node:os';
import { HoldfastError, isHoldfastError, sysCode } from '../../core/errors.ts';
import { bool, fields, integer, readShape, text } from '../../core/json-shape.ts';
import { randomId } from '../../core/ids.ts';
import type { Id } from '../../core/ids.ts';
import type { Clock } from '../../core/clock.ts';
import { parseJson, safeUsername } from '../repository.ts';
import type { Repository } from '../repository.ts';
import { sealObject } from '../sealed-object.ts';

interface LockInfo {
  time: string;
  exclusive: boolean;
  hostname: string;
  pid: number;
  username: string;
}

function readLockInfo(json: unknown, name: string): LockInfo {
  return readShape(`lock ${name} is malformed`, () => {
    const f = fields(json, 'lock', ['time', 'exclusive', 'hostname', 'pid', 'username']);
    return { time: text(f.time, 'time'), exclusive: bool(f.exclusive, 'exclusive'), hostname: text(f.hostname, 'hostname'), pid: integer(f.pid, 'pid'), username: text(f.username, 'username') };
  });
}

export interface LockOptions {
  readonly exclusive: boolean;
  readonly clock: Clock;
  readonly staleAfterMs?: number;
  readonly refreshMs?: number;
}

export interface RepositoryLock {
  release(): Promise<void>;
}

const STALE_AFTER_MS = 30 * 60_000;
const REFRESH_MS = 5 * 60_000;

export async function acquireLock(repo: Repository, opts: LockOptions): Promise<RepositoryLock> {
  await checkConflicts(repo, opts, undefined);
  let current = await writeLock(repo, opts);
  try {
    await checkConflicts(repo, opts, current);
  } catch (err) {
    await dropLock(repo, current);
    throw err;
  }
  let refreshing = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refreshing.then(async () => {
      const next = await writeLock(repo, opts);
      const previous = current;
      current = next;
      await dropLock(repo, previous);
    }).catch((err: unknown) => repo.logger.warn({ err }, 'could not refresh the repository lock'));
  }, opts.refreshMs ?? REFRESH_MS);
  timer.unref();
  return {
    release: async () => {
      clearInterval(timer);
      await refreshing;
      await dropLock(repo, current);
    },
  };
}

/**
 * Deletes a lock object. Append-only credentials may not delete anything: then the lock
 * is left behind and turns stale on its own, which is harmless, so that is only a warning.
 */
async function dropLock(repo: Repository, name: Id): Promise<void> {
  try {
    await repo.storage.delete({ type: 'locks', name });
  } catch (err) {
    if (!isHoldfastError(err, 'STORAGE_PERMISSION')) throw err;
    repo.logger.warn({ lock: name, error: err.message }, 'cannot delete the lock (append-only credentials?); it becomes stale by itself');
  }
}

async function writeLock(repo: Repository, opts: LockOptions): Promise<Id> {
  const info: LockInfo = {
    time: opts.clock.now().toISOString(),
    exclusive: opts.exclusive,
    hostname: hostname(),
    pid: process.pid,
    username: safeUsername(),
  };
  const name = randomId();
  await repo.storage.put({ type: 'locks', name }, sealObject(repo.key.encKey, 'locks', Buffer.from(JSON.stringify(info))));
  return name;
}

async function checkConflicts(repo: Repository, opts: LockOptions, own: Id | undefined): Promise<void> {
  for (const { name, info } of await readLocks(repo)) {
    if (name === own) continue;
    if (isStale(info, opts)) {
      repo.logger.info({ lock: name, holder: `${info.hostname}:${info.pid}` }, 'removing a stale lock');
      await dropLock(repo, name);
      continue;
    }
    if (opts.exclusive || info.exclusive) {
      throw new HoldfastError(
        'REPO_LOCKED',
        `repository ${repo.storage.location} is locked ${info.exclusive ? 'exclusively' : ''} by pid ${info.pid} on ${info.hostname} since ${info.time} (lock ${name.slice(0, 8)}); wait, or remove it with 'holdfast unlock' if that process is gone`.replace('  ', ' '),
      );
    }
  }
}

/** Every lock that can be read; unreadable lock objects are stale by definition. */
export async function readLocks(repo: Repository): Promise<Array<{ name: Id; info: LockInfo }>> {
  const out: Array<{ name: Id; info: LockInfo }> = [];
  for await (const obj of repo.storage.list('locks')) {
    try {
      const json = parseJson(await repo.loadObject('locks', obj.name), `lock ${obj.name}`);
      out.push({ name: obj.name, info: readLockInfo(json, obj.name) });
    } catch (err) {
      if (!isHoldfastError(err, 'OBJECT_NOT_FOUND')) repo.logger.warn({ lock: obj.name, err }, 'ignoring an unreadable lock');
    }
  }
  return out;
}

function isStale(info: LockInfo, opts: LockOptions): boolean {
  const age = opts.clock.now().getTime() - Date.parse(info.time);
  if (age > (opts.staleAfterMs ?? STALE_AFTER_MS)) return true;
  return info.hostname === hostname() && !processAlive(info.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return sysCode(err) === 'EPERM';
  }
}

/** Removes every lock (or only stale ones), for `holdfast unlock`. */
export async function removeLocks(repo: Repository, opts: { all: boolean; clock: Clock }): Promise<number> {
  let removed = 0;
  for (const { name, info } of await readLocks(repo)) {
    if (opts.all || isStale(info, { exclusive: false, clock: opts.clock })) {
      await repo.storage.delete({ type: 'locks', name });
      removed++;
    }
  }
  return removed;
}
