/**
 * The API objects that make a test cluster's CSI pieces usable: the snapshot CRDs of
 * external-snapshotter (copied from its Go module by scripts/install-csi.sh), a CSIDriver
 * without attach, an Immediate-binding StorageClass, a default VolumeSnapshotClass and,
 * when group snapshots are on, a default VolumeGroupSnapshotClass.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiextensionsV1Api, CustomObjectsApi, StorageV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { kubeHttp } from '#src/k8s/resources/kube-http.ts';
import { waitFor } from '../kube/server-process.ts';
import type { ServerProcess } from '../kube/server-process.ts';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
/** external-snapshotter v8.6.0 serves v1 (its controllers use it), v1beta2 (storage) and v1beta1. */
export const GROUP_SNAPSHOT_API = 'groupsnapshot.storage.k8s.io/v1';

export interface CsiClassNames {
  readonly driverName: string;
  readonly storageClassName: string;
  readonly snapshotClassName: string;
  /** Set when the cluster cuts group snapshots. */
  readonly groupSnapshotClassName: string | undefined;
}

/** Creates every CRD in `crdDir` (snapshot and group-snapshot kinds) and waits until each is Established. */
export async function applySnapshotCrds(kc: KubeConfig, crdDir: string, processes: readonly ServerProcess[]): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const files = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml')).sort();
  if (files.length === 0) throw new Error(`no CRDs in ${crdDir}: run scripts/install-csi.sh`);
  await Promise.all(files.map(async (file) => {
    const crd = parse(await readFile(join(crdDir, file), 'utf8')) as V1CustomResourceDefinition;
    // Raw JSON: the typed create would drop the CRDs' x-kubernetes-* keys (CEL rules, list types).
    await kubeHttp(kc).post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    const name = crd.metadata?.name ?? file;
    await waitFor(`CRD ${name} Established`, async () => {
      const current = await ext.readCustomResourceDefinition({ name });
      return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined;
    }, { timeoutMs: 30_000, processes });
  }));
}

/**
 * attachRequired false: no external-attacher and no VolumeAttachment objects; the driver
 * has no ControllerPublish either.
 */
export async function createStorageObjects(kc: KubeConfig, names: CsiClassNames): Promise<void> {
  const storage = kc.makeApiClient(StorageV1Api);
  await storage.createCSIDriver({
    body: {
      metadata: { name: names.driverName },
      spec: { attachRequired: false, podInfoOnMount: false, volumeLifecycleModes: ['Persistent'] },
    },
  });
  await storage.createStorageClass({
    body: {
      metadata: { name: names.storageClassName },
      provisioner: names.driverName,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    },
  });
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: SNAPSHOT_GROUP,
    version: 'v1',
    plural: 'volumesnapshotclasses',
    body: {
      apiVersion: `${SNAPSHOT_GROUP}/v1`,
      kind: 'VolumeSnapshotClass',
      metadata: { name: names.snapshotClassName, annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } },
      driver: names.driverName,
      deletionPolicy: 'Delete',
    },
  });
  if (names.groupSnapshotClassName !== undefined) {
    await kubeHttp(kc).post('/apis/groupsnapshot.storage.k8s.io/v1/volumegroupsnapshotclasses', {
      apiVersion: GROUP_SNAPSHOT_API,
      kind: 'VolumeGroupSnapshotClass',
      metadata: { name: names.groupSnapshotClassName, annotations: { 'groupsnapshot.storage.kubernetes.io/is-default-class': 'true' } },
      driver: names.driverName,
      deletionPolicy: 'Delete',
    });
  }
}
