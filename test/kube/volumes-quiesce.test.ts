/**
 * The freeze window around CSI snapshots: a `snapshot` Backup of a StatefulSet's PVCs with
 * quiesce and unquiesce exec hooks in its pods (each appends a nanosecond timestamp to a
 * file in the pod's volume). The snapshots use a VolumeSnapshotClass whose test-driver
 * snapshots turn readyToUse 8 s after they are cut (`holdfast.dev/ready-after`), so the
 * two `unquiesceWhen` choices differ visibly: by default the unquiesce runs once every
 * snapshot is cut, long before they are ready; with `volumes.unquiesceWhen:
 * snapshot-ready` (or a recipe's `freeze.unquiesceWhen: snapshot-ready`) only after. Each
 * snapshot holds the quiesce file and not the unquiesce one, and its cut time lies between
 * the two steps in status.hooks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { at, hooksNamed, type Hook } from './backup-recipe-fixture.ts';
import { claimsBound, createHoldfast, createStatefulSet, finished, type HoldfastObject, startVolumeCluster, type VolumeCluster } from './volumes-fixture.ts';

const SNAPSHOTS = '/apis/snapshot.storage.k8s.io/v1';
const READY_AFTER_MS = 8000;

interface VolumeStatus { claimName: string; phase: string; snapshotHandle?: string; volumeSnapshotName?: string; completedAt?: string }

let c: VolumeCluster;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-volumes-quiesce-'));
  c = await startVolumeCluster('volumes-quiesce', { repository: join(dir, 'repo') });
  await c.plane.createNamespace('app');
  await createStatefulSet(c, 'app', 'db', 2);
  await claimsBound(c, 'app', ['data-db-0', 'data-db-1']);
  await c.http.post(`${SNAPSHOTS}/volumesnapshotclasses`, {
    apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass', metadata: { name: 'slow' },
    driver: c.csi.driverName, deletionPolicy: 'Delete', parameters: { 'holdfast.dev/ready-after': `${READY_AFTER_MS / 1000}s` },
  });
});

after(async () => {
  await c?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A hook in every pod of the StatefulSet that appends `date +%s%N` to /data/<file>; the pods must run first. */
function stamp(name: string, phase: 'quiesce' | 'unquiesce', file: string): Record<string, unknown> {
  return { name, phase, exec: { command: ['sh', '-c', `date +%s%N >> /data/${file}`] }, target: { podSelector: { matchLabels: { app: 'db' } }, pods: 'all' } };
}

/** A snapshot Backup on the slow class; by default the stamps are hooks, `spec` may replace them (e.g. by a recipe). */
async function snapshotBackup(name: string, volumes: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<HoldfastObject> {
  await createHoldfast(c, 'backups', 'app', name, {
    repositoryRef: { name: 'main' }, method: 'snapshot', volumes: { volumeSnapshotClassName: 'slow', ...volumes },
    hooks: [stamp('freeze', 'quiesce', `${name}.quiesce`), stamp('thaw', 'unquiesce', `${name}.unquiesce`)],
    ...spec,
  });
  const b = await finished(c, 'backups', 'app', name, 120_000);
  assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status, null, 1));
  return b;
}

interface Window {
  readonly quiesced: number;
  readonly unquiesceStarted: number;
  readonly unquiesced: number;
  /** Per volume: when the driver cut the snapshot (ms, from its nanosecond record), the VolumeSnapshot's creationTime, the Backup's completedAt, and the files in the snapshot. */
  readonly volumes: Array<{ claim: string; cutAt: number; creationTime: number; completedAt: number; files: string[] }>;
}

async function windowOf(b: HoldfastObject, name: string): Promise<Window> {
  const q = hooksNamed(b, 'freeze', 'quiesce');
  const u = hooksNamed(b, 'thaw', 'unquiesce');
  assert.deepEqual([...q, ...u].map((h: Hook) => `${h.phase} ${h.outcome}`), ['quiesce Succeeded', 'quiesce Succeeded', 'unquiesce Succeeded', 'unquiesce Succeeded']);
  const order = ((b.status?.hooks ?? []) as Hook[]).map((h) => h.phase);
  assert.deepEqual(order, ['quiesce', 'quiesce', 'unquiesce', 'unquiesce'], 'the unquiesce hooks ran after the quiesce hooks');
  const volumes = [];
  for (const v of (b.status?.volumes ?? []) as VolumeStatus[]) {
    const handle = v.snapshotHandle ?? '';
    const meta = JSON.parse(readFileSync(join(c.csi.stateDir, 'snapshots', `${handle}.json`), 'utf8')) as { createdAt: string };
    const snap = await c.http.get<{ status?: { creationTime?: string } }>(`${SNAPSHOTS}/namespaces/app/volumesnapshots/${v.volumeSnapshotName ?? ''}`);
    const files = execFileSync('tar', ['-tzf', join(c.csi.stateDir, 'snapshots', `${handle}.tar.gz`)], { encoding: 'utf8' }).split('\n').filter((f) => f.startsWith(`./${name}.`));
    volumes.push({ claim: v.claimName, cutAt: Date.parse(meta.createdAt), creationTime: at(snap.status?.creationTime), completedAt: at(v.completedAt), files: files.sort() });
  }
  assert.equal(volumes.length, 2);
  return { quiesced: Math.max(...q.map((h) => at(h.finishedAt))), unquiesceStarted: Math.min(...u.map((h) => at(h.startedAt))), unquiesced: Math.max(...u.map((h) => at(h.finishedAt))), volumes };
}

