/**
 * A real Kubernetes control plane for tests, like controller-runtime's envtest: etcd,
 * kube-apiserver and kube-controller-manager on 127.0.0.1, in a temporary folder, reached
 * through a kubeconfig with a bearer token. There is no kubelet and no scheduler, so pods
 * stay Pending; everything the controller-manager does (Deployments → ReplicaSets → Pods,
 * Jobs → Pods, garbage collection, namespace deletion, service-account tokens) works.
 * Control planes are independent: start two for cross-cluster tests.
 *
 * Binaries come from scripts/install-kube.sh (see docs/adr/0012-test-control-plane.md).
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ADMIN_USER, makeControlPlaneKeys } from './kube/certs.ts';
import type { TestUser } from './kube/certs.ts';
import { startEtcd } from './kube/etcd.ts';
import { startApiServer, startControllerManager, waitForDefaultServiceAccount } from './kube/kube-components.ts';
import { kubeconfigYaml } from './kube/kubeconfig.ts';
import { trackTempDir, untrackTempDir, waitFor } from './kube/server-process.ts';
import type { ServerProcess } from './kube/server-process.ts';

export type { TestUser } from './kube/certs.ts';

export interface ControlPlaneOptions {
  /** Names the control plane in its folder, context and errors, e.g. `source` and `target`. */
  readonly name?: string;
  /** Extra users for RBAC tests, authenticated by token and granted nothing but what RBAC gives them. */
  readonly users?: readonly TestUser[];
  /** Keep the folder (logs, etcd data) after stop(), to debug a failure. */
  readonly keepDir?: boolean;
}

export interface ControlPlane {
  readonly name: string;
  /** The temporary folder: keys, kubeconfigs, `*.log` of each process, etcd data. */
  readonly dir: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** The CA that signed the apiserver's serving certificate. */
  readonly caPem: string;
  /** Bearer token of the admin user (group `system:masters`). */
  readonly token: string;
  /** Admin kubeconfig (YAML), also written to `kubeconfigPath`. */
  readonly kubeconfig: string;
  readonly kubeconfigPath: string;
  /** User name → token for every user of `options.users`. */
  readonly tokens: ReadonlyMap<string, string>;
  /** Milliseconds from the call to a control plane whose controllers run. */
  readonly startupMs: number;
  /** Kubeconfig YAML for one of `options.users`. */
  kubeconfigFor(user: string): string;
  /** A client-node KubeConfig for the admin, or for one of `options.users`. */
  kubeConfig(user?: string): KubeConfig;
  /**
   * Creates a namespace and waits for its `default` service account: until the
   * controller-manager has made it, the ServiceAccount admission plugin rejects pods there.
   */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Kills the processes and removes the folder; safe to call twice. */
  stop(): Promise<void>;
}

/** tmpfs makes etcd's fsyncs free; CI containers often have a tiny /dev/shm, so check room. */
function baseDir(): string {
  try {
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize >= 2 * 1024 ** 3) return '/dev/shm';
  } catch {
    // no /dev/shm: fall through
  }
  return tmpdir();
}

const DIR_PREFIX = 'holdfast-kube-';
const OWNER_FILE = 'owner.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Folders of control planes whose test process died by SIGKILL (no exit handler ran); on
 * tmpfs they hold memory, so the next start removes them.
 */
async function sweepAbandonedDirs(base: string): Promise<void> {
  for (const entry of readdirSync(base).filter((name) => name.startsWith(DIR_PREFIX))) {
    let owner: number;
    try {
      owner = Number(readFileSync(join(base, entry, OWNER_FILE), 'utf8'));
    } catch {
      continue; // still being created, or not ours
    }
    if (owner > 0 && !isAlive(owner)) await rm(join(base, entry), { recursive: true, force: true });
  }
}

async function launch(dir: string, opts: ControlPlaneOptions, processes: ServerProcess[]): Promise<Omit<ControlPlane, 'stop' | 'startupMs'>> {
  const name = opts.name ?? 'test';
  const keys = await makeControlPlaneKeys(dir, opts.users ?? []);
  const token = keys.tokens.get(ADMIN_USER) ?? '';
  const etcd = await startEtcd(dir);
  processes.push(etcd.process);
  const api = await startApiServer(dir, keys, etcd.url, token);
  processes.push(api.process);
  processes.push(await startControllerManager(dir, keys, api.server));
  const server = api.server;
  await waitForDefaultServiceAccount({ server, caPem: keys.caPem, token }, processes);

  const configFor = (user: string, userToken: string): string =>
    kubeconfigYaml({ server, caPem: keys.caPem, user, token: userToken, contextName: `holdfast-${name}` });
  const kubeconfig = configFor(ADMIN_USER, token);
  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const userNames = new Set((opts.users ?? []).map((u) => u.name));
  const tokens = new Map([...keys.tokens].filter(([user]) => userNames.has(user)));
  const kubeconfigFor = (user: string): string => {
    const userToken = tokens.get(user);
    if (userToken === undefined) throw new Error(`control plane ${name} has no test user ${user}`);
    return configFor(user, userToken);
  };
  const kubeConfig = (user?: string): KubeConfig => {
    const kc = new KubeConfig();
    kc.loadFromString(user === undefined ? kubeconfig : kubeconfigFor(user));
    return kc;
  };
  const createNamespace = async (namespace: string, labels?: Record<string, string>): Promise<void> => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace, labels } } });
    await waitFor(`service account default in ${namespace}`, async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace });
      return true;
    }, { timeoutMs: 30_000, processes });
  };
  return { name, dir, server, caPem: keys.caPem, token, kubeconfig, kubeconfigPath, tokens, kubeconfigFor, kubeConfig, createNamespace };
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const base = baseDir();
  await sweepAbandonedDirs(base);
  const dir = await mkdtemp(join(base, `${DIR_PREFIX}${opts.name ?? 'test'}-`));
  if (!opts.keepDir) {
    await writeFile(join(dir, OWNER_FILE), String(process.pid));
    trackTempDir(dir);
  }
  const processes: ServerProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopped ??= (async () => {
      // Reverse order: the controller-manager first, etcd last.
      for (const p of [...processes].reverse()) await p.kill();
      if (!opts.keepDir) {
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
        untrackTempDir(dir);
      }
    })();
    return stopped;
  };
  try {
    const plane = await launch(dir, opts, processes);
    return { ...plane, startupMs: Date.now() - started, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
