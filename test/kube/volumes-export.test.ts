/**
 * Export/import of a snapshot-only backup: two control planes whose CSI drivers share one
 * storage system (startCsi's stateDir, like two clusters on one storage array) and one
 * repository. Cluster A takes a `snapshot` backup — the data stays in CSI snapshots, their
 * handles go into the backup's record in the repository. Cluster B's catalog lists the
 * backup as an imported Backup; a Restore from it imports the snapshots by handle as
 * pre-provisioned VolumeSnapshots and creates the PVCs from them, with A's data.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/eventually.ts';
import { claimsBound, createHoldfast, createStatefulSet, filesOf, finished, names, OPERATOR_NS, startVolumeCluster, type VolumeCluster } from './volumes-fixture.ts';

let a: VolumeCluster;
let b: VolumeCluster;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-volumes-export-'));
  const repository = join(dir, 'repo');
  a = await startVolumeCluster('export-a', { repository });
  b = await startVolumeCluster('export-b', { repository, stateDir: a.csi.stateDir, catalogInterval: '1s' });
});

after(async () => {
  await b?.stop();
  await a?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('snapshot-only backups across clusters', () => {
  it("restores cluster A's snapshot backup in cluster B from the snapshot handles in its record", async () => {
    await a.plane.createNamespace('shop');
    await createStatefulSet(a, 'shop', 'pg', 1);
    await claimsBound(a, 'shop', ['data-pg-0']);
    const source = await a.csi.claimDir('shop', 'data-pg-0');
    await writeFile(join(source, 'base.dat'), Buffer.from(Array.from({ length: 500_000 }, (_, i) => i % 253)));
    await writeFile(join(source, 'PG_VERSION'), '17\n');
    await createHoldfast(a, 'backups', 'shop', 'nightly', { repositoryRef: { name: 'main' }, method: 'snapshot', volumes: {} });
    const backup = await finished(a, 'backups', 'shop', 'nightly');
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));

    const imported = await eventually("the catalog of cluster B to list A's backup", async () => {
      const list = await b.http.get<{ items: Array<{ metadata: { name: string; namespace: string }; spec: { imported?: { sourceName?: string } } }> }>('/apis/holdfast.dev/v1alpha1/backups');
      return list.items.find((x) => x.spec.imported?.sourceName === 'nightly');
    }, 60_000);
    assert.equal(imported.metadata.namespace, OPERATOR_NS);
    await createHoldfast(b, 'restores', OPERATOR_NS, 'from-a', { source: { backupName: imported.metadata.name }, namespaceMapping: { shop: 'shop' } });
    const restore = await finished(b, 'restores', OPERATOR_NS, 'from-a', 120_000);
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    assert.deepEqual((restore.status?.volumes as Array<{ claimName: string; from?: string; phase: string }>).map((v) => `${v.claimName} ${v.phase} ${v.from ?? ''}`), ['data-pg-0 Completed volume-snapshot']);
    const copy = await filesOf(await b.csi.claimDir('shop', 'data-pg-0'));
    const original = await filesOf(source);
    assert.deepEqual([...copy.keys()].sort(), [...original.keys()].sort());
    for (const [path, data] of original) assert.ok(copy.get(path)?.equals(data), `${path} restored byte for byte`);
    // The Restore's clean-up deletes the imported VolumeSnapshot; it goes once the snapshot controller drops its finalizers, a moment later.
    const imports = async (): Promise<string[]> => names(b, '/apis/snapshot.storage.k8s.io/v1/volumesnapshots', `holdfast.dev/restore=${restore.metadata.uid ?? ''}`);
    await eventually('the imported snapshot to be gone', async () => ((await imports()).length === 0 ? true : undefined), 60_000).catch(async () => {
      assert.deepEqual(await imports(), [], 'the imported snapshot is removed once the PVC is bound');
    });
    const snapshotInA = (backup.status?.volumes as Array<{ volumeSnapshotName: string }>)[0]?.volumeSnapshotName ?? '';
    const stillThere = await a.http.get<{ status?: { readyToUse?: boolean } }>(`/apis/snapshot.storage.k8s.io/v1/namespaces/shop/volumesnapshots/${snapshotInA}`);
    assert.equal(stillThere.status?.readyToUse, true, "A's snapshot is untouched by B's import (Retain)");
  });
});
