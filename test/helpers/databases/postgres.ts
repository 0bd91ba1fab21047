/**
 * A throwaway PostgreSQL server, shared by the database tests and the bench: initdb
 * into a temp dir under os.tmpdir(), a server on 127.0.0.1 on a free port with its unix
 * socket in that dir. As root the server side runs as the `postgres` user (initdb
 * refuses root; $HOME is not reachable for it, hence os.tmpdir()). Local (socket)
 * connections are trusted; TCP connections need a password (scram), so tests can try
 * a wrong one. The superuser `postgres` has the password `PG_PASSWORD`.
 */
import { appendFile, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isRoot, run } from './process.ts';

export const PG_PASSWORD = 'pg-test-secret';
export const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PgServer {
  readonly dir: string;
  readonly port: number;
  readonly version: string;
  readonly binDir: string;
  /** `-h socketdir -p port -U postgres` for the client tools (trusted socket). */
  readonly conn: readonly string[];
  /** A TCP URL (password auth) for holdfast. */
  url(db: string, password?: string): string;
  psql(db: string, sql: string): Promise<string>;
  stop(): Promise<void>;
}

export interface PgServerOptions {
  readonly binDir?: string;
  /** Extra postgresql.conf lines. */
  readonly settings?: readonly string[];
  readonly prefix?: string;
}

export async function startPostgres(opts: PgServerOptions = {}): Promise<PgServer> {
  const binDir = opts.binDir ?? PG_BIN_DIR;
  const dir = await mkdtemp(join(tmpdir(), opts.prefix ?? 'holdfast-test-pg-'));
  const asServer = isRoot ? ['runuser', '-u', 'postgres', '--'] : [];
  if (isRoot) await run(['chown', 'postgres:postgres', dir]);
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  const bin = (name: string): string => join(binDir, name);
  await run([...asServer, bin('initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const settings = ["listen_addresses = '127.0.0.1'", 'fsync = off', 'synchronous_commit = off', ...(opts.settings ?? []), `port = ${port}`, `unix_socket_directories = '${dir}'`];
  await appendFile(join(data, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
  await run([...asServer, bin('pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', 'start']);
  const conn = ['-h', dir, '-p', String(port), '-U', 'postgres'];
  const psql = (db: string, sql: string): Promise<string> => run([bin('psql'), ...conn, '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtX', '-c', sql]);
  await psql('postgres', `ALTER ROLE postgres PASSWORD '${PG_PASSWORD}'`);
  const version = (await run([bin('postgres'), '--version'])).trim();
  return {
    dir, port, version, binDir, conn, psql,
    url: (db, password = PG_PASSWORD) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`,
    stop: async () => {
      await run([...asServer, bin('pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
