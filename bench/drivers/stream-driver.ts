/**
 * The database datasets: `pg_dump -Fp` of a per-run copy of a base database, streamed
 * into each tool. Both tools' backup times include pg_dump (restic: `pg_dump | restic
 * backup --stdin` under bash; holdfast: `--stdin-from-command`), and so do their CPU
 * times; "restore" is `dump latest dump.sql > /dev/null`.
 */
import { type DumpDataset, freshRunDatabase } from '../data/databases.ts';
import type { PgCluster } from '../data/postgres.ts';
import { measure } from '../measure.ts';
import { drain } from '../proc.ts';
import type { DatasetDriver, RestoreOutcome } from './driver.ts';

export const DUMP_FILENAME = 'dump.sql';

export function streamDriver(pg: PgCluster, dataset: DumpDataset): DatasetDriver {
  let db = '';
  let before = 0;
  let after = 0;
  const dump = (): string[] => pg.dumpArgv(db);

  return {
    name: dataset.name,
    notes: [
      'backup wall and CPU times include pg_dump for both tools (restic: pg_dump | restic backup --stdin; holdfast: --stdin-from-command).',
      `restore = \`dump latest ${DUMP_FILENAME} > /dev/null\` (byte count verified); MB/s = dump bytes / wall time.`,
      `incremental: ${dataset.change}.`,
    ],
    title: () => `${dataset.description} (${(before / 1e6).toFixed(1)} MB dump, ${(after / 1e6).toFixed(1)} MB after the change)`,
    async prepareRun() {
      db = await freshRunDatabase(pg, dataset);
      before = await drain(dump());
      return before;
    },
    warm: async () => {
      await drain(dump());
    },
    async baselines(ctx, phase) {
      const sample = await measure({ argv: dump(), stdout: 'null' }, ctx);
      return { [`pg_dump alone > /dev/null (${phase} the change)`]: sample };
    },
    backup: (tool, repo) => tool.backupStream(repo, dump(), DUMP_FILENAME),
    async change() {
      await dataset.mutate(pg, db);
      after = await drain(dump());
      return after;
    },
    async restore(tool, repo, ctx): Promise<RestoreOutcome> {
      const cmd = tool.dump(repo, DUMP_FILENAME);
      const sample = await measure(cmd, ctx);
      const bytes = await drain(cmd.argv, { env: cmd.env, timeoutS: ctx.timeoutS });
      return bytes === after ? { sample } : { sample, mismatch: `dump gave ${bytes} bytes, expected ${after}` };
    },
    async finishRun() {
      if (db) await pg.psql('postgres', `DROP DATABASE IF EXISTS ${db}`);
    },
  };
}
