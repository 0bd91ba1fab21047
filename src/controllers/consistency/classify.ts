/**
 * Database clients' error text → a clear error code (DATABASE_AUTH, DATABASE_UNREACHABLE),
 * chosen by the recipe's `engine`, with the same patterns the CLI's built-in recipes use.
 * Patterns match the client's stderr (foreign text), never Holdfast's own messages.
 */
import type { HoldfastError } from '../../core/errors.ts';
import { classifyBy, type ErrorPattern } from '../../consistency/recipes/recipe.ts';

const POSTGRES: readonly ErrorPattern[] = [
  { pattern: /password authentication failed|no password supplied|authentication failed|role ".*" does not exist/i, code: 'DATABASE_AUTH' },
  { pattern: /connection refused|could not connect|timeout expired|could not translate host name|no route to host|database ".*" does not exist|server closed the connection/i, code: 'DATABASE_UNREACHABLE' },
];
const MARIADB: readonly ErrorPattern[] = [
  { pattern: /access denied/i, code: 'DATABASE_AUTH' },
  { pattern: /can't connect|lost connection|unknown mysql server host|unknown database|connection refused|gone away/i, code: 'DATABASE_UNREACHABLE' },
];
const REDIS: readonly ErrorPattern[] = [
  { pattern: /NOAUTH|WRONGPASS|invalid password|invalid username-password/i, code: 'DATABASE_AUTH' },
  { pattern: /could not connect|connection refused|connection reset/i, code: 'DATABASE_UNREACHABLE' },
];
const ETCD: readonly ErrorPattern[] = [
  { pattern: /authentication failed|invalid auth token|permission denied/i, code: 'DATABASE_AUTH' },
  { pattern: /connection refused|context deadline exceeded|no such host/i, code: 'DATABASE_UNREACHABLE' },
];

const BY_ENGINE: Readonly<Record<string, readonly ErrorPattern[]>> = {
  postgres: POSTGRES, postgresql: POSTGRES,
  mysql: MARIADB, mariadb: MARIADB,
  redis: REDIS,
  etcd: ETCD,
};

/** The failure classified by the engine's patterns when it has some; `fallback` keeps other failures' own code when it is undefined. */
export function classifyFailure(engine: string | undefined, display: string, err: unknown, fallback: HoldfastError['code']): HoldfastError {
  return classifyBy(BY_ENGINE[engine?.toLowerCase() ?? ''] ?? [], display, err, fallback);
}
