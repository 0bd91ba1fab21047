/**
 * The Backup controller (method resources) on a real control plane, with the
 * BackupRepository controller beside it: a Backup captures its namespace into one
 * repository snapshot and reports Completed with counts; deleting it forgets the
 * snapshot; a Backup that names another namespace, or uses a repository that does not
 * allow its namespace, fails with a clear condition. The Restore controller brings deleted
 * objects back from a Backup, clones a namespace from the operator namespace, and refuses
 * a namespaced Restore that maps into another namespace.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '#src/core/clock.ts';
import { silentLogger } from '#src/core/logger.ts';
import { EngineRepositories } from '#src/bin/engine-repositories.ts';
import type { Controller } from '#src/controllers/runtime/controller.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';

const G = { group: 'holdfast.dev', version: 'v1alpha1' };
let cp: ControlPlane;
let kc: KubeConfig;
let dir: string;
const controllers: Controller[] = [];
const archive = new EngineRepositories(systemClock, silentLogger);

before(async () => {
  [cp, dir] = await Promise.all([startControlPlane({ name: 'backup-ctl' }), mkdtemp(join(tmpdir(), 'holdfast-backup-ctl-'))]);
  kc = cp.kubeConfig();
  await installHoldfastCrds(kc);
  await Promise.all(['holdfast-system', 'shop', 'other'].map((n) => cp.createNamespace(n)));
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name: 'repo-key' }, stringData: { password: 'pw' } } });
  await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'settings' }, data: { color: 'blue' } } });
  await core.createNamespacedSecret({ namespace: 'shop', body: { metadata: { name: 'db-password' }, stringData: { password: 'hunter2' } } });
  controllers.push(...(await startControllers(kc, ['BackupRepository', 'Backup', 'Restore'])));
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const [name, from] of [['main', 'all'], ['closed', 'none']] as const) {
    await custom.createClusterCustomObject({ ...G, plural: 'backuprepositories', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name }, spec: { backend: { filesystem: { path: join(dir, name) } }, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } }, allowedNamespaces: { from } } } });
  }
});

after(async () => {
  await stopControllers(controllers);
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface BackupObj { metadata: { finalizers?: string[] }; status?: { phase?: string; snapshotId?: string; resources?: { total: number; byKind?: Array<{ kind: string; count: number }> }; conditions?: Array<{ type: string; status: string; reason: string; message: string }> } }

async function createBackup(name: string, spec: Record<string, unknown>): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name }, spec } });
}

async function finished(name: string): Promise<BackupObj> {
  return eventually(`Backup ${name} to finish`, async () => {
    const b = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', name })) as BackupObj;
    return ['Completed', 'PartiallyFailed', 'Failed'].includes(b.status?.phase ?? '') ? b : undefined;
  });
}

describe('Backup controller (resources)', () => {
  it('captures the namespace into one snapshot and reports Completed with counts', async () => {
    await createBackup('nightly', { repositoryRef: { name: 'main' } });
    const b = await finished('nightly');
    assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status?.conditions));
    assert.match(b.status?.snapshotId ?? '', /^[0-9a-f]{64}$/);
    assert.ok(b.metadata.finalizers?.includes('holdfast.dev/snapshots'));
    const byKind = Object.fromEntries((b.status?.resources?.byKind ?? []).map((k) => [k.kind, k.count]));
    assert.equal(byKind.ConfigMap, 1, JSON.stringify(byKind));
    assert.equal(byKind.Secret, 1);
    const target = { location: join(dir, 'main'), password: 'pw' };
    const files = await archive.read(target, b.status?.snapshotId ?? '');
    const cm = files.find((f) => f.path === 'resources/configmaps/namespaces/shop/settings.json');
    assert.ok(cm, files.map((f) => f.path).join('\n'));
    const parsed = JSON.parse(cm.data.toString()) as { data: Record<string, string>; metadata: Record<string, unknown> };
    assert.deepEqual(parsed.data, { color: 'blue' });
    assert.equal(parsed.metadata.uid, undefined, 'server fields stripped');
  });

  it('forgets the snapshot when the Backup is deleted', async () => {
    await createBackup('to-delete', { repositoryRef: { name: 'main' } });
    const b = await finished('to-delete');
    const target = { location: join(dir, 'main'), password: 'pw' };
    const id = b.status?.snapshotId ?? '';
    assert.ok((await archive.read(target, id)).length > 0);
    await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', name: 'to-delete' });
    await eventually('the Backup to go', async () => {
      try {
        await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', name: 'to-delete' });
        return undefined;
      } catch {
        return true;
      }
    });
    await assert.rejects(archive.read(target, id), /snapshot/);
  });

  const refused = [
    { name: 'other-ns', spec: { repositoryRef: { name: 'main' }, selection: { namespaces: ['other'] } }, reason: 'NamespaceNotPermitted', message: /may act only in shop/ },
    { name: 'closed-repo', spec: { repositoryRef: { name: 'closed' } }, reason: 'RepositoryNotAllowed', message: /does not allow namespace shop/ },
  ];
  for (const c of refused) {
    it(`fails with ${c.reason} when not allowed`, async () => {
      await createBackup(c.name, c.spec);
      const b = await finished(c.name);
      assert.equal(b.status?.phase, 'Failed');
      const accepted = b.status?.conditions?.find((x) => x.type === 'Accepted');
      assert.equal(accepted?.reason, c.reason);
      assert.match(accepted?.message ?? '', c.message);
    });
  }
});

async function createRestore(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...G, namespace, plural: 'restores', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', metadata: { name }, spec } });
}

interface RestoreObj { status?: { phase?: string; counts?: Record<string, number>; conditions?: Array<{ type: string; reason: string; message: string }> } }

async function restoreFinished(namespace: string, name: string): Promise<RestoreObj> {
  return eventually(`Restore ${name} to finish`, async () => {
    const r = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...G, namespace, plural: 'restores', name })) as RestoreObj;
    return ['Completed', 'PartiallyFailed', 'Failed'].includes(r.status?.phase ?? '') ? r : undefined;
  });
}

describe('Restore controller (resources)', () => {
  it('brings deleted objects back from a Backup, with provenance', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.deleteNamespacedConfigMap({ namespace: 'shop', name: 'settings' });
    await core.deleteNamespacedSecret({ namespace: 'shop', name: 'db-password' });
    await createRestore('shop', 'undo', { source: { backupName: 'nightly' } });
    const r = await restoreFinished('shop', 'undo');
    assert.equal(r.status?.phase, 'Completed', JSON.stringify(r.status));
    const cm = await core.readNamespacedConfigMap({ namespace: 'shop', name: 'settings' });
    assert.deepEqual(cm.data, { color: 'blue' });
    assert.equal(cm.metadata?.annotations?.['holdfast.dev/restored-from-backup'], 'shop/nightly');
    const secret = await core.readNamespacedSecret({ namespace: 'shop', name: 'db-password' });
    assert.equal(Buffer.from(secret.data?.password ?? '', 'base64').toString(), 'hunter2');
  });

  it('clones the namespace when the Restore lives in the operator namespace', async () => {
    const b = await finished('nightly');
    await createRestore('holdfast-system', 'clone', { source: { repositoryRef: { name: 'main' }, snapshotId: b.status?.snapshotId }, namespaceMapping: { shop: 'shop-copy' } });
    const r = await restoreFinished('holdfast-system', 'clone');
    assert.equal(r.status?.phase, 'Completed', JSON.stringify(r.status));
    const cm = await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: 'shop-copy', name: 'settings' });
    assert.deepEqual(cm.data, { color: 'blue' });
  });

  it('refuses a namespaced Restore that maps into another namespace', async () => {
    await createRestore('shop', 'escape', { source: { backupName: 'nightly' }, namespaceMapping: { shop: 'other' } });
    const r = await restoreFinished('shop', 'escape');
    assert.equal(r.status?.phase, 'Failed');
    const accepted = r.status?.conditions?.find((c) => c.type === 'Accepted');
    assert.equal(accepted?.reason, 'NamespaceNotPermitted');
    const left = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'other' });
    assert.ok(!left.items.some((c) => c.metadata?.name === 'settings'), 'nothing was restored into other');
  });
});
