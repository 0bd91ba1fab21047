/** The built-in recipes, chosen by the target's engine (a strategy per engine). */
import { HoldfastError } from '../../core/errors.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import { ETCD_ERRORS, EtcdRecipe } from './etcd.ts';
import { MARIADB_ERRORS, MariadbRecipe } from './mariadb.ts';
import { POSTGRES_ERRORS, PostgresRecipe } from './postgres.ts';
import type { DatabaseRecipe, ErrorPattern } from './recipe.ts';
import { REDIS_ERRORS, RedisRecipe } from './redis.ts';
import type { DatabaseTarget, Engine } from './target.ts';

const BUILT_IN: Readonly<Record<Engine, (t: DatabaseTarget, env: InheritedEnv) => DatabaseRecipe>> = {
  postgres: (t, env) => new PostgresRecipe(t, env),
  mariadb: (t, env) => new MariadbRecipe(t, env),
  redis: (t, env) => new RedisRecipe(t, env),
  etcd: (t, env) => new EtcdRecipe(t, env),
};

export function recipeFor(target: DatabaseTarget, env: InheritedEnv): DatabaseRecipe {
  if (target.engine === 'mariadb' && !target.database) throw new HoldfastError('USAGE', `name the database in the URL: ${target.display}/DATABASE`);
  return BUILT_IN[target.engine](target, env);
}

const ERRORS_BY_ENGINE: Readonly<Record<string, readonly ErrorPattern[]>> = {
  postgres: POSTGRES_ERRORS, postgresql: POSTGRES_ERRORS,
  mariadb: MARIADB_ERRORS, mysql: MARIADB_ERRORS,
  redis: REDIS_ERRORS,
  etcd: ETCD_ERRORS,
};

/** The error patterns of a built-in engine, by the name a recipe file gives (`postgresql`, `mysql` …); none for others. */
export function errorPatternsFor(engine: string | undefined): readonly ErrorPattern[] {
  return ERRORS_BY_ENGINE[(engine ?? '').toLowerCase()] ?? [];
}
