/**
 * The pg-stream database: a PostgreSQL 15 server started by the test harness
 * (test/helpers/databases/postgres.ts — TCP with password authentication, as a user's
 * server would be), a base database in pgbench's schema (md5 filler) once per bench, a
 * fresh `CREATE DATABASE … TEMPLATE` copy per run, and the two 1% changes.
 */
import { startPostgres, PG_PASSWORD, type PgServer } from '../../test/helpers/databases/postgres.ts';
import { drain, run } from '../proc.ts';
import type { DatabaseSource } from '../tools/tool.ts';

/**
 * pgbench's schema at scale 20: 2,000,000 accounts, a ~330 MB database, a ~200 MB dump.
 * The accounts' `filler` holds md5 text instead of pgbench's blanks: blank filler
 * compresses ~80× and would hide the bytes a change really costs.
 */
export const PG_STREAM_SCALE = 20;
const ROWS = PG_STREAM_SCALE * 100_000;
const BASE_DB = 'pgstream_base';
const RUN_DB = 'pgstream_run';

/**
 * Holdfast's PostgreSQL recipe dumps in custom format without compression
 * (src/consistency/recipes/postgres.ts); restic is given the very same stream.
 */
const DUMP_ARGV = ['pg_dump', '--no-password', '-Fc', '-Z0'];

const FILL = `
INSERT INTO pgbench_branches (bid, bbalance) SELECT g, 0 FROM generate_series(1, ${PG_STREAM_SCALE}) g;
INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT g, (g - 1) / 10 + 1, 0 FROM generate_series(1, ${PG_STREAM_SCALE * 10}) g;
INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
  SELECT g, (g - 1) / 100000 + 1, 0, md5(g::text) || md5((g + 1)::text) || left(md5((g + 2)::text), 20)
  FROM generate_series(1, ${ROWS}) g;`;

const SETTINGS = ['shared_buffers = 256MB', 'max_wal_size = 4GB', 'checkpoint_timeout = 30min', 'autovacuum = off', 'full_page_writes = off'];

export interface PgChange {
  readonly label: string;
  readonly sql: string;
}

/** ~1% of the accounts, spread over every page: each updated row moves to the table's end. */
export const SCATTERED: PgChange = {
  label: `UPDATE of 1% of pgbench_accounts spread over the table (aid % 100 = 0, ${(ROWS / 100).toLocaleString('en')} rows)`,
  sql: 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0',
};

/** ~1% of the accounts in one contiguous key range. */
export const CLUSTERED: PgChange = {
  label: `UPDATE of 1% of pgbench_accounts in one range (aid ${ROWS / 2 + 1}–${ROWS / 2 + ROWS / 100})`,
  sql: `UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN ${ROWS / 2 + 1} AND ${ROWS / 2 + ROWS / 100}`,
};

export interface PgStreamDatabase {
  readonly version: string;
  /** A fresh copy of the base database; resolves with its name. */
  freshRun(): Promise<string>;
  apply(db: string, change: PgChange): Promise<void>;
  /** Bytes of the dump now (and the page cache warm for the timed backups). */
  dumpBytes(db: string): Promise<number>;
  source(db: string): DatabaseSource;
  drop(db: string): Promise<void>;
  stop(): Promise<void>;
}

function pgEnv(pg: PgServer, db: string): Record<string, string> {
  return { PGHOST: '127.0.0.1', PGPORT: String(pg.port), PGUSER: 'postgres', PGPASSWORD: PG_PASSWORD, PGDATABASE: db };
}

/** Starts the server and builds the base database. */
export async function startPgStreamDatabase(): Promise<PgStreamDatabase> {
  const pg = await startPostgres({ settings: SETTINGS, prefix: 'holdfast-bench-pgstream-' });
  try {
    await pg.psql('postgres', `CREATE DATABASE ${BASE_DB}`);
    await run({ argv: [`${pg.binDir}/pgbench`, ...pg.conn, '-i', '-q', '-I', 'dt', '-s', String(PG_STREAM_SCALE), BASE_DB] });
    await pg.psql(BASE_DB, FILL);
    await run({ argv: [`${pg.binDir}/pgbench`, ...pg.conn, '-i', '-q', '-I', 'vp', '-s', String(PG_STREAM_SCALE), BASE_DB] });
  } catch (err) {
    await pg.stop();
    throw err;
  }
  return {
    version: pg.version,
    async freshRun() {
      await pg.psql('postgres', `DROP DATABASE IF EXISTS ${RUN_DB}`);
      await pg.psql('postgres', `CREATE DATABASE ${RUN_DB} TEMPLATE ${BASE_DB}`);
      return RUN_DB;
    },
    apply: async (db, change) => void (await pg.psql(db, change.sql)),
    dumpBytes: (db) => drain(DUMP_ARGV, { env: pgEnv(pg, db) }),
    source: (db) => ({ url: pg.url(db), dump: DUMP_ARGV, env: pgEnv(pg, db), filename: `${db}.pgdump` }),
    drop: async (db) => void (await pg.psql('postgres', `DROP DATABASE IF EXISTS ${db}`)),
    stop: () => pg.stop(),
  };
}
