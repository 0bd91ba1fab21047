/**
 * pg-stream: a database dump streamed into the repository by holdfast's PostgreSQL
 * recipe (`holdfast backup postgres://…`) against `pg_dump -Fc -Z0 | restic backup
 * --stdin` of the same database in the same format, then the bytes each tool adds after
 * 1% of the rows changed — once spread over the table, once in one key range.
 */
import type { ToolName } from '../config.ts';
import type { StandaloneScenario } from '../standalone.ts';
import { CLUSTERED, PG_STREAM_SCALE, SCATTERED, type PgStreamDatabase } from './database.ts';
import { renderPgStream, summarizePgStream } from './report.ts';
import { runPgStream, type PgStreamRun } from './run.ts';

const NOTES = [
  'holdfast: `holdfast backup --json postgres://postgres:…@127.0.0.1:PORT/pgstream_run` (its recipe: pg_dump -Fc -Z0 streamed, plus pg_dumpall --globals-only as a side snapshot).',
  'restic: `pg_dump --no-password -Fc -Z0 | restic backup --json --compression auto --stdin` (PG* variables, same TCP connection and password auth).',
  'times, CPU and RSS include pg_dump for both (GNU time: wall, user+sys of the tool and its children, largest single process RSS).',
  'new MB (reported): new blobs before compression — holdfast `bytesNew`, restic `data_added`; stored MB: holdfast `bytesStored` (compressed, encrypted); repo +MB: du -sb growth of the repository (packs, index, snapshot).',
  `% = of the dump's bytes at that step. changes: scattered = ${SCATTERED.label}; clustered = ${CLUSTERED.label}.`,
];

export function pgStreamScenario(db: PgStreamDatabase): StandaloneScenario {
  const runs: PgStreamRun[] = [];
  const title = (): string => {
    const dump = runs[0]?.dumpBytes['first backup'];
    const size = dump === undefined ? '' : `, ${(dump / 1e6).toFixed(1)} MB dump`;
    return `holdfast backup postgres://… vs pg_dump -Fc -Z0 | restic backup --stdin, pgbench schema -s ${PG_STREAM_SCALE} with md5 filler${size} (${db.version})`;
  };
  return {
    name: 'pg-stream',
    async run(tools, ctx, opts) {
      runs.push(await runPgStream(db, tools, ctx, opts));
    },
    render: (tools: ToolName[]) => renderPgStream(summarizePgStream(runs, tools), title(), tools, NOTES),
    json: (tools: ToolName[]) => ({ title: title(), summary: summarizePgStream(runs, tools), runs }),
  };
}
