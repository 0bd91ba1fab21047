/**
 * Group snapshots end to end: a cluster whose CSI driver serves the group controller
 * (`startCsi(plane, { groupSnapshots: true })`: the real csi-snapshotter and
 * snapshot-controller with `CSIVolumeGroupSnapshot`, a default VolumeGroupSnapshotClass).
 * A snapshot Backup of a StatefulSet's PVCs cuts one VolumeGroupSnapshot and records each
 * member's VolumeSnapshot, content and handle; the members restore into a new namespace;
 * snapshot+move moves the members and a restore brings the data back byte for byte;
 * deleting the Backup deletes the group with its members; without a class, `required`
 * fails clearly and `auto` cuts one snapshot per PVC.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { eventually } from '../helpers/eventually.ts';
import { claimsBound, createHoldfast, startVolumeCluster, createStatefulSet, filesOf, finished, getHoldfast, names, OPERATOR_NS, type HoldfastObject, type VolumeCluster } from './volumes-fixture.ts';

const SNAPSHOTS = '/apis/snapshot.storage.k8s.io/v1';
const GROUPS = '/apis/groupsnapshot.storage.k8s.io/v1';
const GROUP_LABEL = 'holdfast.dev/group-snapshot';

interface VolumeStatus { namespace: string; claimName: string; phase: string; snapshotId?: string; snapshotHandle?: string; volumeSnapshotName?: string; volumeSnapshotContentName?: string; volumeGroupSnapshotName?: string; message?: string }
interface Snapshot { metadata: { name: string; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> }; spec: { source: { persistentVolumeClaimName?: string } }; status?: { readyToUse?: boolean; volumeGroupSnapshotName?: string; boundVolumeSnapshotContentName?: string } }
interface Group { metadata: { name: string }; spec: { volumeGroupSnapshotClassName?: string; source: { selector?: { matchLabels?: Record<string, string> } } }; status?: { readyToUse?: boolean; boundVolumeGroupSnapshotContentName?: string } }

let c: VolumeCluster;
let dir: string;
const volumesOf = (o: HoldfastObject): VolumeStatus[] => (o.status?.volumes ?? []) as VolumeStatus[];
const detail = (o: HoldfastObject | undefined): string => JSON.stringify(o?.status, null, 1);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-volumes-group-'));
  c = await startVolumeCluster('volumes-group', { repository: join(dir, 'repo'), groupSnapshots: true });
  await c.plane.createNamespace('app');
  await createStatefulSet(c, 'app', 'db', 2);
  await claimsBound(c, 'app', ['data-db-0', 'data-db-1']);
  for (const ordinal of [0, 1]) {
    const d = await c.csi.claimDir('app', `data-db-${ordinal}`);
    await writeFile(join(d, 'table.dat'), Buffer.alloc(200_000 + ordinal, ordinal + 1));
    await writeFile(join(d, 'log.txt'), `replica ${ordinal}\n`);
  }
});

after(async () => {
  if (process.exitCode) console.log(c?.csi.logs(30));
  await c?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function sameFiles(fromNs: string, toNs: string): Promise<void> {
  for (const ordinal of [0, 1]) {
    const original = await filesOf(await c.csi.claimDir(fromNs, `data-db-${ordinal}`));
    const copy = await filesOf(await c.csi.claimDir(toNs, `data-db-${ordinal}`));
    assert.deepEqual([...copy.keys()].sort(), [...original.keys()].sort());
    for (const [path, data] of original) assert.ok(copy.get(path)?.equals(data), `${path} of data-db-${ordinal} restored byte for byte`);
  }
}

async function claimLabels(): Promise<Array<Record<string, string>>> {
  const core = c.kc.makeApiClient(CoreV1Api);
  return Promise.all([0, 1].map(async (i) => (await core.readNamespacedPersistentVolumeClaim({ namespace: 'app', name: `data-db-${i}` })).metadata?.labels ?? {}));
}

describe('group snapshots', () => {
  let snap: HoldfastObject;

  it('a snapshot backup of a StatefulSet cuts one VolumeGroupSnapshot and records each member', async () => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'snap', { repositoryRef: { name: 'main' }, method: 'snapshot', selection: { namespaces: ['app'] }, volumes: {} });
    snap = await finished(c, 'backups', OPERATOR_NS, 'snap');
    assert.equal(snap.status?.phase, 'Completed', detail(snap));
    const volumes = volumesOf(snap);
    assert.deepEqual(volumes.map((v) => `${v.claimName} ${v.phase}`), ['data-db-0 Completed', 'data-db-1 Completed']);
    const groupName = volumes[0]?.volumeGroupSnapshotName ?? '';
    assert.match(groupName, /^snap-group-hostpath-csi-k8s-io-[0-9a-f]{8}$/);
    assert.ok(volumes.every((v) => v.volumeGroupSnapshotName === groupName), 'both PVCs are in the one group');
    const group = await c.http.get<Group>(`${GROUPS}/namespaces/app/volumegroupsnapshots/${groupName}`);
    assert.equal(group.status?.readyToUse, true);
    assert.equal(group.spec.volumeGroupSnapshotClassName, c.csi.groupSnapshotClassName);
    assert.deepEqual(group.spec.source.selector, { matchLabels: { [GROUP_LABEL]: groupName } }, 'no claim selector: a temporary label');
    assert.deepEqual((await claimLabels()).map((l) => l[GROUP_LABEL]), [undefined, undefined], 'the temporary label is gone');
    const createdAt = new Set<string>();
    for (const v of volumes) {
      const member = await c.http.get<Snapshot>(`${SNAPSHOTS}/namespaces/app/volumesnapshots/${v.volumeSnapshotName ?? ''}`);
      assert.equal(member.spec.source.persistentVolumeClaimName, v.claimName);
      assert.equal(member.status?.volumeGroupSnapshotName, groupName);
      assert.equal(member.status?.boundVolumeSnapshotContentName, v.volumeSnapshotContentName);
      assert.equal(member.metadata.labels?.['holdfast.dev/backup'], snap.metadata.uid);
      assert.match(v.snapshotHandle ?? '', /^groupsnapshot-[0-9a-f-]+-pvc-[0-9a-f-]+$/);
      const meta = JSON.parse(readFileSync(join(c.csi.stateDir, 'snapshots', `${v.snapshotHandle ?? ''}.json`), 'utf8')) as { createdAt: string; group: string };
      createdAt.add(meta.createdAt);
    }
    assert.equal(createdAt.size, 1, 'one cut: every member has the same creation time');
  });

  it('the members restore into a new namespace byte for byte', async () => {
    await createHoldfast(c, 'restores', OPERATOR_NS, 'snap-copy', { source: { backupName: 'snap' }, namespaceMapping: { app: 'app-snapcopy' } });
    const r = await finished(c, 'restores', OPERATOR_NS, 'snap-copy', 120_000);
    assert.equal(r.status?.phase, 'Completed', detail(r));
    assert.deepEqual(volumesOf(r).map((v) => `${v.claimName} ${String((v as { from?: string }).from)}`), ['data-db-0 volume-snapshot', 'data-db-1 volume-snapshot']);
    await sameFiles('app', 'app-snapcopy');
  });

  it('snapshot+move moves the members, removes the group, and restores byte for byte', async () => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'move', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['app'] }, volumes: { claimSelector: { matchLabels: { app: 'db' } } } });
    const uid = (await eventually('the move Backup uid', async () => (await getHoldfast(c, 'backups', OPERATOR_NS, 'move'))?.metadata.uid)) ?? '';
    const group = await eventually('the VolumeGroupSnapshot of the move', async () => (await c.http.get<{ items: Group[] }>(`${GROUPS}/namespaces/app/volumegroupsnapshots`, { labelSelector: `holdfast.dev/backup=${uid}` })).items[0]);
    assert.deepEqual(group.spec.source.selector, { matchLabels: { app: 'db' } }, 'the claim selector matches exactly the PVCs: used as is');
    const b = await finished(c, 'backups', OPERATOR_NS, 'move', 180_000);
    assert.equal(b.status?.phase, 'Completed', detail(b));
    for (const v of volumesOf(b)) {
      assert.match(v.snapshotId ?? '', /^[0-9a-f]{64}$/);
      assert.equal(v.volumeGroupSnapshotName, undefined, 'the group is deleted after the move');
    }
    await eventually('the group and its members to be gone', async () => {
      const left = [...(await names(c, `${GROUPS}/volumegroupsnapshots`, `holdfast.dev/backup=${uid}`)), ...(await names(c, `${SNAPSHOTS}/volumesnapshots`, `holdfast.dev/backup=${uid}`))];
      return left.length === 0 ? true : undefined;
    }, 60_000);
    await createHoldfast(c, 'restores', OPERATOR_NS, 'move-copy', { source: { backupName: 'move' }, namespaceMapping: { app: 'app-copy' } });
    const r = await finished(c, 'restores', OPERATOR_NS, 'move-copy', 180_000);
    assert.equal(r.status?.phase, 'Completed', detail(r));
    assert.deepEqual(volumesOf(r).map((v) => `${v.claimName} ${String((v as { from?: string }).from)}`), ['data-db-0 repository', 'data-db-1 repository']);
    await sameFiles('app', 'app-copy');
  });

  it('deleting the snapshot Backup deletes its group, the members and the storage snapshots', async () => {
    const groupName = volumesOf(snap)[0]?.volumeGroupSnapshotName ?? '';
    const handles = volumesOf(snap).map((v) => v.snapshotHandle ?? '');
    await c.http.delete(`/apis/holdfast.dev/v1alpha1/namespaces/${OPERATOR_NS}/backups/snap`);
    await eventually('the group, its members and their storage to be gone', async () => {
      const groups = await names(c, `${GROUPS}/namespaces/app/volumegroupsnapshots`);
      const members = await names(c, `${SNAPSHOTS}/namespaces/app/volumesnapshots`, `holdfast.dev/backup=${snap.metadata.uid ?? ''}`);
      const stored = handles.filter((h) => existsSync(join(c.csi.stateDir, 'snapshots', `${h}.tar.gz`)));
      return !groups.includes(groupName) && members.length === 0 && stored.length === 0 ? true : undefined;
    }, 60_000);
  });

  it('without a VolumeGroupSnapshotClass, required fails clearly and auto cuts one snapshot per PVC', async () => {
    const className = c.csi.groupSnapshotClassName ?? '';
    const saved = await c.http.get<Record<string, unknown> & { metadata: Record<string, unknown> }>(`${GROUPS}/volumegroupsnapshotclasses/${className}`);
    await c.http.delete(`${GROUPS}/volumegroupsnapshotclasses/${className}`);
    try {
      await createHoldfast(c, 'backups', 'app', 'required', { repositoryRef: { name: 'main' }, method: 'snapshot', volumes: { groupSnapshot: 'required' } });
      const failed = await finished(c, 'backups', 'app', 'required');
      assert.equal(failed.status?.phase, 'Failed', detail(failed));
      const message = failed.status?.conditions?.find((x) => x.type === 'Succeeded')?.message ?? '';
      assert.match(message, /spec\.volumes\.groupSnapshot is required, but CSI driver hostpath\.csi\.k8s\.io offers no group snapshots \(no VolumeGroupSnapshotClass for it\)/);
      assert.deepEqual(await names(c, `${SNAPSHOTS}/namespaces/app/volumesnapshots`, `holdfast.dev/backup=${failed.metadata.uid ?? ''}`), []);
      await createHoldfast(c, 'backups', 'app', 'auto', { repositoryRef: { name: 'main' }, method: 'snapshot', volumes: {} });
      const auto = await finished(c, 'backups', 'app', 'auto');
      assert.equal(auto.status?.phase, 'Completed', detail(auto));
      for (const v of volumesOf(auto)) {
        assert.equal(v.volumeGroupSnapshotName, undefined);
        assert.match(v.volumeSnapshotName ?? '', new RegExp(`^auto-${v.claimName}-`));
        assert.match(v.snapshotHandle ?? '', /^snapshot-/);
      }
    } finally {
      await c.http.post(`${GROUPS}/volumegroupsnapshotclasses`, { ...saved, metadata: { name: className, annotations: saved.metadata.annotations } });
    }
  });
});
