/**
 * A throwaway single-member etcd on 127.0.0.1 and a free client port, its data dir in a
 * temp dir (or a given one, e.g. a data dir made by `etcdctl snapshot restore`). The peer
 * listener takes any port: a lone member never dials it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, waitFor } from './process.ts';

export interface EtcdServer {
  readonly port: number;
  readonly dataDir: string;
  /** `etcd://[user:pw@]127.0.0.1:port`. */
  url(user?: string, password?: string): string;
  /** etcdctl against this member (as `user:password` when given). */
  ctl(args: readonly string[], auth?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface EtcdOptions {
  /** Start on this data dir (kept at stop) instead of a new temp one. */
  readonly dataDir?: string;
  readonly name?: string;
}

export async function startEtcd(opts: EtcdOptions = {}): Promise<EtcdServer> {
  const temp = opts.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'holdfast-test-etcd-')) : undefined;
  const dataDir = opts.dataDir ?? join(temp ?? '', 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('etcd', [
    '--name', opts.name ?? 'default', '--data-dir', dataDir,
    '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', 'http://127.0.0.1:0',
    '--heartbeat-interval', '50', '--election-timeout', '250', '--logger', 'zap', '--log-level', 'warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const ctl = (args: readonly string[], auth?: string): Promise<string> =>
    run(['etcdctl', '--endpoints', url, ...(auth ? ['--user', auth] : []), ...args], { env: { ETCDCTL_API: '3' } });
  await waitFor('etcd', async () => {
    const res = await fetch(`${url}/health`);
    if (((await res.json()) as { health?: string }).health !== 'true') throw new Error('not healthy');
  }, 30_000).catch((err: unknown) => { child.kill('SIGKILL'); throw new Error(`${String(err)}\n${log}`); });
  return {
    port, dataDir, ctl,
    url: (user, password) => `etcd://${user !== undefined ? `${encodeURIComponent(user)}:${encodeURIComponent(password ?? '')}@` : ''}127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      if (temp) await rm(temp, { recursive: true, force: true });
    },
  };
}
