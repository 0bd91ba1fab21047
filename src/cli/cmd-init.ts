import type { Command } from '@commander-js/extra-typings';
import { HoldfastError } from '../core/errors.ts';
import { Repository } from '../repo/repository.ts';
import type { ObjectLockSettings } from '../backend/s3/s3-storage.ts';
import type { CliContext } from './context.ts';
import { openSourceRepository, password, say, storageFor, writeJson } from './context.ts';

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create a new repository')
    .option('--compression <level>', 'zstd level (0 = off)', '3')
    .option('--object-lock <mode:days>', 'S3 only: retain every object for N days (governance:30 or compliance:30); the bucket must have object lock')
    .option('--copy-params-from <repo>', 'share the id key and chunker of this repository, so copies between the two store only new data')
    .option('--from-password-file <file>', 'password of the --copy-params-from repository (default $HOLDFAST_FROM_PASSWORD_FILE, $HOLDFAST_FROM_PASSWORD)')
    .action(async (opts) => {
      const from = opts.copyParamsFrom === undefined ? undefined : await openSourceRepository(ctx, opts.copyParamsFrom, opts.fromPasswordFile);
      const storage = storageFor(ctx, undefined, opts.objectLock === undefined ? undefined : parseObjectLock(opts.objectLock));
      const level = Number(opts.compression);
      if (!Number.isInteger(level) || level < 0 || level > 19) {
        throw new HoldfastError('USAGE', `--compression takes a zstd level from 0 (off) to 19, not '${opts.compression}'`);
      }
      const repo = await Repository.init(storage, {
        password: await password(ctx, 'new repository password: '),
        now: ctx.clock.now(),
        kdfCost: ctx.env.kdfCost,
        compression: level === 0 ? { algorithm: 'none', level: 0 } : { algorithm: 'zstd', level },
        logger: ctx.logger,
        ...(from ? { copyParamsFrom: from } : {}),
      });
      if (ctx.globals().json) writeJson(ctx, { message_type: 'initialized', id: repo.config.id, repository: storage.location });
      else say(ctx, `created holdfast repository ${repo.config.id.slice(0, 10)} at ${storage.location}`);
    });
}

function parseObjectLock(value: string): ObjectLockSettings {
  const m = /^(governance|compliance):(\d{1,5})d?$/i.exec(value);
  const days = Number(m?.[2]);
  if (!m || days < 1) throw new HoldfastError('USAGE', `--object-lock takes governance:DAYS or compliance:DAYS (e.g. governance:30), not '${value}'`);
  return { mode: m[1]?.toUpperCase() === 'COMPLIANCE' ? 'COMPLIANCE' : 'GOVERNANCE', days };
}
