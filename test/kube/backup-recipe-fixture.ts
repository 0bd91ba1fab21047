/**
 * The world of the operator's database tests: a control plane with the node agent (so
 * "database pods" run: a container whose process is `sleep`, with PG… and MYSQL_… variables
 * pointing at a real server the harness started; exec'd clients reach that server), the
 * Holdfast CRDs, the shipped ClusterRecipes, a filesystem BackupRepository, and the
 * Backup, Restore and BackupRepository controllers running in this process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { HOLDFAST_BIN } from '../helpers/cli.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';
import { startNodeAgent, type NodeAgent } from '../helpers/node-agent.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';
import type { Controller } from '#src/controllers/runtime/controller.ts';

export const G = { group: 'holdfast.dev', version: 'v1alpha1' };
export const REPO_PASSWORD = 'recipe-test-pw';

export interface RecipeWorld {
  readonly cp: ControlPlane;
  readonly kc: KubeConfig;
  readonly agent: NodeAgent;
  readonly dir: string;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  controllers: Controller[];
  stop(): Promise<void>;
}

export async function startRecipeWorld(name: string, opts: { controllers?: boolean } = {}): Promise<RecipeWorld> {
  const [cp, dir] = await Promise.all([startControlPlane({ name }), mkdtemp(join(tmpdir(), `holdfast-${name}-`))]);
  const kc = cp.kubeConfig();
  const agent = await startNodeAgent(cp);
  await installHoldfastCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await cp.createNamespace('holdfast-system');
  for (const file of ['postgresql', 'mariadb', 'redis', 'etcd']) {
    const body = parse(readFileSync(join(import.meta.dirname, '../../deploy/recipes', `${file}.yaml`), 'utf8')) as object;
    await custom.createClusterCustomObject({ ...G, plural: 'clusterrecipes', body });
  }
  await core.createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name: 'repo-key' }, stringData: { password: REPO_PASSWORD } } });
  const repo = { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'main' }, spec: { backend: { filesystem: { path: join(dir, 'repo') } }, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } }, allowedNamespaces: { from: 'all' } } };
  await custom.createClusterCustomObject({ ...G, plural: 'backuprepositories', body: repo });
  const world: RecipeWorld = {
    cp, kc, agent, dir, core, custom,
    controllers: opts.controllers === false ? [] : await startControllers(kc, ['BackupRepository', 'Backup', 'Restore']),
    stop: async () => {
      await stopControllers(world.controllers);
      await agent.stop();
      await cp.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await eventually('the repository to be ready', async () => {
    const r = (await custom.getClusterCustomObject({ ...G, plural: 'backuprepositories', name: 'main' })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
    return r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
  }, 60_000);
  return world;
}

/** A pod whose one container sleeps, with `env`, labelled `labels`; resolves once it runs. */
export interface PodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
  readonly labels: Record<string, string>;
  readonly env: Record<string, string>;
}

export async function databasePod(w: RecipeWorld, { namespace, name, container, labels, env }: PodSpec): Promise<void> {
  await w.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels },
      spec: { containers: [{ name: container, image: 'debian', command: ['sleep', '36000'], env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })) }] },
    },
  });
  await eventually(`pod ${namespace}/${name} to run`, async () => ((await w.core.readNamespacedPod({ namespace, name })).status?.phase === 'Running' ? true : undefined), 60_000);
}

export interface Phased {
  metadata: { uid?: string };
  status?: { phase?: string; errors?: string[]; hooks?: Array<Record<string, unknown>>; dumps?: Array<Record<string, unknown>>; snapshots?: Array<{ id: string; type: string; name?: string }>; consistency?: Record<string, unknown> };
}

export async function create(w: RecipeWorld, plural: 'backups' | 'restores', namespace: string, body: object): Promise<void> {
  await w.custom.createNamespacedCustomObject({ ...G, plural, namespace, body });
}

export async function finished(w: RecipeWorld, plural: 'backups' | 'restores', namespace: string, name: string, timeoutMs = 120_000): Promise<Phased> {
  return eventually(`${plural} ${namespace}/${name} to finish`, async () => {
    const o = (await w.custom.getNamespacedCustomObject({ ...G, plural, namespace, name })) as Phased;
    return ['Completed', 'Failed', 'PartiallyFailed', 'Inconsistent'].includes(o.status?.phase ?? '') ? o : undefined;
  }, timeoutMs);
}

export async function get(w: RecipeWorld, plural: 'backups' | 'restores', namespace: string, name: string): Promise<Phased> {
  return (await w.custom.getNamespacedCustomObject({ ...G, plural, namespace, name })) as Phased;
}

export function show(o: Phased): string {
  return JSON.stringify(o.status, null, 2);
}

export type Hook = Record<string, unknown> & { name?: string; phase?: string; outcome?: string; startedAt?: string; finishedAt?: string; message?: string };

/** The status.hooks entries of a step (by name, and phase when given), in the order they ran. */
export function hooksNamed(o: Phased, name: string, phase?: string): Hook[] {
  return ((o.status?.hooks ?? []) as Hook[]).filter((h) => h.name === name && (phase === undefined || h.phase === phase));
}

/** When a status timestamp was, in ms since the epoch. */
export function at(iso: unknown): number {
  if (typeof iso !== 'string') throw new Error(`not a timestamp: ${String(iso)}`);
  return Date.parse(iso);
}

/** A real `holdfast operator` process against the world's control plane (no leader election). */
export interface OperatorProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** What it printed on stderr (its log). */
  readonly log: string[];
  /** SIGKILL, resolved once it exited. */
  kill(): Promise<void>;
}

export function startOperatorProcess(w: RecipeWorld, name: string): OperatorProcess {
  const child = spawn(HOLDFAST_BIN, ['operator'], {
    env: { ...process.env, KUBECONFIG: w.cp.kubeconfigPath, POD_NAME: name, POD_NAMESPACE: 'holdfast-system', HOLDFAST_HEALTH_PORT: '0', HOLDFAST_LEADER_ELECTION: 'false', HOLDFAST_KDF_COST: 'test' },
    stdio: 'pipe',
  });
  const log: string[] = [];
  child.stderr.on('data', (b: Buffer) => log.push(b.toString()));
  child.stdout.resume();
  return {
    child, log,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
