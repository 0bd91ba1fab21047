/**
 * Block-mode volume moves end to end: a PVC of `volumeMode: Block` (an image file of the
 * test CSI driver, bind-mounted at the mover's `devicePath` by the node agent) with random
 * data at a few offsets is snapshotted and moved into the repository as one device image,
 * restored from there into a new namespace as a Block PVC whose image is equal byte for
 * byte, and moved again after 1 MiB changed, which stores little new data. `bytesNew`
 * counts the raw size of new chunks: a chunk that holds changed data and zeros counts whole,
 * although its zeros compress to nothing, so the stored bytes are checked too.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { cliFor, show } from '../helpers/cli.ts';
import { claimsBound, createHoldfast, finished, OPERATOR_NS, startVolumeCluster, type HoldfastObject, type VolumeCluster } from './volumes-fixture.ts';

const MiB = 1 << 20;
const SIZE = 64 * MiB;
/** Where random data goes: [offset, length]; the rest of the image stays zero (holes). */
const WRITES: ReadonlyArray<readonly [number, number]> = [[0, MiB], [5 * MiB + 4096, 2 * MiB], [23 * MiB + 123, MiB], [SIZE - MiB / 2, MiB / 2]];

interface VolumeStatus { namespace: string; claimName: string; phase: string; volumeMode?: string; snapshotId?: string; parentSnapshotId?: string; bytesNew?: number; bytesTotal?: number; from?: string }

let c: VolumeCluster;
let dir: string;

const volumesOf = (o: HoldfastObject): VolumeStatus[] => (o.status?.volumes ?? []) as VolumeStatus[];
const detail = (o: HoldfastObject | undefined): string => JSON.stringify(o?.status, null, 1);

async function writeAt(path: string, offset: number, data: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, data.length, offset);
  } finally {
    await fh.close();
  }
}

/** Each repository snapshot's stored bytes (compressed, new to the repository), by id. */
async function storedBytes(): Promise<Map<string, number>> {
  const listed = await cliFor(join(dir, 'repo'), 'volume-pw').run(['snapshots', '--json']);
  assert.equal(listed.code, 0, show(listed));
  return new Map((JSON.parse(listed.stdout) as Array<{ id: string; summary: { bytesStored: number } }>).map((x) => [x.id, x.summary.bytesStored]));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-volumes-block-'));
  c = await startVolumeCluster('volumes-block', { repository: join(dir, 'repo') });
  await c.plane.createNamespace('blk');
  await c.kc.makeApiClient(CoreV1Api).createNamespacedPersistentVolumeClaim({
    namespace: 'blk',
    body: { metadata: { name: 'disk' }, spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Block', storageClassName: c.csi.storageClassName, resources: { requests: { storage: '64Mi' } } } },
  });
  await claimsBound(c, 'blk', ['disk']);
  const image = await c.csi.claimImage('blk', 'disk');
  for (const [offset, length] of WRITES) await writeAt(image, offset, randomBytes(length));
});

after(async () => {
  await c?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('block-mode volume moves', () => {
  let first: VolumeStatus | undefined;

  it('moves a Block PVC into the repository as a device image', async () => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'blk-1', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['blk'] }, volumes: {} });
    const b = await finished(c, 'backups', OPERATOR_NS, 'blk-1', 180_000);
    assert.equal(b.status?.phase, 'Completed', detail(b));
    first = volumesOf(b)[0];
    assert.equal(first?.volumeMode, 'Block');
    assert.equal(first?.bytesTotal, SIZE);
    assert.match(first?.snapshotId ?? '', /^[0-9a-f]{64}$/);
  });

  it('restores it into a new namespace as a Block PVC, byte for byte', async () => {
    await createHoldfast(c, 'restores', OPERATOR_NS, 'blk-copy', { source: { backupName: 'blk-1' }, namespaceMapping: { blk: 'blk-copy' } });
    const r = await finished(c, 'restores', OPERATOR_NS, 'blk-copy', 180_000);
    assert.equal(r.status?.phase, 'Completed', detail(r));
    assert.deepEqual(volumesOf(r).map((v) => `${v.namespace}/${v.claimName} ${v.phase} ${String(v.from)}`), ['blk-copy/disk Completed repository']);
    const pvc = await c.kc.makeApiClient(CoreV1Api).readNamespacedPersistentVolumeClaim({ namespace: 'blk-copy', name: 'disk' });
    assert.equal(pvc.spec?.volumeMode, 'Block');
    const original = await readFile(await c.csi.claimImage('blk', 'disk'));
    const copy = await readFile(await c.csi.claimImage('blk-copy', 'disk'));
    assert.equal(copy.length, original.length);
    assert.ok(copy.equals(original), 'the restored image equals the original');
  });

  it('a second move after 1 MiB changed stores little new data', async () => {
    await writeAt(await c.csi.claimImage('blk', 'disk'), 40 * MiB, randomBytes(MiB));
    await createHoldfast(c, 'backups', OPERATOR_NS, 'blk-2', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['blk'] }, volumes: { moveMode: 'block' } });
    const b = await finished(c, 'backups', OPERATOR_NS, 'blk-2', 180_000);
    assert.equal(b.status?.phase, 'Completed', detail(b));
    const v = volumesOf(b)[0];
    const stored = await storedBytes();
    const second = stored.get(v?.snapshotId ?? '') ?? Infinity;
    console.log(`second block move: bytesNew ${String(v?.bytesNew)} of ${String(v?.bytesTotal)}, stored ${second} (first move stored ${String(stored.get(first?.snapshotId ?? ''))})`);
    assert.equal(v?.parentSnapshotId, first?.snapshotId, 'incremental to the first move of the PVC');
    assert.ok((v?.bytesNew ?? Infinity) < SIZE / 2, `bytesNew ${String(v?.bytesNew)}: most of the image deduplicated`);
    assert.ok(second < 2 * MiB, `stored ${second} bytes for the 1 MiB changed`);
  });

  it('refuses moveMode filesystem for a Block PVC before cutting a snapshot', async () => {
    await createHoldfast(c, 'backups', OPERATOR_NS, 'blk-fs', { repositoryRef: { name: 'main' }, method: 'snapshot+move', selection: { namespaces: ['blk'] }, volumes: { moveMode: 'filesystem' } });
    const b = await finished(c, 'backups', OPERATOR_NS, 'blk-fs', 60_000);
    assert.equal(b.status?.phase, 'Failed');
    assert.match(JSON.stringify(b.status), /PVC blk\/disk is a Block volume: moveMode filesystem cannot mount it/);
  });
});
