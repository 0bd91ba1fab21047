/**
 * Volume data end to end on a real control plane with CSI storage and the node agent
 * running pods (kube-controller-manager makes the StatefulSet's PVCs and the Jobs' pods):
 * a snapshot backup of a StatefulSet's PVCs keeps VolumeSnapshots and records their
 * handles; snapshot+move copies the volumes into the repository with mover Jobs and a
 * restore into a new namespace brings them back byte for byte; a second move reads only
 * the changed file; deleting a running Backup stops its Job and removes what it made; an
 * operator stopping mid-move leaves the Backup and its Job running and the next leader
 * adopts the Job and completes the Backup; a
 * mover with the wrong password fails the Backup with that message and leaves nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { systemClock } from '#src/core/clock.ts';
import { silentLogger } from '#src/core/logger.ts';
import { EngineRepositories } from '#src/bin/engine-repositories.ts';
import { readRecord } from '#src/controllers/backup/record.ts';
import { cliFor, show } from '../helpers/cli.ts';
import { eventually } from '../helpers/eventually.ts';
import { claimsBound, createHoldfast, createStatefulSet, filesOf, finished, getHoldfast, names, OPERATOR_NS, startVolumeCluster, type HoldfastObject, type VolumeCluster } from './volumes-fixture.ts';

let c: VolumeCluster;
let dir: string;
const SNAPSHOTS = '/apis/snapshot.storage.k8s.io/v1';

interface VolumeStatus { namespace: string; claimName: string; phase: string; snapshotId?: string; parentSnapshotId?: string; snapshotHandle?: string; volumeSnapshotName?: string; volumeSnapshotContentName?: string; bytesNew?: number; bytesDone?: number; bytesTotal?: number; driver?: string; capacity?: string; message?: string }

const volumesOf = (o: HoldfastObject): VolumeStatus[] => (o.status?.volumes ?? []) as VolumeStatus[];

function detail(o: HoldfastObject | undefined): string {
  return JSON.stringify(o?.status, null, 1);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-volumes-'));
  c = await startVolumeCluster('volumes', { repository: join(dir, 'repo') });
  await c.plane.createNamespace('app');
  await createStatefulSet(c, 'app', 'db', 2);
  await claimsBound(c, 'app', ['data-db-0', 'data-db-1']);
  for (const ordinal of [0, 1]) {
    const d = await c.csi.claimDir('app', `data-db-${ordinal}`);
    await writeFile(join(d, 'table.dat'), Buffer.alloc(300_000 + ordinal, ordinal + 1));
    await writeFile(join(d, 'unchanged.bin'), Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7 + ordinal) % 251)));
    await writeFile(join(d, 'small.txt'), `replica ${ordinal}\n`);
  }
});

after(async () => {
  await c?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What the volume stages left behind in the operator namespace and the snapshot API. */
async function leftovers(uidLabel: string): Promise<string[]> {
  return [
    ...(await names(c, `/apis/batch/v1/namespaces/${OPERATOR_NS}/jobs`, uidLabel)).map((n) => `job/${n}`),
    ...(await names(c, `/api/v1/namespaces/${OPERATOR_NS}/persistentvolumeclaims`, uidLabel)).map((n) => `pvc/${n}`),
    ...(await names(c, `${SNAPSHOTS}/volumesnapshots`, uidLabel)).map((n) => `volumesnapshot/${n}`),
    ...(await names(c, `${SNAPSHOTS}/volumesnapshotcontents`, uidLabel)).map((n) => `content/${n}`),
  ];
}

