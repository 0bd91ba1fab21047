import type { Command } from '@commander-js/extra-typings';
import { listSnapshots } from '../repo/snapshot/snapshot-store.ts';
import type { CliContext } from './context.ts';
import { openRepository, say, writeJson } from './context.ts';
import { withSharedLock } from './repo-lock.ts';
import { formatBytes, table } from './format.ts';
import { parseLabels } from './labels.ts';
import { collect } from './option-values.ts';

export function registerSnapshots(program: Command, ctx: CliContext): void {
  program
    .command('snapshots')
    .description('list snapshots')
    .option('--host <name>', 'only snapshots from this host')
    .option('--tag <tag>', 'only snapshots with this tag (repeatable)', collect, [] as string[])
    .option('--label <key=value>', 'only snapshots with this label (repeatable)', collect, [] as string[])
    .action(async (opts) => {
      const repo = await openRepository(ctx);
      const snaps = await withSharedLock(ctx, repo, () => listSnapshots(repo, {
        ...(opts.host ? { hostname: opts.host } : {}),
        ...(opts.tag.length ? { tags: opts.tag } : {}),
        ...(opts.label.length ? { labels: parseLabels(opts.label) } : {}),
      }));
      if (ctx.globals().json) {
        writeJson(ctx, snaps);
        return;
      }
      const rows = [['ID', 'Time', 'Host', 'Kind', 'Tags', 'Size', 'Paths']];
      for (const s of snaps) {
        const tags = [...s.tags, ...Object.entries(s.labels).map(([k, v]) => `${k}=${v}`)].join(',');
        rows.push([s.id.slice(0, 8), s.time.replace('T', ' ').slice(0, 19), s.hostname, s.kind, tags, formatBytes(s.summary.bytesTotal), s.paths.join(' ')]);
      }
      say(ctx, table(rows));
      say(ctx, `${snaps.length} snapshot(s)`);
    });
}
