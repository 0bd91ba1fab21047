/**
 * A database named by URL — `postgres://user:pw@host:port/db`, `mysql://…` or
 * `mariadb://…`, `redis://:pw@host:port`, `etcd://[user:pw@]host:port`. The password is
 * kept apart so messages and snapshot labels never carry it. An etcd snapshot is not
 * loaded into a server but restored into a new data dir: `etcd-data-dir:/path[?name=…]`
 * names one (its path in `params['data-dir']`).
 */
import { resolve } from 'node:path';
import { HoldfastError } from '../../core/errors.ts';

export type Engine = 'postgres' | 'mariadb' | 'redis' | 'etcd';

const SCHEMES: Readonly<Record<string, Engine>> = {
  'postgres:': 'postgres', 'postgresql:': 'postgres',
  'mysql:': 'mariadb', 'mariadb:': 'mariadb',
  'redis:': 'redis',
  'etcd:': 'etcd',
};

const DEFAULT_PORTS: Readonly<Record<Engine, number>> = { postgres: 5432, mariadb: 3306, redis: 6379, etcd: 2379 };

export interface DatabaseTarget {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** The database name ('' when the URL names none). */
  readonly database: string;
  readonly params: Readonly<Record<string, string>>;
  /** `engine host:port/database`, without credentials. */
  readonly display: string;
}

/** True when `arg` starts with a database URL scheme holdfast knows. */
export function isDatabaseUrl(arg: string): boolean {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(arg);
  return m?.[1] !== undefined && m[1].toLowerCase() in SCHEMES;
}

export const ETCD_DATA_DIR = 'etcd-data-dir:';

function parseEtcdDataDir(raw: string): DatabaseTarget {
  const [path = '', query = ''] = raw.slice(ETCD_DATA_DIR.length).split('?', 2);
  if (path === '') throw new HoldfastError('USAGE', `${ETCD_DATA_DIR} needs a path: ${ETCD_DATA_DIR}/var/lib/etcd-restored`);
  const dir = resolve(decodeURIComponent(path));
  const params: Record<string, string> = { 'data-dir': dir };
  for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  return { engine: 'etcd', host: '', port: 0, user: undefined, password: undefined, database: '', params, display: `etcd data dir ${dir}` };
}

export function parseDatabaseUrl(raw: string): DatabaseTarget {
  if (raw.startsWith(ETCD_DATA_DIR)) return parseEtcdDataDir(raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HoldfastError('USAGE', `'${raw.replace(/\/\/[^@/]*@/, '//***@')}' is not a valid database URL`);
  }
  const engine = SCHEMES[url.protocol.toLowerCase()];
  if (!engine) throw new HoldfastError('USAGE', `unknown database scheme '${url.protocol}' (known: postgres, mysql, mariadb, redis, etcd; etcd-data-dir:/path for an etcd restore)`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[engine];
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  return {
    engine, host, port, database, params,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    display: `${engine} ${host}:${port}${database ? `/${database}` : ''}`,
  };
}

/** The same target with another database name (restore into a new database). */
export function withDatabase(t: DatabaseTarget, database: string): DatabaseTarget {
  return { ...t, database, display: `${t.engine} ${t.host}:${t.port}${database ? `/${database}` : ''}` };
}
