/**
 * The volume populator on a real control plane with CSI storage and the node agent: a PVC
 * whose dataSourceRef names a Backup (and, by annotation, its volume) is filled from the
 * repository through a prime PVC and a mover Job in the operator namespace, and binds to
 * the filled volume; a PVC naming a Backup that does not exist gets a Warning Event and
 * stays Pending.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { ANNOTATIONS } from '#src/k8s/api/group.ts';
import type { Controller } from '#src/controllers/runtime/controller.ts';
import { eventually } from '../helpers/eventually.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';
import { claimsBound, createHoldfast, filesOf, finished, names, OPERATOR_NS, startVolumeCluster, type VolumeCluster } from './volumes-fixture.ts';
import { createClaim, eventsAbout } from './volumes-inplace-fixture.ts';

let c: VolumeCluster;
let populator: Controller[];
let dir: string;
let backedUp: Map<string, Buffer>;
const BACKUP_REF = (name: string): Record<string, string> => ({ apiGroup: 'holdfast.dev', kind: 'Backup', name });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-populator-'));
  c = await startVolumeCluster('populator', { repository: join(dir, 'repo') });
  populator = await startControllers(c.kc, ['VolumePopulator']);
  await c.plane.createNamespace('src');
  for (const claim of ['data', 'other']) await createClaim(c, 'src', claim);
  await claimsBound(c, 'src', ['data', 'other']);
  const d = await c.csi.claimDir('src', 'data');
  await writeFile(join(d, 'table.dat'), randomBytes(500_000));
  await writeFile(join(d, 'readme.txt'), 'populated\n');
  await writeFile(join(await c.csi.claimDir('src', 'other'), 'other.txt'), 'the other volume\n');
  backedUp = await filesOf(d);
  await createHoldfast(c, 'backups', 'src', 'b', { repositoryRef: { name: 'main' }, method: 'snapshot+move', volumes: {} });
  const b = await finished(c, 'backups', 'src', 'b', 180_000);
  assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
});

after(async () => {
  if (populator) await stopControllers(populator);
  await c?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('volume populator', () => {
  it('fills a new PVC from a backup volume and the PVC binds to the filled volume', async () => {
    await createClaim(c, 'src', 'copy', { dataSourceRef: BACKUP_REF('b'), annotations: { [ANNOTATIONS.sourceVolume]: 'src/data' } });
    await claimsBound(c, 'src', ['copy'], 180_000);
    const copy = await filesOf(await c.csi.claimDir('src', 'copy'));
    assert.deepEqual([...copy.keys()].sort(), [...backedUp.keys()].sort());
    for (const [path, data] of backedUp) assert.ok(copy.get(path)?.equals(data), `${path} byte for byte`);
    const core = c.kc.makeApiClient(CoreV1Api);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace: 'src', name: 'copy' });
    const pv = await core.readPersistentVolume({ name: pvc.spec?.volumeName ?? '' });
    assert.equal(pv.metadata?.annotations?.[ANNOTATIONS.populatedFor], 'src/copy');
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete', 'the reclaim policy is the class\'s');
    await eventually('the prime PVC and its Job to be gone', async () => {
      const left = [...(await names(c, `/api/v1/namespaces/${OPERATOR_NS}/persistentvolumeclaims`, 'holdfast.dev/populate')), ...(await names(c, `/apis/batch/v1/namespaces/${OPERATOR_NS}/jobs`, 'holdfast.dev/populate'))];
      return left.length === 0 ? true : undefined;
    }, 60_000);
    assert.ok((await eventsAbout(c, 'src', 'PersistentVolumeClaim', 'copy')).some((e) => e.reason === 'Populated'));
  });

  it('a PVC naming a Backup that does not exist gets a Warning Event and stays Pending', async () => {
    await createClaim(c, 'src', 'orphan', { dataSourceRef: BACKUP_REF('no-such-backup') });
    const event = await eventually('the BackupNotFound Event', async () => (await eventsAbout(c, 'src', 'PersistentVolumeClaim', 'orphan')).find((e) => e.reason === 'BackupNotFound'), 60_000);
    assert.equal(event.type, 'Warning');
    assert.match(event.note ?? '', /Backup src\/no-such-backup named by spec.dataSourceRef does not exist/);
    await sleep(3000);
    const pvc = await c.kc.makeApiClient(CoreV1Api).readNamespacedPersistentVolumeClaim({ namespace: 'src', name: 'orphan' });
    assert.equal(pvc.status?.phase, 'Pending');
    assert.deepEqual(await names(c, `/api/v1/namespaces/${OPERATOR_NS}/persistentvolumeclaims`, 'holdfast.dev/populate'), []);
  });

  it('a PVC naming a Backup with several volumes and no annotation is told which to choose', async () => {
    await createClaim(c, 'src', 'ambiguous', { dataSourceRef: BACKUP_REF('b') });
    const event = await eventually('the VolumeNotFound Event', async () => (await eventsAbout(c, 'src', 'PersistentVolumeClaim', 'ambiguous')).find((e) => e.reason === 'VolumeNotFound'), 60_000);
    assert.match(event.note ?? '', /holds several volumes \(src\/data, src\/other\); name one with the annotation holdfast\.dev\/source-volume/);
  });
});
