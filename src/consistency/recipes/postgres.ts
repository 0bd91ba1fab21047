/**
 * PostgreSQL: `pg_dump` in custom format (uncompressed, so the repository's
 * deduplication sees unchanged rows as unchanged bytes and its zstd compresses them) or
 * plain SQL, streamed; `pg_dumpall --globals-only` (roles, tablespaces) as a side
 * stream; load with `pg_restore` or `psql` into a new or existing database; physical
 * quiesce with `pg_backup_start` / `pg_backup_stop` in a held session (PostgreSQL 15+).
 * Connection settings and the password reach the clients through PG* variables.
 */
import type { LocalCommandSpec } from '../executors/local-command.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import { HeldSessionFreeze, READY_MARK } from '../freeze/held-session.ts';
import type { DatabaseRecipe, DumpPlan, ErrorPattern, LoadOptions, LoadPlan } from './recipe.ts';
import { classifyBy, RecipeBase } from './recipe.ts';
import type { DatabaseTarget } from './target.ts';

export const POSTGRES_ERRORS: readonly ErrorPattern[] = [
  { pattern: /password authentication failed|no password supplied|authentication failed|role ".*" does not exist/i, code: 'DATABASE_AUTH' },
  { pattern: /connection refused|could not connect|timeout expired|could not translate host name|no route to host|database ".*" does not exist|server closed the connection/i, code: 'DATABASE_UNREACHABLE' },
];

function pgEnv(t: DatabaseTarget, database = t.database): Record<string, string> {
  return {
    PGHOST: t.host, PGPORT: String(t.port), PGDATABASE: database || 'postgres',
    PGCONNECT_TIMEOUT: t.params.connect_timeout ?? '10', PGAPPNAME: 'holdfast',
    ...(t.user ? { PGUSER: t.user } : {}),
    ...(t.password !== undefined ? { PGPASSWORD: t.password } : {}),
    ...(t.params.sslmode ? { PGSSLMODE: t.params.sslmode } : {}),
  };
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export class PostgresRecipe extends RecipeBase implements DatabaseRecipe {
  readonly engine = 'postgres';
  protected readonly patterns = POSTGRES_ERRORS;

  #cmd(spec: LocalCommandSpec): LocalCommandExecutor {
    return new LocalCommandExecutor(spec, this.env);
  }

  #psql(sql: string, database?: string, timeoutMs = 60_000): LocalCommandExecutor {
    return this.#cmd({ argv: ['psql', '-XAtq', '--no-password', '-v', 'ON_ERROR_STOP=1', '-c', sql], env: pgEnv(this.target, database), timeoutMs, what: `psql on ${this.display}` });
  }

  check(): LocalCommandExecutor {
    return this.#psql('SELECT 1', undefined, 30_000);
  }

  dump(): DumpPlan {
    const plain = this.target.params.format === 'plain';
    const db = this.target.database || 'postgres';
    const argv = plain ? ['pg_dump', '--no-password', '-Fp'] : ['pg_dump', '--no-password', '-Fc', '-Z0'];
    return {
      format: plain ? 'pg-plain' : 'pg-custom',
      hooks: [],
      main: { filename: `${db}.${plain ? 'sql' : 'pgdump'}`, executor: this.#cmd({ argv, env: pgEnv(this.target), what: `pg_dump of ${this.display}` }) },
      extras: [{
        filename: 'globals.sql', optional: true,
        executor: this.#cmd({ argv: ['pg_dumpall', '--no-password', '--globals-only'], env: pgEnv(this.target), what: `pg_dumpall --globals-only of ${this.display}`, timeoutMs: 120_000 }),
      }],
    };
  }

  load(format: string, opts: LoadOptions): LoadPlan {
    const db = this.target.database || 'postgres';
    const drop = opts.drop ? `SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', ${quoteLiteral(db)}) \\gexec\n` : '';
    const create = `SELECT format('CREATE DATABASE %I', ${quoteLiteral(db)}) WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = ${quoteLiteral(db)}) \\gexec\n`;
    const prepare = this.#cmd({
      argv: ['psql', '-XAtq', '--no-password', '-v', 'ON_ERROR_STOP=1'], input: drop + create,
      env: pgEnv(this.target, 'postgres'), timeoutMs: 120_000, what: `psql on ${this.target.host}:${this.target.port}/postgres`,
    });
    const argv = format === 'pg-plain'
      ? ['psql', '-XAtq', '--no-password', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', '-']
      : ['pg_restore', '--no-password', '--exit-on-error', '--single-transaction', '-d', db];
    return { before: [prepare], load: this.#cmd({ argv, env: pgEnv(this.target), what: `${argv[0]} into ${this.display}` }), after: [] };
  }

  freeze(): HeldSessionFreeze {
    const env = pgEnv(this.target);
    return new HeldSessionFreeze({
      what: `pg_backup_start on ${this.display}`,
      client: { argv: ['psql', '-XAtq', '--no-password', '-v', 'ON_ERROR_STOP=0'], env, what: `psql session on ${this.display}` },
      script: (timeoutS) => [
        "SET client_connection_check_interval = '1s';",
        "SELECT pg_backup_start('holdfast', true);",
        `SELECT '${READY_MARK} ' || pg_backend_pid();`,
        `SELECT pg_sleep(${timeoutS});`,
        'SELECT labelfile FROM pg_backup_stop(false);',
        '',
      ].join('\n'),
      cancel: (pid) => ({ argv: ['psql', '-XAtq', '--no-password', '-v', 'ON_ERROR_STOP=1', '-c', `SELECT pg_cancel_backend(${Number(pid)})`], env }),
      classify: (err) => classifyBy(POSTGRES_ERRORS, this.display, err, 'FREEZE_FAILED'),
    }, this.env);
  }

}
