/**
 * A separate process that runs prune and kills itself with SIGKILL when prune reaches a
 * step (prune's `onStep` hook), for crash tests.
 * Usage: node prune-until-killed.ts <repository> <password> <step>
 * Prints `finished` if prune completes without reaching the step.
 */
import { systemClock } from '#src/core/clock.ts';
import { FsStorage } from '#src/backend/fs/fs-storage.ts';
import { prune } from '#src/repo/maintenance/prune.ts';
import { Repository } from '#src/repo/repository.ts';

const [repository, password, killAt] = process.argv.slice(2);
if (!repository || password === undefined || !killAt) throw new Error('usage: prune-until-killed.ts <repository> <password> <step>');
const repo = await Repository.open(new FsStorage(repository), { password });
await prune(repo, {
  clock: systemClock,
  onStep: (step) => {
    if (step === killAt) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write('finished\n');
