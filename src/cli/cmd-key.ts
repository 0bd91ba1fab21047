import type { Command } from '@commander-js/extra-typings';
import { addKey, changePassword, listKeys, removeKey } from '../repo/keys.ts';
import { safeUsername } from '../repo/repository.ts';
import { removeLocks } from '../repo/lock/lock.ts';
import type { CliContext } from './context.ts';
import { openRepository, say, writeJson } from './context.ts';
import { table } from './format.ts';
import { promptPassword } from './prompt.ts';
import { readPasswordFile } from '../config/cli-env.ts';

async function newPassword(ctx: CliContext, file: string | undefined): Promise<string> {
  if (file) return readPasswordFile(file);
  return promptPassword('new password: ');
}

export function registerKey(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('manage the passwords (key slots) that open the repository');
  key.command('list').description('list key slots').action(async () => {
    const repo = await openRepository(ctx);
    const keys = await listKeys(repo.storage);
    if (ctx.globals().json) {
      writeJson(ctx, keys.map((k) => ({ ...k, current: k.id === repo.keyId })));
      return;
    }
    say(ctx, table([['', 'ID', 'User', 'Host', 'KDF', 'Created'], ...keys.map((k) => [k.id === repo.keyId ? '*' : '', k.id.slice(0, 8), k.username, k.hostname, k.kdf, k.created])]));
  });
  key.command('add').description('add a password').option('--new-password-file <file>', 'read the new password from a file').action(async (opts) => {
    const repo = await openRepository(ctx);
    const id = await addKey(repo.storage, repo.key, await newPassword(ctx, opts.newPasswordFile), { now: ctx.clock.now(), username: safeUsername(), cost: ctx.env.kdfCost });
    say(ctx, `added key ${id.slice(0, 8)}`);
  });
  key.command('remove').description('remove a key slot').argument('<id>', 'key id or prefix').action(async (id) => {
    const repo = await openRepository(ctx);
    await removeKey(repo.storage, id, repo.keyId);
    say(ctx, `removed key ${id}`);
  });
  key.command('passwd').description('change the password of the key in use').option('--new-password-file <file>', 'read the new password from a file').action(async (opts) => {
    const repo = await openRepository(ctx);
    const id = await changePassword(repo.storage, repo.key, repo.keyId, await newPassword(ctx, opts.newPasswordFile), { now: ctx.clock.now(), username: safeUsername(), cost: ctx.env.kdfCost });
    say(ctx, `password changed (key ${id.slice(0, 8)} replaces ${repo.keyId.slice(0, 8)})`);
  });

  program.command('unlock').description('remove stale locks (--remove-all: every lock)').option('--remove-all', 'remove all locks, even live ones').action(async (opts) => {
    const repo = await openRepository(ctx);
    const n = await removeLocks(repo, { all: opts.removeAll === true, clock: ctx.clock });
    say(ctx, `removed ${n} lock(s)`);
  });
}
