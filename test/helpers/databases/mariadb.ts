/**
 * A throwaway MariaDB server: `mariadb-install-db` into a temp dir, `mariadbd` on
 * 127.0.0.1 and a free port (run as the `mysql` user when root), root with a password
 * over TCP. Stopped with SIGTERM; the dir is removed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isRoot, run, waitFor } from './process.ts';

export const MARIADB_PASSWORD = 'maria-test-secret';

export interface MariadbServer {
  readonly port: number;
  readonly process: ChildProcess;
  url(db: string, password?: string): string;
  /** Runs SQL as root over TCP; returns tab-separated rows. */
  sql(sql: string, db?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startMariadb(): Promise<MariadbServer> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-test-mariadb-'));
  const user = isRoot ? 'mysql' : (process.env.USER ?? 'root');
  if (isRoot) await run(['chown', 'mysql:mysql', dir]);
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const port = await freePort();
  // A temp folder of its own: servers started side by side (parallel test files) would
  // otherwise collide on their temporary tables' names in /tmp.
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  if (isRoot) await run(['chown', 'mysql:mysql', tmp]);
  await run(['mariadb-install-db', '--no-defaults', `--user=${user}`, `--datadir=${data}`, `--tmpdir=${tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db']);
  const child = spawn('mariadbd', [
    '--no-defaults', `--user=${user}`, `--datadir=${data}`, `--tmpdir=${tmp}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--pid-file=${join(dir, 'mysqld.pid')}`, '--innodb-buffer-pool-size=64M', '--innodb-flush-log-at-trx-commit=0', '--skip-log-bin',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  await waitFor('mariadbd', () => run(['mariadb', '--no-defaults', `--socket=${socket}`, '-uroot', '-e', 'SELECT 1']), 60_000)
    .catch((err: unknown) => { child.kill('SIGKILL'); throw new Error(`${String(err)}\n${log}`); });
  await run(['mariadb', '--no-defaults', `--socket=${socket}`, '-uroot', '-e',
    `ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_PASSWORD}'; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${MARIADB_PASSWORD}'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;`]);
  const sql = (text: string, db?: string): Promise<string> => run(
    ['mariadb', '--no-defaults', '-h127.0.0.1', `-P${port}`, '--protocol=TCP', '-uroot', '--batch', '--skip-column-names', '-e', text, ...(db ? [db] : [])],
    { env: { MYSQL_PWD: MARIADB_PASSWORD } },
  );
  return {
    port, process: child, sql,
    url: (db, password = MARIADB_PASSWORD) => `mariadb://root:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