describe('volume data', () => {
  let moved: HoldfastObject;

  it('a snapshot backup of a StatefulSet keeps a VolumeSnapshot per PVC and records their handles', async () => {
    await createHoldfast(c, 'backups', 'app', 'snap', { repositoryRef: { name: 'main' }, method: 'snapshot', volumes: {} });
    const b = await finished(c, 'backups', 'app', 'snap');
    assert.equal(b.status?.phase, 'Completed', detail(b));
    const volumes = volumesOf(b);
    assert.deepEqual(volumes.map((v) => `${v.claimName} ${v.phase}`), ['data-db-0 Completed', 'data-db-1 Completed']);
    for (const v of volumes) {
      assert.match(v.snapshotHandle ?? '', /^snapshot-/);
      assert.equal(v.driver, c.csi.driverName);
      assert.equal(v.capacity, '64Mi');
      const snap = await c.http.get<{ status?: { readyToUse?: boolean } }>(`${SNAPSHOTS}/namespaces/app/volumesnapshots/${v.volumeSnapshotName ?? ''}`);
      assert.equal(snap.status?.readyToUse, true);
    }
    const files = await new EngineRepositories(systemClock, silentLogger).read({ location: join(dir, 'repo'), password: 'volume-pw' }, String(b.status?.snapshotId));
    const record = readRecord(files);
    assert.deepEqual(record?.volumes.map((v) => v.snapshotHandle), volumes.map((v) => v.snapshotHandle));
    assert.deepEqual(await leftovers(`holdfast.dev/backup=${b.metadata.uid ?? ''}`), volumes.map((v) => `volumesnapshot/${v.volumeSnapshotName ?? ''}`).sort());
  });

  it('snapshot+move copies each volume into the repository with a mover Job and leaves nothing behind', async () => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'move-1', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['app'] }, volumes: {} });
    moved = await finished(c, 'backups', OPERATOR_NS, 'move-1', 180_000);
    assert.equal(moved.status?.phase, 'Completed', detail(moved));
    for (const v of volumesOf(moved)) {
      assert.match(v.snapshotId ?? '', /^[0-9a-f]{64}$/);
      assert.equal(v.bytesDone, v.bytesTotal);
      assert.equal(v.volumeSnapshotName, undefined, 'the VolumeSnapshot is deleted after the move');
    }
    const snapshots = (moved.status?.snapshots ?? []) as Array<{ type: string; name?: string }>;
    assert.deepEqual(snapshots.filter((s) => s.type === 'volume').map((s) => s.name).sort(), ['app/data-db-0', 'app/data-db-1']);
    // Each VolumeSnapshot is deleted once its volume is moved; the snapshot controller
    // then lifts its finalizer, so one may outlive the Backup's completion by a moment.
    const uid = `holdfast.dev/backup=${moved.metadata.uid ?? ''}`;
    await eventually('no objects of move-1 left', async () => ((await leftovers(uid)).length === 0 ? true : undefined), 30_000).catch(async () => {
      assert.deepEqual(await leftovers(uid), []);
    });
  });

  it('restores the moved volumes into a new namespace byte for byte, and the StatefulSet runs on them', async () => {
    await createHoldfast(c, 'restores', OPERATOR_NS, 'to-copy', { source: { backupName: 'move-1' }, namespaceMapping: { app: 'app-copy' } });
    const r = await finished(c, 'restores', OPERATOR_NS, 'to-copy', 180_000);
    assert.equal(r.status?.phase, 'Completed', detail(r));
    assert.deepEqual(volumesOf(r).map((v) => `${v.namespace}/${v.claimName} ${v.phase} ${String((v as { from?: string }).from)}`), ['app-copy/data-db-0 Completed repository', 'app-copy/data-db-1 Completed repository']);
    for (const ordinal of [0, 1]) {
      const original = await filesOf(await c.csi.claimDir('app', `data-db-${ordinal}`));
      const copy = await filesOf(await c.csi.claimDir('app-copy', `data-db-${ordinal}`));
      assert.deepEqual([...copy.keys()].sort(), [...original.keys()].sort());
      for (const [path, data] of original) assert.ok(copy.get(path)?.equals(data), `${path} of data-db-${ordinal} restored byte for byte`);
    }
    const core = c.kc.makeApiClient(CoreV1Api);
    await eventually('the restored StatefulSet pods to run', async () => {
      const pods = (await core.listNamespacedPod({ namespace: 'app-copy' })).items;
      return pods.length === 2 && pods.every((p) => p.status?.phase === 'Running') ? true : undefined;
    }, 60_000);
    assert.deepEqual(await leftovers(`holdfast.dev/restore=${r.metadata.uid ?? ''}`), []);
  });

  it('a second move of a changed volume reads only the changed file', async () => {
    const d = await c.csi.claimDir('app', 'data-db-0');
    await writeFile(join(d, 'table.dat'), Buffer.alloc(300_123, 9));
    await createHoldfast(c, 'backups', OPERATOR_NS, 'move-2', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['app'] }, volumes: { claimSelector: { matchLabels: { app: 'db' } } } });
    const b = await finished(c, 'backups', OPERATOR_NS, 'move-2', 180_000);
    assert.equal(b.status?.phase, 'Completed', detail(b));
    const before = new Map(volumesOf(moved).map((v) => [v.claimName, v]));
    for (const v of volumesOf(b)) assert.equal(v.parentSnapshotId, before.get(v.claimName)?.snapshotId, `${v.claimName} is incremental to the first move`);
    const stats = b.status?.stats as { bytesRead?: number; filesChanged?: number; filesUnchanged?: number };
    console.log(`second move: ${JSON.stringify(stats)}; volumes ${JSON.stringify(volumesOf(b).map((v) => ({ claim: v.claimName, bytesNew: v.bytesNew, bytesTotal: v.bytesTotal })))}`);
    assert.equal(stats.bytesRead, 300_123, 'only the changed file was read');
    assert.equal(stats.filesChanged, 1);
    assert.equal(stats.filesUnchanged, 5);
  });

  it('method filesystem copies the live PVCs with mover Jobs beside them, and they restore byte for byte', async () => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'live', { repositoryRef: { name: 'main' }, method: 'filesystem', selection: { namespaces: ['app'] }, volumes: { claimSelector: { matchLabels: { app: 'db' } } } });
    const b = await finished(c, 'backups', OPERATOR_NS, 'live', 180_000);
    assert.equal(b.status?.phase, 'Completed', detail(b));
    for (const v of volumesOf(b)) {
      assert.equal(v.phase, 'Completed');
      assert.match(v.snapshotId ?? '', /^[0-9a-f]{64}$/);
      assert.equal(v.volumeSnapshotName, undefined, 'no VolumeSnapshot is cut');
      assert.ok(v.parentSnapshotId, `${v.claimName} is incremental to the earlier moves`);
    }
    assert.deepEqual(await names(c, '/apis/batch/v1/namespaces/app/jobs', `holdfast.dev/backup=${b.metadata.uid ?? ''}`), [], 'the mover Jobs beside the PVCs are gone');
    // The operator deletes only the Jobs; their credential Secrets (owned by them) go with the garbage collector a moment later.
    const secrets = async (): Promise<string[]> => names(c, '/api/v1/namespaces/app/secrets', `holdfast.dev/backup=${b.metadata.uid ?? ''}`);
    await eventually('the credential Secrets to be collected with their Jobs', async () => ((await secrets()).length === 0 ? true : undefined), 60_000).catch(async () => {
      assert.deepEqual(await secrets(), [], 'so are their credential Secrets');
    });
    await createHoldfast(c, 'restores', OPERATOR_NS, 'from-live', { source: { backupName: 'live' }, namespaceMapping: { app: 'app-live' } });
    const r = await finished(c, 'restores', OPERATOR_NS, 'from-live', 180_000);
    assert.equal(r.status?.phase, 'Completed', detail(r));
    for (const ordinal of [0, 1]) {
      const original = await filesOf(await c.csi.claimDir('app', `data-db-${ordinal}`));
      const copy = await filesOf(await c.csi.claimDir('app-live', `data-db-${ordinal}`));
      assert.deepEqual([...copy.keys()].sort(), [...original.keys()].sort());
      for (const [path, data] of original) assert.ok(copy.get(path)?.equals(data), `${path} of data-db-${ordinal} restored byte for byte`);
    }
  });

  it('deleting a running Backup stops its mover Job and removes everything it made', async () => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'cancelled', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['app'] }, volumes: { excludedClaims: ['data-db-0'] } });
    const { uid, pod } = await moverStarted('cancelled');
    // Hold the mover still (SIGSTOP) so the Backup is surely deleted while its Job runs.
    await whileStopped(pod, async () => {
      await c.http.delete(`/apis/holdfast.dev/v1alpha1/namespaces/${OPERATOR_NS}/backups/cancelled`);
      await eventually('the Backup to be gone', async () => ((await getHoldfast(c, 'backups', OPERATOR_NS, 'cancelled')) === undefined ? true : undefined), 120_000);
      await eventually('its Job, pod, PVC and snapshots to be gone', async () => {
        const left = [...(await leftovers(`holdfast.dev/backup=${uid}`)), ...(await names(c, `/api/v1/namespaces/${OPERATOR_NS}/pods`, `holdfast.dev/backup=${uid}`))];
        return left.length === 0 ? true : undefined;
      }, 60_000);
    });
  });

  it('an operator stopping while a mover runs stops at once and leaves the Backup and its Job to the next leader, which adopts the Job and completes', async (t) => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'handover', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['app'] }, volumes: { excludedClaims: ['data-db-0'] } });
    const { uid, pod } = await moverStarted('handover');
    const jobs = async (): Promise<string[]> => (await c.http.get<{ items: Array<{ metadata: { uid: string } }> }>(`/apis/batch/v1/namespaces/${OPERATOR_NS}/jobs?labelSelector=${encodeURIComponent(`holdfast.dev/backup=${uid}`)}`)).items.map((j) => j.metadata.uid);
    await whileStopped(pod, async () => {
      const started = Date.now();
      await c.stopOperator();
      t.diagnostic(`the controllers stopped ${Date.now() - started} ms after the request`);
      assert.ok(Date.now() - started < 30_000, 'a running mover does not hold the operator up');
      const b = await getHoldfast(c, 'backups', OPERATOR_NS, 'handover');
      assert.equal(b?.status?.phase, 'InProgress', `an interrupted Backup is neither failed nor cancelled: ${detail(b)}`);
      const running = await jobs();
      assert.equal(running.length, 1, 'the mover Job runs on');
      await c.startOperator();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.deepEqual(await jobs(), running, 'the next leader adopts the Job rather than making a new one');
    });
    const done = await finished(c, 'backups', OPERATOR_NS, 'handover', 180_000);
    assert.equal(done.status?.phase, 'Completed', detail(done));
    assert.ok(volumesOf(done).some((v) => v.claimName === 'data-db-1' && v.snapshotId), detail(done));
  });

  it('a mover that cannot open the repository fails the Backup with its message and leaves nothing behind', async () => {
    const core = c.kc.makeApiClient(CoreV1Api);
    await createHoldfast(c, 'backups', OPERATOR_NS, 'wrong-password', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['app'] }, volumes: { excludedClaims: ['data-db-1'] } });
    // The operator read the password when it admitted the Backup; the mover pod, started later, gets a wrong one.
    await eventually('the volume stages to start', async () => {
      const b = await getHoldfast(c, 'backups', OPERATOR_NS, 'wrong-password');
      return b && volumesOf(b).some((v) => v.phase !== 'Pending') ? true : undefined;
    });
    await core.replaceNamespacedSecret({ namespace: OPERATOR_NS, name: 'repo-key', body: { metadata: { name: 'repo-key' }, stringData: { password: 'not-the-password' } } });
    try {
      const b = await finished(c, 'backups', OPERATOR_NS, 'wrong-password', 180_000);
      assert.equal(b.status?.phase, 'Failed', detail(b));
      const message = b.status?.conditions?.find((x) => x.type === 'Succeeded')?.message ?? '';
      assert.match(message, /mover Job holdfast-system\/holdfast-move-data-db-0-\w+ failed: holdfast: wrong password for the repository/);
      assert.match(volumesOf(b)[0]?.message ?? '', /wrong password/);
      // Deleted: a VolumeSnapshot goes once the snapshot controller drops its finalizers (the temporary PVC made from it goes first).
      await eventually('its Job, PVC and snapshots to be gone', async () => ((await leftovers(`holdfast.dev/backup=${b.metadata.uid ?? ''}`)).length === 0 ? true : undefined), 60_000);
      assert.deepEqual(b.status?.snapshots ?? [], []);
    } finally {
      await core.replaceNamespacedSecret({ namespace: OPERATOR_NS, name: 'repo-key', body: { metadata: { name: 'repo-key' }, stringData: { password: 'volume-pw' } } });
    }
  });

  it('deleting a moved Backup forgets its volume snapshots with its record', async () => {
    const b = await getHoldfast(c, 'backups', OPERATOR_NS, 'move-2');
    const ids = ((b?.status?.snapshots ?? []) as Array<{ id: string }>).map((s) => s.id);
    assert.equal(ids.length, 3, 'the record and two volume snapshots');
    const listed = async (): Promise<string[]> => {
      const r = await cliFor(join(dir, 'repo'), 'volume-pw').run(['snapshots', '--json']);
      assert.equal(r.code, 0, show(r));
      return (JSON.parse(r.stdout) as Array<{ id: string }>).map((s) => s.id);
    };
    assert.deepEqual((await listed()).filter((id) => ids.includes(id)).sort(), [...ids].sort());
    await c.http.delete(`/apis/holdfast.dev/v1alpha1/namespaces/${OPERATOR_NS}/backups/move-2`);
    await eventually('the Backup to be gone', async () => ((await getHoldfast(c, 'backups', OPERATOR_NS, 'move-2')) === undefined ? true : undefined));
    assert.deepEqual((await listed()).filter((id) => ids.includes(id)), []);
  });
});
/** The Backup's uid once it has one, and the name of its mover pod once the node agent runs it. */
async function moverStarted(backup: string): Promise<{ uid: string; pod: string }> {
  const uid = (await eventually('the Backup uid', async () => (await getHoldfast(c, 'backups', OPERATOR_NS, backup))?.metadata.uid)) ?? '';
  const core = c.kc.makeApiClient(CoreV1Api);
  const pod = await eventually('the mover pod', async () => (await core.listNamespacedPod({ namespace: OPERATOR_NS, labelSelector: `holdfast.dev/backup=${uid}` })).items[0]?.metadata?.name, 120_000);
  return { uid, pod };
}

/**
 * Runs `body` with the pod's mover process stopped (SIGSTOP) and continues it afterwards,
 * whatever happened (the agent may have killed it with its pod meanwhile).
 */
async function whileStopped(pod: string, body: () => Promise<void>): Promise<void> {
  const stopped: number[] = [];
  try {
    await eventually('the mover process', async () => {
      for (const pid of moverProcesses(pod)) if (signal(pid, 'SIGSTOP')) stopped.push(pid);
      return stopped.length > 0 ? true : undefined;
    }, 60_000);
    await body();
  } finally {
    for (const pid of stopped) signal(pid, 'SIGCONT');
  }
}

/** False when the process is gone already. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The holdfast processes the node agent runs for a pod's containers (their HOSTNAME is the
 * pod's name). Only holdfast itself: a shell or helper it started may be gone a moment later.
 */
function moverProcesses(pod: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0');
      if (env.includes(`HOSTNAME=${pod}`) && argv.some((a) => /holdfast(-start)?\.[jt]s$/.test(a))) pids.push(Number(entry));
    } catch {
      // the process ended, or is not ours to read
    }
  }
  return pids;
}
