/**
 * In-place restore on a real control plane with CSI storage and the node agent: a
 * Deployment's PVC whose data changed after a snapshot+move backup is refilled in place —
 * the Deployment is scaled down (its pods go), the PVC ends up holding exactly the backup,
 * and the Deployment is back at its replicas with new pods. When the refill fails midway
 * (a data pack of the backup is gone from the repository), the PVC is put back from the
 * safety copy, the Deployment is scaled back up, and the Restore fails saying so. A clone
 * under new names beside the original carries the provenance of its volume data.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { ANNOTATIONS } from '#src/k8s/api/group.ts';
import { eventually } from '../helpers/eventually.ts';
import { claimsBound, createHoldfast, filesOf, finished, names, startVolumeCluster, type HoldfastObject, type VolumeCluster } from './volumes-fixture.ts';
import { createClaim, createDeployment, deployment, packs, runningPods } from './volumes-inplace-fixture.ts';

let c: VolumeCluster;
let dir: string;
let repository: string;
/** The volume's files at backup time. */
let backedUp: Map<string, Buffer>;
/** The data packs the backup's volume move wrote. */
let movePacks: string[];

interface VolumeResult { namespace: string; claimName: string; phase: string; safetySnapshotId?: string; message?: string }
const volumesOf = (o: HoldfastObject): VolumeResult[] => (o.status?.volumes ?? []) as VolumeResult[];
const detail = (o: HoldfastObject | undefined): string => JSON.stringify(o?.status, null, 1);

function assertSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>, what: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: the same files`);
  for (const [path, data] of expected) assert.ok(actual.get(path)?.equals(data), `${what}: ${path} byte for byte`);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-inplace-'));
  repository = join(dir, 'repo');
  c = await startVolumeCluster('inplace', { repository });
  await c.plane.createNamespace('web');
  await createClaim(c, 'web', 'web-data');
  await claimsBound(c, 'web', ['web-data']);
  const d = await c.csi.claimDir('web', 'web-data');
  await writeFile(join(d, 'table.dat'), randomBytes(1_000_000));
  await writeFile(join(d, 'notes.txt'), 'as backed up\n');
  await createDeployment(c, 'web', 'web', 'web-data', 2);
  await runningPods(c, 'web', 'web', 2);
  backedUp = await filesOf(d);
  const packsBefore = await packs(repository);
  await createHoldfast(c, 'backups', 'web', 'b1', { repositoryRef: { name: 'main' }, method: 'snapshot+move', volumes: {} });
  const b = await finished(c, 'backups', 'web', 'b1', 180_000);
  assert.equal(b.status?.phase, 'Completed', detail(b));
  movePacks = [...(await packs(repository))].filter(([p]) => !packsBefore.has(p)).sort((x, y) => y[1] - x[1]).map(([p]) => p);
});

after(async () => {
  await c?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('in-place restore', () => {
  it('refills a Deployment\'s PVC with the backup byte for byte and scales the Deployment back to its replicas', async () => {
    const d = await c.csi.claimDir('web', 'web-data');
    await writeFile(join(d, 'table.dat'), randomBytes(700_000));
    await unlink(join(d, 'notes.txt'));
    await writeFile(join(d, 'added-later.txt'), 'not in the backup\n');
    const podsBefore = await runningPods(c, 'web', 'web', 2);
    await createHoldfast(c, 'restores', 'web', 'r1', { source: { backupName: 'b1' }, volumes: { mode: 'in-place', scaleDownTimeoutSeconds: 60 } });
    const r = await finished(c, 'restores', 'web', 'r1', 240_000);
    assert.equal(r.status?.phase, 'Completed', detail(r));
    assert.deepEqual(volumesOf(r).map((v) => `${v.namespace}/${v.claimName} ${v.phase}`), ['web/web-data Completed']);
    assert.match(volumesOf(r)[0]?.safetySnapshotId ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(r.status?.scaledWorkloads, [{ kind: 'Deployment', namespace: 'web', name: 'web', replicas: 2 }]);
    assertSameFiles(await filesOf(d), backedUp, 'the refilled PVC');
    const dep = await deployment(c, 'web', 'web');
    assert.equal(dep.replicas, 2);
    assert.equal(dep.annotations[ANNOTATIONS.replicasBeforeScaleDown], undefined, 'the replica annotation is removed');
    const podsAfter = await runningPods(c, 'web', 'web', 2);
    assert.ok(podsAfter.every((uid) => !podsBefore.includes(uid)), 'the pods were stopped and started again');
    const uidLabel = `holdfast.dev/restore=${r.metadata.uid ?? ''}`;
    assert.deepEqual(await names(c, '/apis/batch/v1/namespaces/web/jobs', uidLabel), []);
    await eventually('the mover credentials Secrets to be collected with their Jobs', async () => ((await names(c, '/api/v1/namespaces/web/secrets', uidLabel)).length === 0 ? true : undefined), 60_000);
  });

  it('a clone under new names beside the original keeps provenance annotations on its PVC', async () => {
    await createHoldfast(c, 'restores', 'web', 'clone', { source: { backupName: 'b1' }, rename: { prefix: 'clone-' } });
    const r = await finished(c, 'restores', 'web', 'clone', 240_000);
    assert.equal(r.status?.phase, 'Completed', detail(r));
    await claimsBound(c, 'web', ['clone-web-data']);
    const pvc = await c.kc.makeApiClient(CoreV1Api).readNamespacedPersistentVolumeClaim({ namespace: 'web', name: 'clone-web-data' });
    const a = pvc.metadata?.annotations ?? {};
    assert.equal(a[ANNOTATIONS.restoredFromBackup], 'web/b1');
    assert.equal(a[ANNOTATIONS.restoredFromVolume], 'web/web-data');
    assert.match(a[ANNOTATIONS.restoredFromVolumeSnapshot] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(a[ANNOTATIONS.originalName], 'web/web-data');
    assertSameFiles(await filesOf(await c.csi.claimDir('web', 'clone-web-data')), backedUp, 'the cloned PVC');
  });

  it('a refill that fails midway puts back what the PVC held and scales the Deployment back up', async () => {
    const d = await c.csi.claimDir('web', 'web-data');
    await writeFile(join(d, 'table.dat'), randomBytes(400_000));
    await writeFile(join(d, 'current.txt'), 'what the application holds now\n');
    // Nothing of what the PVC holds now may share a blob with the backup: its safety copy would dedup against the pack deleted below.
    await unlink(join(d, 'notes.txt'));
    const current = await filesOf(d);
    const dataPack = movePacks[0];
    assert.ok(dataPack !== undefined && (await packs(repository)).has(dataPack), 'the backup\'s data pack is there');
    await unlink(dataPack);
    await createHoldfast(c, 'restores', 'web', 'r2', { source: { backupName: 'b1' }, volumes: { mode: 'in-place', scaleDownTimeoutSeconds: 60 } });
    const r = await finished(c, 'restores', 'web', 'r2', 240_000);
    assert.equal(r.status?.phase, 'Failed', detail(r));
    const message = r.status?.conditions?.find((x) => x.type === 'Succeeded')?.message ?? '';
    assert.match(message, /in-place restore failed: mover Job web\/holdfast-fill-web-data-\w+ failed: .*; every PVC holds what it held before and the workloads were scaled back up/);
    assert.deepEqual(volumesOf(r).map((v) => `${v.claimName} ${v.phase}`), ['web-data RolledBack']);
    assertSameFiles(await filesOf(d), current, 'the rolled-back PVC');
    assert.equal((await deployment(c, 'web', 'web')).replicas, 2);
    await runningPods(c, 'web', 'web', 2);
  });
});
