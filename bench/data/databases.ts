/**
 * The two database datasets, as strategies over one PostgreSQL cluster. Each builds a
 * base database once per bench; every run works on a fresh `CREATE DATABASE … TEMPLATE`
 * copy, so each run dumps, changes and re-dumps the same starting state.
 */
import type { PgCluster } from './postgres.ts';

export interface DumpDataset {
  readonly name: 'pgdump' | 'random';
  readonly description: string;
  readonly change: string;
  readonly baseDb: string;
  createBase(pg: PgCluster): Promise<void>;
  /** Applies the incremental change to a run copy of the base database. */
  mutate(pg: PgCluster, db: string): Promise<void>;
}

export const pgbenchDataset: DumpDataset = {
  name: 'pgdump',
  description: 'pg_dump -Fp of `pgbench -i -s 50`',
  change: '20,000 pgbench transactions (pgbench -n -c 1 -t 20000)',
  baseDb: 'pgbench_base',
  async createBase(pg) {
    await pg.psql('postgres', 'CREATE DATABASE pgbench_base');
    await pg.pgbench('pgbench_base', ['-i', '-q', '-s', '50']);
  },
  async mutate(pg, db) {
    await pg.pgbench(db, ['-n', '-c', '1', '-t', '20000']);
  },
};

const NOISE_ROWS = 1_300_000;

const CREATE_NOISE = `
SELECT setseed(0.4242);
CREATE TABLE noise (
  id bigint PRIMARY KEY, label text NOT NULL, payload jsonb NOT NULL,
  amount numeric(14,4) NOT NULL, score double precision NOT NULL, created timestamptz NOT NULL);
INSERT INTO noise
SELECT g,
  md5(random()::text) || ' ' || md5(random()::text),
  jsonb_build_object('sku', md5(random()::text), 'qty', (random() * 1000)::int,
    'tags', jsonb_build_array(left(md5(random()::text), 8), (random() * 1e6)::int), 'ratio', random()),
  (random() * 1e8)::numeric(14,4),
  random(),
  timestamptz '2020-01-01 00:00:00+00' + random() * interval '1500 days'
FROM generate_series(1, ${NOISE_ROWS}) AS g;`;

export const randomDataset: DumpDataset = {
  name: 'random',
  description: `pg_dump -Fp of ${NOISE_ROWS.toLocaleString('en')} rows of random text/JSON/numeric values`,
  change: 'UPDATE of 1% of the rows (id % 100 = 37)',
  baseDb: 'noise_base',
  async createBase(pg) {
    await pg.psql('postgres', 'CREATE DATABASE noise_base');
    await pg.psql('noise_base', CREATE_NOISE);
    await pg.psql('noise_base', 'VACUUM ANALYZE noise');
  },
  async mutate(pg, db) {
    await pg.psql(db, `SELECT setseed(0.77);
      UPDATE noise SET label = md5(random()::text) || ' ' || md5(random()::text),
        amount = (random() * 1e8)::numeric(14,4) WHERE id % 100 = 37`);
  },
};

/** A fresh copy of the dataset's base database for one run. */
export async function freshRunDatabase(pg: PgCluster, dataset: DumpDataset): Promise<string> {
  const db = `${dataset.baseDb.replace(/_base$/, '')}_run`;
  await pg.psql('postgres', `DROP DATABASE IF EXISTS ${db}`);
  await pg.psql('postgres', `CREATE DATABASE ${db} TEMPLATE ${dataset.baseDb}`);
  return db;
}
