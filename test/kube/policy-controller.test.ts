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
import { clusterPolicy } from '#src/controllers/policy/policy-kinds.ts';
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

let backupController = false;
async function startBackupController(): Promise<void> {
  if (backupController) return;
  backupController = true;
  controllers.push(...(await startControllers(kc, ['Backup'])));
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
    await startBackupController();
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

describe('ClusterBackupPolicy and namespace selectors', () => {
  const cluster = new BackupPolicyReconciler({ get objects() { return objects; }, clock, logger: silentLogger, operatorNamespace: 'holdfast-system' }, clusterPolicy);
  const custom = (): CustomObjectsApi => kc.makeApiClient(CustomObjectsApi);

  before(async () => {
    await startBackupController();
    await Promise.all([cp.createNamespace('team-a1', { team: 'a' }), cp.createNamespace('team-a2', { team: 'a', backups: 'yes' }), cp.createNamespace('team-b', { team: 'b' })]);
    const core = kc.makeApiClient(CoreV1Api);
    for (const ns of ['team-a1', 'team-a2', 'team-b']) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `${ns}-settings` }, data: { a: '1' } } });
    for (const [name, allowedNamespaces] of [['closed', { from: 'none' }], ['labelled', { from: 'selector', selector: { matchLabels: { backups: 'yes' } } }]] as const) {
      await custom().createClusterCustomObject({ ...G, plural: 'backuprepositories', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name }, spec: { backend: { filesystem: { path: join(dir, name) } }, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } }, allowedNamespaces } } });
    }
    for (const name of ['closed', 'labelled']) {
      await eventually(`repository ${name} Ready`, async () => {
        const r = (await custom().getClusterCustomObject({ ...G, plural: 'backuprepositories', name })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
        return r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') || undefined;
      });
    }
  });

  async function createClusterPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
    await custom().createClusterCustomObject({ ...G, plural: 'clusterbackuppolicies', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'ClusterBackupPolicy', metadata: { name }, spec } });
  }

  async function clusterBackups(policy: string): Promise<Array<{ ref: string; phase?: string; namespaces?: string; total?: number }>> {
    const list = await objects.listAll('backups', `holdfast.dev/cluster-policy=${policy}`);
    return list
      .map((b) => {
        const st = (b.status ?? {}) as { phase?: string; resources?: { total: number } };
        const sel = (b.spec as { selection?: { namespaces?: string[] } }).selection;
        return { ref: `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`, phase: st.phase, namespaces: sel?.namespaces?.join(','), total: st.resources?.total };
      })
      .sort((a, b) => a.ref.localeCompare(b.ref));
  }

  async function finishedBackup(namespace: string, name: string): Promise<{ phase?: string; conditions?: Array<{ type: string; reason: string; message: string }> }> {
    return eventually(`Backup ${namespace}/${name} to finish`, async () => {
      const b = (await custom().getNamespacedCustomObject({ ...G, namespace, plural: 'backups', name })) as { status?: { phase?: string; conditions?: Array<{ type: string; reason: string; message: string }> } };
      return ['Completed', 'PartiallyFailed', 'Failed'].includes(b.status?.phase ?? '') ? b.status : undefined;
    });
  }

  it('makes one Backup per selected namespace, in it, through a repository only the policy grants; retention per namespace', async () => {
    await createClusterPolicy('team-a', { repositoryRef: { name: 'closed' }, namespaceSelector: { matchLabels: { team: 'a' } }, schedule: { cron: '0 * * * *' }, keep: { last: 1 }, rpo: '720h' }); // the Backups finish on real time, this clock is days ahead
    await cluster.reconcile('team-a');
    const first = await clusterBackups('team-a');
    assert.deepEqual(first.map((b) => b.ref.split('/')[0]), ['team-a1', 'team-a2'], 'one Backup in each namespace labelled team=a, none in team-b');
    assert.ok(first.every((b) => b.namespaces === undefined), 'each Backup captures its own namespace');
    const done = await eventually('both to complete', async () => {
      const list = await clusterBackups('team-a');
      return list.every((b) => b.phase === 'Completed') ? list : undefined;
    });
    assert.ok(done.every((b) => (b.total ?? 0) >= 2), 'namespace and config map captured');
    clock.advance(HOUR);
    await cluster.reconcile('team-a');
    await eventually('the second runs to complete', async () => {
      const list = await clusterBackups('team-a');
      return list.length === 4 && list.every((b) => b.phase === 'Completed') ? list : undefined;
    });
    await cluster.reconcile('team-a');
    const kept = await eventually('retention to keep one per namespace', async () => {
      const list = await clusterBackups('team-a');
      return list.length === 2 ? list : undefined;
    });
    assert.deepEqual(kept.map((b) => b.ref.split('/')[0]), ['team-a1', 'team-a2']);
    const p = (await custom().getClusterCustomObject({ ...G, plural: 'clusterbackuppolicies', name: 'team-a' })) as { status?: { namespaces?: Array<{ namespace: string; lastSuccessfulTime?: string }>; conditions?: Array<{ type: string; status: string }> } };
    assert.deepEqual(p.status?.namespaces?.map((n) => [n.namespace, n.lastSuccessfulTime !== undefined]), [['team-a1', true], ['team-a2', true]]);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'RPOMet')?.status, 'True');
  });

  it('a Backup that only claims the policy label is refused: the policy does not select its namespace', async () => {
    await custom().createNamespacedCustomObject({ ...G, namespace: 'team-b', plural: 'backups', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name: 'forged', labels: { 'holdfast.dev/cluster-policy': 'team-a' } }, spec: { repositoryRef: { name: 'closed' } } } });
    const st = await finishedBackup('team-b', 'forged');
    assert.equal(st.phase, 'Failed');
    const accepted = st.conditions?.find((c) => c.type === 'Accepted');
    assert.equal(accepted?.reason, 'RepositoryNotAllowed');
    assert.match(accepted?.message ?? '', /BackupRepository closed does not allow namespace team-b/);
  });

  it('backupPer policy: one Backup in the operator namespace covering every selected namespace', async () => {
    await createClusterPolicy('whole-team', { repositoryRef: { name: 'closed' }, namespaceSelector: { matchLabels: { team: 'a' } }, selection: { namespaces: ['team-b'] }, backupPer: 'policy', schedule: { cron: '0 * * * *' } });
    await cluster.reconcile('whole-team');
    const [only, ...rest] = await clusterBackups('whole-team');
    assert.equal(rest.length, 0);
    assert.match(only?.ref ?? '', /^holdfast-system\/whole-team-/);
    assert.equal(only?.namespaces, 'team-a1,team-a2,team-b', 'the labelled namespaces and the named one');
    const st = await finishedBackup('holdfast-system', only?.ref.split('/')[1] ?? '');
    assert.equal(st.phase, 'Completed');
  });

  it('a repository admits namespaces by their labels', async () => {
    for (const ns of ['team-a2', 'team-a1']) {
      await custom().createNamespacedCustomObject({ ...G, namespace: ns, plural: 'backups', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name: 'adhoc' }, spec: { repositoryRef: { name: 'labelled' } } } });
    }
    assert.equal((await finishedBackup('team-a2', 'adhoc')).phase, 'Completed', 'team-a2 has backups=yes');
    const refused = await finishedBackup('team-a1', 'adhoc');
    assert.deepEqual([refused.phase, refused.conditions?.find((c) => c.type === 'Accepted')?.reason], ['Failed', 'RepositoryNotAllowed']);
  });
});
