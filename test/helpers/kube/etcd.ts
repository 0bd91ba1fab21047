/**
 * A single-member etcd for one test control plane: plain HTTP on 127.0.0.1 (the apiserver
 * is its only client), data in the control plane's temporary folder, short raft timings so
 * it elects itself at once. Durability is irrelevant here; the folder is on tmpfs when the
 * machine has room for it, which makes fsync free.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServerProcess, uniqueFreePort, waitFor } from './server-process.ts';
import type { ServerProcess } from './server-process.ts';

export interface Etcd {
  readonly url: string;
  readonly process: ServerProcess;
}

function etcdBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new Error('etcd not found on PATH: run scripts/install-kube.sh (installs Debian etcd-server)', { cause: err });
  }
}

export async function startEtcd(dir: string): Promise<Etcd> {
  const url = `http://127.0.0.1:${await uniqueFreePort()}`;
  // A lone member never dials its peer URL, so the peer listener takes any port (as in
  // kubernetes' own hack/lib/etcd.sh).
  const args = [
    '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', 'http://127.0.0.1:0',
    '--heartbeat-interval', '50',
    '--election-timeout', '250',
    // etcd 3.4 answers no on-demand progress requests (kube-apiserver checks for 3.4.31+),
    // so periodic progress notifications are what keep the watch cache's revision fresh.
    '--experimental-watch-progress-notify-interval', '5s',
    '--logger', 'zap',
    '--log-level', 'warn',
  ];
  const proc = startServerProcess('etcd', etcdBinary(), args, join(dir, 'etcd.log'));
  await waitFor('etcd /health', async () => {
    const res = await fetch(`${url}/health`);
    const body = (await res.json()) as { health?: string };
    return body.health === 'true' ? true : undefined;
  }, { timeoutMs: 30_000, processes: [proc] });
  return { url, process: proc };
}
