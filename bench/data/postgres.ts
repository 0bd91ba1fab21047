/**
 * A throw-away PostgreSQL cluster for the dump datasets: initdb into a temp dir, a
 * server on 127.0.0.1 on a free port with its unix socket in that dir, durability
 * switched off (the data is regenerated each bench). As root, the server side runs
 * as the `postgres` user (initdb refuses root); the temp dir sits in os.tmpdir()
 * because $HOME (/root) is not reachable for that user.
 */
import { appendFile, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isRoot } from '../host.ts';
import { run } from '../proc.ts';

const SERVER_SETTINGS = [
  "listen_addresses = '127.0.0.1'",
  'fsync = off',
  'synchronous_commit = off',
  'full_page_writes = off',
  'shared_buffers = 256MB',
  'max_wal_size = 8GB',
  'checkpoint_timeout = 30min',
  'autovacuum = off',
];

export interface PgCluster {
  readonly version: string;
  /** argv of `pg_dump -Fp` of one database (plain SQL on stdout). */
  dumpArgv(db: string): string[];
  psql(db: string, sql: string): Promise<string>;
  pgbench(db: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startCluster(binDir: string): Promise<PgCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-bench-pg-'));
  const asServer = isRoot ? ['runuser', '-u', 'postgres', '--'] : [];
  if (isRoot) await run({ argv: ['chown', 'postgres:postgres', dir] });
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  const bin = (name: string): string => join(binDir, name);
  await run({ argv: [...asServer, bin('initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'] });
  const settings = [...SERVER_SETTINGS, `port = ${port}`, `unix_socket_directories = '${dir}'`];
  await appendFile(join(data, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
  await run({ argv: [...asServer, bin('pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', 'start'] });
  const conn = ['-h', dir, '-p', String(port), '-U', 'postgres'];
  const version = (await run({ argv: [bin('postgres'), '--version'] })).trim();
  return {
    version,
    dumpArgv: (db) => [bin('pg_dump'), '-Fp', ...conn, db],
    psql: (db, sql) => run({ argv: [bin('psql'), ...conn, '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtX', '-c', sql] }),
    pgbench: (db, args) => run({ argv: [bin('pgbench'), ...conn, ...args, db] }),
    stop: async () => {
      await run({ argv: [...asServer, bin('pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop'], cleanup: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
