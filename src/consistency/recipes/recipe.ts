/**
 * What a recipe knows about one database engine, as plans of executors: how to check
 * that the database answers, how to dump it to a byte stream, how to load such a
 * stream back, how to freeze it, and how to read its clients' error text. A recipe
 * runs nothing itself; the CLI or the operator runs the plans and wires the streams.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { Executor, StreamingExecutor } from '../executors/executor.ts';
import { ActionError } from '../executors/executor.ts';
import type { FreezeStrategy } from '../freeze/freeze.ts';
import type { Hook } from '../hooks.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import type { DatabaseTarget } from './target.ts';

export interface DumpPart {
  /** The stored file name (and the stream's role: `globals.sql` beside the main dump). */
  readonly filename: string;
  readonly executor: StreamingExecutor;
  /** A part whose failure is a warning, not a failed backup. */
  readonly optional?: boolean;
}

export interface DumpPlan {
  /** Stored format, checked again at restore time: `pg-custom`, `pg-plain`, `sql`, `rdb`, `etcd-snapshot`, or a recipe file's own. */
  readonly format: string;
  /** Hooks before the dump (`prepare` phase), e.g. Redis BGSAVE and wait. */
  readonly hooks: readonly Hook[];
  readonly main: DumpPart;
  /** Small side streams captured before the main dump (PostgreSQL globals). */
  readonly extras: readonly DumpPart[];
}

export interface LoadOptions {
  /** Drop and recreate the target database first. */
  readonly drop: boolean;
}

export interface LoadPlan {
  /** Run in order before the load (create or drop+create the database). */
  readonly before: readonly Executor[];
  readonly load: StreamingExecutor;
  /** Run in order after the load (reload the server). */
  readonly after: readonly Executor[];
  /** What the user does next, when the load alone does not finish the job (start etcd on the new data dir). */
  readonly next?: string;
}

export interface DatabaseRecipe {
  /** Engine name recorded in the snapshot's labels. */
  readonly engine: string;
  /** `engine host:port/db`, without credentials. */
  readonly display: string;
  /** A quick query that fails with the client's own error when the database cannot be used. */
  check(): Executor;
  dump(): DumpPlan;
  load(format: string, opts: LoadOptions): LoadPlan;
  /** The engine's native freeze, where it has one. */
  freeze?(): FreezeStrategy;
  /** Turns a client's failure into a clear error: DATABASE_AUTH, DATABASE_UNREACHABLE, or `fallback`. */
  classify(err: unknown, fallback: 'DUMP_FAILED' | 'LOAD_FAILED' | 'ACTION_FAILED'): HoldfastError;
}

export interface ErrorPattern {
  readonly pattern: RegExp;
  readonly code: 'DATABASE_AUTH' | 'DATABASE_UNREACHABLE';
}

/**
 * Shared classification: matches the failure's text against the engine's patterns and
 * re-labels it, naming the database. Patterns are matched on the database client's
 * stderr (foreign text), never on holdfast's own messages.
 */
export function classifyBy(patterns: readonly ErrorPattern[], display: string, err: unknown, fallback: HoldfastError['code']): HoldfastError {
  if (err instanceof HoldfastError && (err.code === 'INTERRUPTED' || err.code === 'ACTION_TIMEOUT' || err.code === 'USAGE')) return err;
  const message = err instanceof Error ? err.message : String(err);
  const text = err instanceof ActionError ? err.stderr : message;
  for (const p of patterns) {
    const line = text.split('\n').find((l) => p.pattern.test(l));
    if (line !== undefined) {
      const what = p.code === 'DATABASE_AUTH' ? 'authentication failed' : 'cannot reach the database';
      return new HoldfastError(p.code, `${display}: ${what}: ${line.trim()}`, { cause: err });
    }
  }
  return new HoldfastError(fallback, `${display}: ${message}`, { cause: err });
}

/** What every built-in recipe has: its target, the environment its clients inherit, and classification by its patterns. */
export abstract class RecipeBase {
  readonly display: string;
  protected readonly target: DatabaseTarget;
  protected readonly env: InheritedEnv;
  protected abstract readonly patterns: readonly ErrorPattern[];

  constructor(target: DatabaseTarget, env: InheritedEnv) {
    this.target = target;
    this.env = env;
    this.display = target.display;
  }

  classify(err: unknown, fallback: 'DUMP_FAILED' | 'LOAD_FAILED' | 'ACTION_FAILED'): HoldfastError {
    return classifyBy(this.patterns, this.display, err, fallback);
  }
}
