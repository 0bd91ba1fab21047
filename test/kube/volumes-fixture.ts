/**
 * A cluster for the volume tests: a control plane with CSI storage (optionally on another
 * cluster's storage), the node agent running pods, Holdfast's CRDs, the BackupRepository,
 * Backup and Restore controllers in this process, a repository Secret and a filesystem
 * BackupRepository `main`, and helpers for the objects the tests create and wait for.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Controller } from '#src/controllers/runtime/controller.ts';
import { kubeHttp, type KubeHttp } from '#src/k8s/resources/kube-http.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { startCsi, type CsiHostPath } from '../helpers/csi.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';
import { startNodeAgent, type NodeAgent } from '../helpers/node-agent.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';

export const G = { group: 'holdfast.dev', version: 'v1alpha1' };
export const OPERATOR_NS = 'holdfast-system';
/** The controllers the volume tests run in this process. */
const OPERATOR_KINDS = ['BackupRepository', 'Backup', 'Restore'];

export interface VolumeCluster {
  readonly plane: ControlPlane;
  readonly kc: KubeConfig;
  readonly http: KubeHttp;
  readonly csi: CsiHostPath;
  readonly agent: NodeAgent;
  readonly controllers: Controller[];
  /** Stops the operator's controllers (as a leader steps down) and resolves once they stopped. */
  stopOperator(): Promise<void>;
  /** Starts them again (as the next leader). */
  startOperator(): Promise<void>;
  stop(): Promise<void>;
}

export async function startVolumeCluster(name: string, o: { repository: string; stateDir?: string; catalogInterval?: string; groupSnapshots?: boolean }): Promise<VolumeCluster> {
  const plane = await startControlPlane({ name });
  const csi = await startCsi(plane, { ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.groupSnapshots ? { groupSnapshots: true } : {}) });
  const agent = await startNodeAgent(plane, { csi });
  const kc = plane.kubeConfig();
  await installHoldfastCrds(kc);
  await plane.createNamespace(OPERATOR_NS);
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: OPERATOR_NS, body: { metadata: { name: 'repo-key' }, stringData: { password: 'volume-pw' } } });
  const controllers = await startControllers(kc, OPERATOR_KINDS);
  const spec = {
    backend: { filesystem: { path: o.repository } },
    encryption: { keySecretRef: { name: 'repo-key', namespace: OPERATOR_NS } },
    allowedNamespaces: { from: 'all' },
    ...(o.catalogInterval ? { catalog: { interval: o.catalogInterval } } : {}),
  };
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({ ...G, plural: 'backuprepositories', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'main' }, spec } });
  const http = kubeHttp(kc);
  await eventually('BackupRepository main Ready', async () => {
    const repo = await http.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('/apis/holdfast.dev/v1alpha1/backuprepositories/main');
    return repo.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') || undefined;
  });
  return {
    plane, kc, http, csi, agent, controllers,
    stopOperator: async () => {
      await stopControllers(controllers.splice(0));
    },
    startOperator: async () => {
      controllers.push(...(await startControllers(kc, OPERATOR_KINDS)));
    },
    stop: async () => {
      await stopControllers(controllers);
      await agent.stop();
      await csi.stop();
      await plane.stop();
    },
  };
}

/** A StatefulSet whose pods sleep, with one claim template `data` of the CSI class. */
export async function createStatefulSet(c: VolumeCluster, namespace: string, name: string, replicas: number): Promise<void> {
  await c.kc.makeApiClient(AppsV1Api).createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas, serviceName: name, selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: c.csi.storageClassName, resources: { requests: { storage: '64Mi' } } } }],
      },
    },
  });
}

export async function claimsBound(c: VolumeCluster, namespace: string, names: readonly string[], timeoutMs = 60_000): Promise<void> {
  const core = c.kc.makeApiClient(CoreV1Api);
  for (const name of names) {
    await eventually(`PVC ${namespace}/${name} Bound`, async () => {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace, name }).catch(() => undefined);
      return pvc?.status?.phase === 'Bound' || undefined;
    }, timeoutMs);
  }
}

export interface HoldfastObject {
  metadata: { name: string; namespace?: string; uid?: string; finalizers?: string[] };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { phase?: string; errors?: string[]; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
}

export async function createHoldfast(c: VolumeCluster, plural: 'backups' | 'restores', namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  const kind = plural === 'backups' ? 'Backup' : 'Restore';
  await c.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...G, namespace, plural, body: { apiVersion: 'holdfast.dev/v1alpha1', kind, metadata: { name }, spec } });
}

export async function getHoldfast(c: VolumeCluster, plural: 'backups' | 'restores', namespace: string, name: string): Promise<HoldfastObject | undefined> {
  return c.http.get<HoldfastObject>(`/apis/holdfast.dev/v1alpha1/namespaces/${namespace}/${plural}/${name}`).catch(() => undefined);
}

export async function finished(c: VolumeCluster, plural: 'backups' | 'restores', namespace: string, name: string, timeoutMs = 120_000): Promise<HoldfastObject> {
  return eventually(`${plural} ${namespace}/${name} to finish`, async () => {
    const o = await getHoldfast(c, plural, namespace, name);
    return ['Completed', 'PartiallyFailed', 'Failed', 'Inconsistent'].includes(o?.status?.phase ?? '') ? o : undefined;
  }, timeoutMs);
}

/** Names of objects at an API path whose labels match `labelSelector`. */
export async function names(c: VolumeCluster, path: string, labelSelector?: string): Promise<string[]> {
  const list = await c.http.get<{ items: Array<{ metadata: { name: string } }> }>(path, labelSelector ? { labelSelector } : {});
  return list.items.map((i) => i.metadata.name).sort();
}

/** Every file under `dir` with its contents, by relative path: for byte-for-byte comparison. */
export async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) out.set(relative(dir, path), await readFile(path));
    }
  };
  await walk(dir);
  return out;
}
