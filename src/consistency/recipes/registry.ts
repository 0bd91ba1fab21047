/** The built-in recipes, chosen by the target's engine (a strategy per engine). */
import { HoldfastError } from '../../core/errors.ts';
import type { InheritedEnv } from '../executors/local-command.ts';
import { MariadbRecipe } from './mariadb.ts';
import { PostgresRecipe } from './postgres.ts';
import type { DatabaseRecipe } from './recipe.ts';
import { RedisRecipe } from './redis.ts';
import type { DatabaseTarget, Engine } from './target.ts';

const BUILT_IN: Readonly<Partial<Record<Engine, (t: DatabaseTarget, env: InheritedEnv) => DatabaseRecipe>>> = {
  postgres: (t, env) => new PostgresRecipe(t, env),
  mariadb: (t, env) => new MariadbRecipe(t, env),
  redis: (t, env) => new RedisRecipe(t, env),
};

export function recipeFor(target: DatabaseTarget, env: InheritedEnv): DatabaseRecipe {
  if (target.engine === 'mariadb' && !target.database) throw new HoldfastError('USAGE', `name the database in the URL: ${target.display}/DATABASE`);
  const make = BUILT_IN[target.engine];
  if (!make) throw new HoldfastError('USAGE', `no built-in recipe for ${target.engine} yet; use --recipe FILE`);
  return make(target, env);
}
