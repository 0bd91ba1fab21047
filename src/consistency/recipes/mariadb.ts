/**
 * MySQL / MariaDB: `mariadb-dump --single-transaction` (one consistent InnoDB read
 * view, no locks held) streamed as SQL; load with the `mariadb` client into a new or
 * existing database; native freeze with FLUSH TABLES WITH READ LOCK held in a session
 * that sleeps for the timeout and then unlocks (see freeze/held-session.ts). The
 * password reaches the clients through MYSQL_PWD, never the command line.
 */
import type { LocalCommandSpec } from '../executors/local-command.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import { HeldSessionFreeze, READY_MARK } from '../freeze/held-session.ts';
import type { DatabaseRecipe, DumpPlan, ErrorPattern, LoadOptions, LoadPlan } from './recipe.ts';
import { classifyBy, RecipeBase } from './recipe.ts';

export const MARIADB_ERRORS: readonly ErrorPattern[] = [
  { pattern: /access denied/i, code: 'DATABASE_AUTH' },
  { pattern: /can't connect|lost connection|unknown mysql server host|unknown database|connection refused|gone away/i, code: 'DATABASE_UNREACHABLE' },
];

function quoteIdent(s: string): string {
  return `\`${s.replace(/`/g, '``')}\``;
}

export class MariadbRecipe extends RecipeBase implements DatabaseRecipe {
  readonly engine = 'mariadb';
  protected readonly patterns = MARIADB_ERRORS;

  /** Connection options; mariadb-dump has no connect timeout option, the client does. */
  #conn(client = true): string[] {
    const t = this.target;
    const timeout = client ? [`--connect-timeout=${t.params.connect_timeout ?? '10'}`] : [];
    return [`--host=${t.host}`, `--port=${t.port}`, '--protocol=TCP', ...timeout, ...(t.user ? [`--user=${t.user}`] : [])];
  }

  #cmd(spec: Omit<LocalCommandSpec, 'env'>): LocalCommandExecutor {
    return new LocalCommandExecutor({ ...spec, env: this.#pwd() }, this.env);
  }

  #client(extra: readonly string[], what: string, timeoutMs = 60_000): LocalCommandExecutor {
    return this.#cmd({ argv: ['mariadb', '--no-defaults', ...this.#conn(), '--batch', '--skip-column-names', ...extra], what, timeoutMs });
  }

  check(): LocalCommandExecutor {
    return this.#client(['-e', 'SELECT 1', ...(this.target.database ? [this.target.database] : [])], `mariadb on ${this.display}`, 30_000);
  }

  dump(): DumpPlan {
    const db = this.target.database;
    const argv = ['mariadb-dump', '--no-defaults', ...this.#conn(false), '--single-transaction', '--quick', '--routines', '--events', '--triggers', '--hex-blob', '--skip-dump-date', db];
    return {
      format: 'sql', hooks: [], extras: [],
      main: { filename: `${db}.sql`, executor: this.#cmd({ argv, what: `mariadb-dump of ${this.display}` }) },
    };
  }

  load(_format: string, opts: LoadOptions): LoadPlan {
    const db = quoteIdent(this.target.database);
    const sql = `${opts.drop ? `DROP DATABASE IF EXISTS ${db}; ` : ''}CREATE DATABASE IF NOT EXISTS ${db}`;
    return {
      before: [this.#client(['-e', sql], `mariadb on ${this.target.host}:${this.target.port}`)],
      load: this.#cmd({ argv: ['mariadb', '--no-defaults', ...this.#conn(), '--batch', this.target.database], what: `mariadb load into ${this.display}` }),
      after: [],
    };
  }

  freeze(): HeldSessionFreeze {
    return new HeldSessionFreeze({
      what: `FLUSH TABLES WITH READ LOCK on ${this.display}`,
      client: { argv: ['mariadb', '--no-defaults', ...this.#conn(), '--batch', '--skip-column-names', '--unbuffered', '--force'], env: this.#pwd(), what: `mariadb session on ${this.display}` },
      script: (timeoutS) => [
        'FLUSH TABLES WITH READ LOCK;',
        `SELECT CONCAT('${READY_MARK} ', CONNECTION_ID());`,
        `SELECT SLEEP(${timeoutS});`,
        'UNLOCK TABLES;',
        '',
      ].join('\n'),
      cancel: (id) => ({ argv: ['mariadb', '--no-defaults', ...this.#conn(), '-e', `KILL QUERY ${Number(id)}`], env: this.#pwd() }),
      classify: (err) => classifyBy(MARIADB_ERRORS, this.display, err, 'FREEZE_FAILED'),
    }, this.env);
  }

  #pwd(): Record<string, string> {
    return this.target.password !== undefined ? { MYSQL_PWD: this.target.password } : {};
  }

}
