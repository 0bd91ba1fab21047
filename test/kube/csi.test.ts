/**
 * The CSI pieces of the test clusters (test/helpers/csi.ts) do what the volume-data work
 * relies on: a PVC binds to a real host-path volume, a VolumeSnapshot of it is cut through
 * the real snapshot-controller and csi-snapshotter, a PVC restored from it holds the files,
 * and deleting claims and snapshots removes their data. Two clusters keep apart.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig, V1PersistentVolumeClaim, V1TypedLocalObjectReference } from '@kubernetes/client-node';
import { startControlPlane } from '../helpers/control-plane.ts';
import type { ControlPlane } from '../helpers/control-plane.ts';
import { SNAPSHOT_GROUP, startCsi } from '../helpers/csi.ts';
import type { CsiHostPath } from '../helpers/csi.ts';
import { eventually } from '../helpers/eventually.ts';

interface VolumeSnapshot {
  status?: { readyToUse?: boolean; restoreSize?: string; boundVolumeSnapshotContentName?: string; error?: { message?: string } };
}

const snapshots = { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshots' };

type Source = { snapshot: string } | { claim: string };

function claim(name: string, storageClassName: string, source?: Source): V1PersistentVolumeClaim {
  let dataSource: V1TypedLocalObjectReference | undefined;
  if (source !== undefined) {
    dataSource = 'snapshot' in source
      ? { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: source.snapshot }
      : { kind: 'PersistentVolumeClaim', name: source.claim };
  }
  return {
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '64Mi' } }, dataSource },
  };
}

async function createBoundClaim(kc: KubeConfig, namespace: string, body: V1PersistentVolumeClaim): Promise<V1PersistentVolumeClaim> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = body.metadata?.name ?? '';
  await core.createNamespacedPersistentVolumeClaim({ namespace, body });
  return eventually(`PVC ${namespace}/${name} Bound`, async () => {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace, name });
    return pvc.status?.phase === 'Bound' ? pvc : undefined;
  });
}

async function isGone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return true;
    throw err;
  }
}

/** Prints the CSI processes' logs when `body` fails, then fails with its error. */
async function withLogs(csi: CsiHostPath, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    console.error(csi.logs());
    throw err;
  }
}

describe('CSI host-path storage in the test control plane', { concurrency: true }, () => {
  let a: ControlPlane;
  let b: ControlPlane;
  let csiA: CsiHostPath;
  let csiB: CsiHostPath;

  before(async () => {
    [a, b] = await Promise.all([startControlPlane({ name: 'csi-a' }), startControlPlane({ name: 'csi-b' })]);
    [csiA, csiB] = await Promise.all([startCsi(a), startCsi(b)]);
  });

  after(async () => {
    await Promise.all([csiA?.stop(), csiB?.stop()]);
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('a PVC binds to a host-path volume that a snapshot and a restored PVC carry over', () => withLogs(csiA, async () => {
    const kc = a.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    await a.createNamespace('data');

    const source = await createBoundClaim(kc, 'data', claim('source', csiA.storageClassName));
    const pv = await core.readPersistentVolume({ name: source.spec?.volumeName ?? '' });
    assert.equal(pv.spec?.csi?.driver, csiA.driverName);
    const sourceDir = await csiA.claimDir('data', 'source');
    assert.equal(sourceDir, csiA.volumeDir(pv.spec?.csi?.volumeHandle ?? ''));
    assert.ok(existsSync(sourceDir), `${sourceDir} exists`);
    await writeFile(join(sourceDir, 'hello.txt'), 'written before the snapshot\n');

    await custom.createNamespacedCustomObject({
      ...snapshots,
      namespace: 'data',
      body: { apiVersion: `${SNAPSHOT_GROUP}/v1`, kind: 'VolumeSnapshot', metadata: { name: 'snap' }, spec: { volumeSnapshotClassName: csiA.snapshotClassName, source: { persistentVolumeClaimName: 'source' } } },
    });
    const ready = await eventually('VolumeSnapshot readyToUse', async () => {
      const snap = (await custom.getNamespacedCustomObject({ ...snapshots, namespace: 'data', name: 'snap' })) as VolumeSnapshot;
      assert.equal(snap.status?.error, undefined);
      return snap.status?.readyToUse === true ? snap : undefined;
    });
    assert.equal(ready.status?.restoreSize, '64Mi');
    await writeFile(join(sourceDir, 'hello.txt'), 'written after the snapshot\n');

    const restored = await createBoundClaim(kc, 'data', claim('restored', csiA.storageClassName, { snapshot: 'snap' }));
    const restoredDir = await csiA.claimDir('data', 'restored');
    assert.notEqual(restoredDir, sourceDir);
    assert.equal(await readFile(join(restoredDir, 'hello.txt'), 'utf8'), 'written before the snapshot\n');

    await core.deleteNamespacedPersistentVolumeClaim({ namespace: 'data', name: 'restored' });
    await eventually('the restored volume deleted', async () => (existsSync(restoredDir) ? undefined : true));
    const restoredPv = restored.spec?.volumeName ?? '';
    await eventually('its PV deleted', async () => ((await isGone(() => core.readPersistentVolume({ name: restoredPv }))) ? true : undefined));

    await custom.deleteNamespacedCustomObject({ ...snapshots, namespace: 'data', name: 'snap' });
    await eventually('the snapshot archive deleted', async () => (readdirSync(join(csiA.stateDir, 'snapshots')).length === 0 ? true : undefined));
    await core.deleteNamespacedPersistentVolumeClaim({ namespace: 'data', name: 'source' });
    await eventually('the source volume deleted', async () => (existsSync(sourceDir) ? undefined : true));
  }));

  test('each control plane provisions into its own driver, which clones a PVC', () => withLogs(csiB, async () => {
    assert.notEqual(csiA.socket, csiB.socket);
    assert.notEqual(csiA.stateDir, csiB.stateDir);
    await b.createNamespace('data');
    const kc = b.kubeConfig();
    const pv = (await createBoundClaim(kc, 'data', claim('only-in-b', csiB.storageClassName))).spec?.volumeName ?? '';
    const dir = await csiB.claimDir('data', 'only-in-b');
    assert.ok(dir.startsWith(csiB.stateDir) && existsSync(dir));
    assert.ok(!existsSync(csiA.volumeDir(pv)));
    await writeFile(join(dir, 'b.txt'), 'b\n');

    await createBoundClaim(kc, 'data', claim('clone', csiB.storageClassName, { claim: 'only-in-b' }));
    assert.equal(await readFile(join(await csiB.claimDir('data', 'clone'), 'b.txt'), 'utf8'), 'b\n');
  }));
});
