/**
 * The BackupPolicy controller on a real control plane with an injected clock: a run is
 * created when the clock passes the cron time (not before); Forbid skips a run while the
 * previous Backup still runs; retention deletes the oldest Backup beyond keep.last (and
 * its snapshot); RPOMet follows the newest success; an invalid schedule is refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { fixedClock } from '#src/core/clock.ts';
import { silentLogger } from '#src/core/logger.ts';
import { BackupPolicyReconciler } from '#src/controllers/policy/reconciler.ts';
import { HoldfastObjects } from '#src/k8s/client/custom-objects.ts';
import type { Controller } from '#src/controllers/runtime/controller.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';

const G = { group: 'holdfast.dev', version: 'v1alpha1' };
const HOUR = 3_600_000;
let cp: ControlPlane;
let kc: KubeConfig;
let dir: string;
let objects: HoldfastObjects;
const controllers: Controller[] = [];
const nextHour = Math.ceil(Date.now() / HOUR) * HOUR;
const clock = fixedClock(new Date(nextHour - 30_000));

before(async () => {
  [cp, dir] = await Promise.all([startControlPlane({ name: 'policy' }), mkdtemp(join(tmpdir(), 'holdfast-policy-'))]);
  kc = cp.kubeConfig();
  objects = new HoldfastObjects(kc);
  await installHoldfastCrds(kc);
  await Promise.all(['holdfast-system', 'shop'].map((n) => cp.createNamespace(n)));
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name: 'repo-key' }, stringData: { password: 'pw' } } });
  await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'settings' }, data: { a: '1' } } });
  controllers.push(...(await startControllers(kc, ['BackupRepository'])));
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({ ...G, plural: 'backuprepositories', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'main' }, spec: { backend: { filesystem: { path: join(dir, 'repo') } }, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } }, allowedNamespaces: { from: 'all' } } } });
});

after(async () => {
  await stopControllers(controllers);
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

const policies = new BackupPolicyReconciler({ get objects() { return objects; }, clock, logger: silentLogger });

async function createPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backuppolicies', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupPolicy', metadata: { name }, spec } });
}

async function policyStatus(name: string): Promise<{ conditions?: Array<{ type: string; status: string; reason: string; message: string }>; lastScheduleTime?: string; lastBackupName?: string }> {
  const p = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backuppolicies', name })) as { status?: Record<string, unknown> };
  return (p.status ?? {}) as never;
}

async function backupsOf(policy: string): Promise<Array<{ name: string; phase?: string }>> {
  const list = await objects.list('backups', 'shop', `holdfast.dev/policy=${policy}`);
  return list.map((b) => ({ name: b.metadata?.name ?? '', phase: (b.status as { phase?: string } | undefined)?.phase })).sort((a, b) => a.name.localeCompare(b.name));
}

const allCompleted = async (policy: string): Promise<true | undefined> => ((await backupsOf(policy)).every((b) => b.phase === 'Completed') || undefined);

describe('BackupPolicy controller (injected clock)', () => {
  it('creates a run only once the clock passes the cron time; Forbid skips while one runs', async () => {
    await createPolicy('hourly', { repositoryRef: { name: 'main' }, schedule: { cron: '0 * * * *', concurrencyPolicy: 'Forbid' }, keep: { last: 2 }, rpo: '24h' });
    await policies.reconcile('shop/hourly');
    assert.deepEqual(await backupsOf('hourly'), [], 'nothing due 30 s before the hour');
    clock.advance(60_000);
    await policies.reconcile('shop/hourly');
    const first = await backupsOf('hourly');
    assert.equal(first.length, 1);
    assert.equal(first[0]?.name, `hourly-${new Date(nextHour).toISOString().replace(/[-:T]/g, '').slice(0, 12)}`);
    clock.advance(HOUR);
    await policies.reconcile('shop/hourly');
    assert.equal((await backupsOf('hourly')).length, 1, 'Forbid: no second run while the first has not finished');
    assert.equal((await policyStatus('hourly')).lastScheduleTime, new Date(nextHour + HOUR).toISOString());
  });

  it('keeps the last two Backups and reports RPOMet', async () => {
    controllers.push(...(await startControllers(kc, ['Backup'])));
    await eventually('the first run to complete', () => allCompleted('hourly'));
    for (let i = 0; i < 2; i++) {
      clock.advance(HOUR);
      await policies.reconcile('shop/hourly');
      await eventually('the run to complete', () => allCompleted('hourly'));
    }
    await policies.reconcile('shop/hourly');
    const left = await eventually('retention to delete the oldest', async () => {
      const list = await backupsOf('hourly');
      return list.length === 2 ? list : undefined;
    });
    assert.ok(!left.some((b) => b.name.endsWith(new Date(nextHour).toISOString().replace(/[-:T]/g, '').slice(0, 12))), 'the oldest went');
    const rpo = (await policyStatus('hourly')).conditions?.find((c) => c.type === 'RPOMet');
    assert.deepEqual([rpo?.status, rpo?.reason], ['True', 'WithinObjective']);
    clock.advance(48 * HOUR);
    await policies.reconcile('shop/hourly');
    const missed = (await policyStatus('hourly')).conditions?.find((c) => c.type === 'RPOMet');
    assert.deepEqual([missed?.status, missed?.reason], ['False', 'ObjectiveMissed']);
  });

  it('refuses an invalid schedule with a clear condition', async () => {
    await createPolicy('broken', { repositoryRef: { name: 'main' }, schedule: { cron: '61 * * * *' } });
    await policies.reconcile('shop/broken');
    const accepted = (await policyStatus('broken')).conditions?.find((c) => c.type === 'Accepted');
    assert.deepEqual([accepted?.status, accepted?.reason], ['False', 'InvalidSpec']);
    assert.match(accepted?.message ?? '', /schedule '61 \* \* \* \*' is not valid/);
    assert.deepEqual(await backupsOf('broken'), []);
  });
});
