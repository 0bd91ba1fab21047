import type { Command } from '@commander-js/extra-typings';
import { HoldfastError } from '../core/errors.ts';
import { Repository } from '../repo/repository.ts';
import type { CliContext } from './context.ts';
import { password, say, storageFor, writeJson } from './context.ts';

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create a new repository')
    .option('--compression <level>', 'zstd level (0 = off)', '3')
    .action(async (opts) => {
      const storage = storageFor(ctx);
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
      });
      if (ctx.globals().json) writeJson(ctx, { message_type: 'initialized', id: repo.config.id, repository: storage.location });
      else say(ctx, `created holdfast repository ${repo.config.id.slice(0, 10)} at ${storage.location}`);
    });
}
