/**
 * Redis: BGSAVE, wait until the server reports a newer completed save, then capture the
 * RDB file it wrote (CONFIG GET dir / dbfilename — the server must share this machine's
 * filesystem in CLI mode; in a cluster the same script runs in the server's container).
 * Loading an RDB replaces the whole data set: the file is put in place and the server
 * reloads it with `DEBUG RELOAD NOSAVE` (needs `enable-debug-command local|yes`).
 * The password reaches redis-cli through REDISCLI_AUTH.
 */
import { HoldfastError } from '../../core/errors.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import type { Hook } from '../hooks.ts';
import type { DatabaseRecipe, DumpPlan, ErrorPattern, LoadOptions, LoadPlan } from './recipe.ts';
import { RecipeBase } from './recipe.ts';

export const REDIS_ERRORS: readonly ErrorPattern[] = [
  { pattern: /NOAUTH|WRONGPASS|invalid password|invalid username-password/i, code: 'DATABASE_AUTH' },
  { pattern: /could not connect|connection refused|connection reset/i, code: 'DATABASE_UNREACHABLE' },
];

/**
 * `rc ARGS…` runs redis-cli against the target; an error reply on any line (a wrong
 * password prints `AUTH failed: WRONGPASS …` before the command's own `NOAUTH` reply)
 * stops the script. Only control commands go through it, never user values.
 */
const PRELUDE = `set -eu
rc() {
  out=$(redis-cli --no-auth-warning -h "$H" -p "$P" "$@" 2>&1) || { echo "$out" >&2; exit 1; }
  if printf '%s\n' "$out" | grep -qE '^(ERR|NOAUTH|WRONGPASS|NOPERM|LOADING|MISCONF|AUTH failed)'; then echo "$out" >&2; exit 1; fi
  printf '%s\\n' "$out"
}
info() { rc INFO persistence | tr -d '\\r' | sed -n "s/^$1://p"; }
rdb_path() { printf '%s/%s' "$(rc CONFIG GET dir | sed -n 2p)" "$(rc CONFIG GET dbfilename | sed -n 2p)"; }
`;

/** Waits for a BGSAVE that started after this script did: the count of completed saves must grow. */
const BGSAVE_AND_WAIT = `${PRELUDE}
before=$(info rdb_saves)
while [ "$(info rdb_bgsave_in_progress)" = 1 ]; do sleep 0.1; done
before=$(info rdb_saves)
rc BGSAVE >/dev/null
while [ "$(info rdb_saves)" = "$before" ] || [ "$(info rdb_bgsave_in_progress)" = 1 ]; do sleep 0.1; done
[ "$(info rdb_last_bgsave_status)" = ok ] || { echo "BGSAVE failed on the server (rdb_last_bgsave_status: $(info rdb_last_bgsave_status))" >&2; exit 1; }
`;

const CAT_RDB = `${PRELUDE}
exec cat "$(rdb_path)"
`;

const PUT_RDB_AND_RELOAD = `${PRELUDE}
path=$(rdb_path)
cat > "$path.holdfast-load"
mv "$path.holdfast-load" "$path"
rc DEBUG RELOAD NOSAVE >/dev/null
`;

export class RedisRecipe extends RecipeBase implements DatabaseRecipe {
  readonly engine = 'redis';
  protected readonly patterns = REDIS_ERRORS;

  #script(script: string, what: string, timeoutMs = 0): LocalCommandExecutor {
    const env = { H: this.target.host, P: String(this.target.port), ...(this.target.password !== undefined ? { REDISCLI_AUTH: this.target.password } : {}) };
    return new LocalCommandExecutor({ argv: ['/bin/sh', '-c', script], env, what, timeoutMs }, this.env);
  }

  check(): LocalCommandExecutor {
    const ping = `${PRELUDE}\npong=$(rc PING)\n[ "$pong" = PONG ] || { echo "unexpected reply to PING: $pong" >&2; exit 1; }`;
    return this.#script(ping, `redis-cli PING on ${this.display}`, 30_000);
  }

  dump(): DumpPlan {
    const timeoutMs = Number(this.target.params.bgsave_timeout ?? '600') * 1000;
    const bgsave: Hook = { name: 'bgsave-and-wait', phase: 'prepare', onError: 'fail', retries: 0, executor: this.#script(BGSAVE_AND_WAIT, `BGSAVE on ${this.display}`, timeoutMs) };
    return { format: 'rdb', hooks: [bgsave], extras: [], main: { filename: 'dump.rdb', executor: this.#script(CAT_RDB, `RDB capture of ${this.display}`) } };
  }

  load(_format: string, opts: LoadOptions): LoadPlan {
    if (!opts.drop) throw new HoldfastError('USAGE', `loading an RDB replaces every key of ${this.display}; pass --drop to confirm`);
    return { before: [], load: this.#script(PUT_RDB_AND_RELOAD, `RDB load into ${this.display}`), after: [] };
  }

}
