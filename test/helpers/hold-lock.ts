/**
 * A separate process that holds a repository lock until it gets SIGTERM, for lock tests.
 * Usage: node hold-lock.ts <repository> <password> exclusive|shared
 * Prints `locked <pid>` once the lock is held.
 */
import { systemClock } from '#src/core/clock.ts';
import { FsStorage } from '#src/backend/fs/fs-storage.ts';
import { acquireLock } from '#src/repo/lock/lock.ts';
import { Repository } from '#src/repo/repository.ts';

const [repository, password, mode] = process.argv.slice(2);
if (!repository || password === undefined || (mode !== 'exclusive' && mode !== 'shared')) {
  throw new Error('usage: hold-lock.ts <repository> <password> exclusive|shared');
}
const repo = await Repository.open(new FsStorage(repository), { password });
const lock = await acquireLock(repo, { exclusive: mode === 'exclusive', clock: systemClock });
const keepAlive = setInterval(() => {}, 60_000);
process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  void lock.release().then(() => process.exit(0));
});
process.stdout.write(`locked ${process.pid}\n`);
