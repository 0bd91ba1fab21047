/**
 * Helpers of the in-place restore and volume populator tests, beside volumes-fixture.ts:
 * a PVC and a Deployment that mounts it, the replicas and pods of a Deployment, the data
 * packs of a filesystem repository, and the Events about an object.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { eventually } from '../helpers/eventually.ts';
import type { VolumeCluster } from './volumes-fixture.ts';

export async function createClaim(c: VolumeCluster, namespace: string, name: string, extra: { annotations?: Record<string, string>; dataSourceRef?: Record<string, string> } = {}): Promise<void> {
  await c.kc.makeApiClient(CoreV1Api).createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { name, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
      spec: {
        accessModes: ['ReadWriteOnce'], storageClassName: c.csi.storageClassName, resources: { requests: { storage: '64Mi' } },
        ...(extra.dataSourceRef ? { dataSourceRef: extra.dataSourceRef as { apiGroup: string; kind: string; name: string } } : {}),
      },
    },
  });
}

/** A Deployment whose pods sleep with the claim mounted at /data. */
export async function createDeployment(c: VolumeCluster, namespace: string, name: string, claim: string, replicas: number): Promise<void> {
  await c.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas, selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
            volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
          },
        },
      },
    },
  });
}

export async function deployment(c: VolumeCluster, namespace: string, name: string): Promise<{ replicas: number; annotations: Record<string, string> }> {
  const d = await c.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace, name });
  return { replicas: d.spec?.replicas ?? 0, annotations: d.metadata?.annotations ?? {} };
}

/** The uids of the Running pods of a Deployment (not of its clones), once there are `count` of them. */
export async function runningPods(c: VolumeCluster, namespace: string, app: string, count: number): Promise<string[]> {
  const core = c.kc.makeApiClient(CoreV1Api);
  return eventually(`${count} running pods of ${namespace}/${app}`, async () => {
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp && p.metadata?.labels?.['holdfast.dev/clone'] === undefined);
    return pods.length === count && pods.every((p) => p.status?.phase === 'Running') ? pods.map((p) => p.metadata?.uid ?? '').sort() : undefined;
  }, 90_000);
}

/** The data pack files of a filesystem repository, with their sizes. */
export async function packs(repository: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const sub of await readdir(join(repository, 'data'))) {
    for (const name of await readdir(join(repository, 'data', sub))) {
      if (!name.startsWith('.')) out.set(join(repository, 'data', sub, name), (await stat(join(repository, 'data', sub, name))).size);
    }
  }
  return out;
}

export interface EventJson {
  reason?: string;
  note?: string;
  type?: string;
  regarding?: { kind?: string; name?: string };
}

/** Events (events.k8s.io) in `namespace` about the object `kind/name`. */
export async function eventsAbout(c: VolumeCluster, namespace: string, kind: string, name: string): Promise<EventJson[]> {
  const list = await c.http.get<{ items: EventJson[] }>(`/apis/events.k8s.io/v1/namespaces/${namespace}/events`);
  return list.items.filter((e) => e.regarding?.kind === kind && e.regarding.name === name);
}
