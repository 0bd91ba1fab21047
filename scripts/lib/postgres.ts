/**
 * A throwaway PostgreSQL server for the demo and the benchmarks: initdb into a folder,
 * listen on 127.0.0.1 at a free port with the socket in that folder, stop on request.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { freePort } from './host.ts';
import { join } from 'node:path';

export { freePort };

export interface Postgres {
  readonly port: number;
  readonly database: string;
  bin(name: string): string;
  args(extra: string[], database?: string): string[];
  sql(statement: string, database?: string): string;
  stop(): void;
}

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(base, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  if (!dir) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  return dir;
}


function must(cmd: string, args: string[], what: string, user?: string): string {
  const argv = user ? ['runuser', '-u', user, '--', cmd, ...args] : [cmd, ...args];
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function startPostgres(dir: string, database = 'demo'): Promise<Postgres> {
  const bin = pgBinDir();
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : undefined;
  must('mkdir', ['-p', dir], 'mkdir');
  if (asRoot) must('chown', ['postgres:postgres', dir], 'chown');
  must(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], 'initdb', user);
  must(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-w', '-l', join(dir, 'log'), '-o', `-k ${dir} -h 127.0.0.1 -p ${port} -c fsync=off`, 'start'], 'pg_ctl start', user);
  const args = (extra: string[], db = database): string[] => ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...extra, db];
  const pg: Postgres = {
    port,
    database,
    bin: (name) => join(bin, name),
    args,
    sql: (statement, db = database) => must(join(bin, 'psql'), [...args(['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-c', statement], db)], `psql ${statement.slice(0, 40)}`).trim(),
    stop: () => {
      const stop = [join(bin, 'pg_ctl'), '-D', join(dir, 'data'), '-m', 'fast', 'stop'];
      const argv = user ? ['runuser', '-u', user, '--', ...stop] : stop;
      spawnSync(argv[0] as string, argv.slice(1));
    },
  };
  must(join(bin, 'createdb'), args([], database).slice(0, -1).concat(database), 'createdb');
  return pg;
}
