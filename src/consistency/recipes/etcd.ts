/**
 * etcd (v3 API, 3.4+): the dump is a snapshot of the member's database, streamed from
 * the gateway's `POST /v3/maintenance/snapshot` (etcdctl 3.4 can only save a snapshot
 * to a file); a snapshot is a consistent point by itself, so there is no freeze. With
 * `etcd://user:pw@host:port` the gateway is authenticated first (snapshots need the
 * root role when auth is on).
 *
 * A snapshot cannot be loaded into a running member: `etcdctl snapshot restore` builds a
 * new data dir (`--into etcd-data-dir:/path`), from which etcd is then started — the
 * first member of a new cluster. etcdctl checks the snapshot's hash by seeking to its end,
 * so the load stages the stream in one file beside the new data dir, removed afterwards.
 */
import { HoldfastError } from '../../core/errors.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import type { DatabaseRecipe, DumpPlan, ErrorPattern, LoadOptions, LoadPlan } from './recipe.ts';
import { RecipeBase } from './recipe.ts';
import { EtcdSnapshotExecutor, EtcdStatusExecutor } from './etcd-snapshot.ts';
import type { GatewayEndpoint } from './etcd-gateway.ts';
import { ETCD_DATA_DIR } from './target.ts';

export const ETCD_ERRORS: readonly ErrorPattern[] = [
  { pattern: /authentication failed|invalid auth token|user name is empty|permission denied|user name not found|not capable/i, code: 'DATABASE_AUTH' },
  { pattern: /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|other side closed|connect timeout/i, code: 'DATABASE_UNREACHABLE' },
];

/** Restore options passed on to `etcdctl snapshot restore` from the data dir's query. */
const RESTORE_OPTIONS = ['name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls'] as const;

/**
 * `$1` the new data dir, then etcdctl's options. The stream goes to a file beside the
 * data dir (same filesystem, removed on any exit); an existing data dir is refused.
 */
const RESTORE_SCRIPT = `set -eu
dir=$1; shift
if [ -e "$dir" ]; then echo "error: $dir already exists; an etcd snapshot is restored into a new data dir" >&2; exit 1; fi
mkdir -p "$(dirname "$dir")"
tmp="$dir.holdfast-$$.snapshot"
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
ETCDCTL_API=3 etcdctl snapshot restore "$tmp" --data-dir "$dir" "$@" >/dev/null
`;

export class EtcdRecipe extends RecipeBase implements DatabaseRecipe {
  readonly engine = 'etcd';
  protected readonly patterns = ETCD_ERRORS;

  #endpoint(): GatewayEndpoint {
    const t = this.target;
    if (t.params['data-dir'] !== undefined) {
      throw new HoldfastError('USAGE', `back up a running etcd member by its client URL (etcd://host:2379), not ${ETCD_DATA_DIR}`);
    }
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    return {
      url: `http://${host}:${t.port}`,
      ...(t.user !== undefined ? { user: t.user } : {}),
      ...(t.password !== undefined ? { password: t.password } : {}),
    };
  }

  #connectTimeoutMs(): number {
    return Number(this.target.params.connect_timeout ?? '10') * 1000;
  }

  check(): EtcdStatusExecutor {
    return new EtcdStatusExecutor(this.#endpoint(), `status of ${this.display}`, this.#connectTimeoutMs());
  }

  dump(): DumpPlan {
    const executor = new EtcdSnapshotExecutor(this.#endpoint(), `snapshot of ${this.display}`, this.#connectTimeoutMs());
    return { format: 'etcd-snapshot', hooks: [], extras: [], main: { filename: 'snapshot.db', executor } };
  }

  load(_format: string, _opts: LoadOptions): LoadPlan {
    const dir = this.target.params['data-dir'];
    if (dir === undefined) {
      throw new HoldfastError('USAGE', `an etcd snapshot cannot be loaded into a running member (${this.display}); restore it into a new data dir with --into ${ETCD_DATA_DIR}/path and start etcd there`);
    }
    const options = RESTORE_OPTIONS.flatMap((k) => (this.target.params[k] !== undefined ? [`--${k}`, this.target.params[k]] : []));
    const load = new LocalCommandExecutor({ argv: ['/bin/sh', '-c', RESTORE_SCRIPT, 'etcd-restore', dir, ...options], what: `etcdctl snapshot restore into ${dir}` }, this.env);
    const name = this.target.params.name ?? 'default';
    return { before: [], load, after: [], next: `start etcd with --data-dir ${dir} --name ${name} (a new cluster; its member's peer URL is ${this.target.params['initial-advertise-peer-urls'] ?? 'http://localhost:2380'})` };
  }
}