/** The last line of a volume's stamp file, in ms. */
async function stampOf(claim: string, file: string): Promise<number> {
  const lines = readFileSync(join(await c.csi.claimDir('app', claim), file), 'utf8').trim().split('\n');
  return Number(BigInt(lines.at(-1) ?? '0') / 1_000_000n);
}

describe('quiesce order with snapshots', () => {
  it('quiesce runs before the cut and unquiesce after it, without waiting for readyToUse by default', async () => {
    const w = await windowOf(await snapshotBackup('cut', {}), 'cut');
    for (const v of w.volumes) {
      assert.deepEqual(v.files, ['./cut.quiesce'], `${v.claim}: the snapshot holds what quiesce wrote, not what unquiesce wrote`);
      assert.ok(w.quiesced <= v.cutAt && v.cutAt <= w.unquiesceStarted, `${v.claim}: cut at ${v.cutAt}, between quiesce (${w.quiesced}) and unquiesce (${w.unquiesceStarted})`);
      assert.ok(Math.floor(w.quiesced / 1000) * 1000 <= v.creationTime && v.creationTime <= w.unquiesceStarted, `${v.claim}: VolumeSnapshot creationTime between the hooks`);
      assert.ok(w.unquiesceStarted < v.cutAt + READY_AFTER_MS, `${v.claim}: unquiesce did not wait for readyToUse`);
      assert.ok(v.completedAt >= w.unquiesced, `${v.claim}: readiness was awaited after the window`);
      assert.ok(await stampOf(v.claim, 'cut.quiesce') <= v.cutAt);
      assert.ok(await stampOf(v.claim, 'cut.unquiesce') >= v.cutAt);
    }
  });

  it('volumes.unquiesceWhen snapshot-ready keeps the freeze until every snapshot is ready to use', async () => {
    const w = await windowOf(await snapshotBackup('ready', { unquiesceWhen: 'snapshot-ready' }), 'ready');
    for (const v of w.volumes) {
      assert.deepEqual(v.files, ['./ready.quiesce'], v.claim);
      assert.ok(w.quiesced <= v.cutAt, `${v.claim}: cut after quiesce`);
      assert.ok(w.unquiesceStarted >= v.cutAt + READY_AFTER_MS, `${v.claim}: unquiesce (${w.unquiesceStarted}) waited until the snapshot was ready (${v.cutAt + READY_AFTER_MS})`);
      assert.ok(v.completedAt <= w.unquiesceStarted, `${v.claim}: ready (${v.completedAt}) was recorded before unquiesce`);
    }
  });

  it("a recipe's freeze.unquiesceWhen snapshot-ready does the same for the recipe's quiesce and unquiesce", async () => {
    const step = (hook: Record<string, unknown>): Record<string, unknown> => ({ name: hook.name, exec: hook.exec, target: { pods: 'all' } });
    await c.http.post('/apis/holdfast.dev/v1alpha1/namespaces/app/recipes', {
      apiVersion: 'holdfast.dev/v1alpha1', kind: 'Recipe', metadata: { name: 'stamps' },
      spec: { container: 'app', actions: { quiesce: [step(stamp('freeze', 'quiesce', 'recipe.quiesce'))], unquiesce: [step(stamp('thaw', 'unquiesce', 'recipe.unquiesce'))] } },
    });
    const recipe = { recipeRef: { kind: 'Recipe', name: 'stamps' }, podSelector: { matchLabels: { app: 'db' } }, freeze: { mode: 'recipe', unquiesceWhen: 'snapshot-ready' } };
    const w = await windowOf(await snapshotBackup('recipe', {}, { hooks: undefined, recipe }), 'recipe');
    for (const v of w.volumes) {
      assert.deepEqual(v.files, ['./recipe.quiesce'], v.claim);
      assert.ok(w.quiesced <= v.cutAt, `${v.claim}: cut after quiesce`);
      assert.ok(w.unquiesceStarted >= v.cutAt + READY_AFTER_MS, `${v.claim}: unquiesce (${w.unquiesceStarted}) waited until the snapshot was ready (${v.cutAt + READY_AFTER_MS})`);
    }
  });
});
