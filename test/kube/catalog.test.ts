/**
 * Catalog sync across two real control planes sharing one repository (disaster recovery
 * and migration): the source cluster backs up a namespace; the target cluster, whose
 * read-only BackupRepository points at the same repository, lists that backup as an
 * imported, read-only Backup and restores it into its own namespace. A backup the
 * source cluster forgets disappears from the target's catalog; the target's own
 * controllers never run or forget imported Backups.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Controller } from '#src/controllers/runtime/controller.ts';
import { HoldfastObjects } from '#src/k8s/client/custom-objects.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';

const G = { group: 'holdfast.dev', version: 'v1alpha1' };
let source: ControlPlane;
let target: ControlPlane;
let dir: string;
const controllers: Controller[] = [];

async function prepare(cp: ControlPlane, namespaces: readonly string[], repoSpec: Record<string, unknown>): Promise<KubeConfig> {
  const kc = cp.kubeConfig();
  await installHoldfastCrds(kc);
  await Promise.all(namespaces.map((n) => cp.createNamespace(n)));
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name: 'repo-key' }, stringData: { password: 'dr-pw' } } });
  controllers.push(...(await startControllers(kc, ['BackupRepository', 'Backup', 'Restore'])));
  const body = { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'shared' }, spec: { backend: { filesystem: { path: join(dir, 'repo') } }, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } }, ...repoSpec } };
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({ ...G, plural: 'backuprepositories', body });
  return kc;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-catalog-'));
  [source, target] = await Promise.all([startControlPlane({ name: 'source' }), startControlPlane({ name: 'target' })]);
  const skc = await prepare(source, ['holdfast-system', 'shop'], { allowedNamespaces: { from: 'all' } });
  const core = skc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'settings' }, data: { color: 'teal' } } });
  await core.createNamespacedSecret({ namespace: 'shop', body: { metadata: { name: 'db' }, stringData: { password: 's3cret' } } });
  const labels = { app: 'web' };
  await skc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: 'shop', body: { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } } });
});

after(async () => {
  await stopControllers(controllers);
  await Promise.all([source?.stop(), target?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

interface BackupJson { metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; finalizers?: string[] }; spec?: { imported?: { snapshotId: string; sourceName?: string; sourceNamespace?: string } }; status?: { phase?: string; snapshotId?: string; clusterId?: string } }

async function backupIn(kc: KubeConfig, name: string): Promise<BackupJson> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name }, spec: { repositoryRef: { name: 'shared' } } } });
  return eventually(`Backup ${name} to complete`, async () => {
    const b = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', name })) as BackupJson;
    return b.status?.phase === 'Completed' ? b : undefined;
  });
}

async function imported(kc: KubeConfig): Promise<BackupJson[]> {
  return (await new HoldfastObjects(kc).listAll('backups', 'holdfast.dev/imported=true')) as BackupJson[];
}

function facts(b: BackupJson | undefined): Record<string, unknown> {
  const imp = b?.spec?.imported;
  return { namespace: b?.metadata?.namespace, name: b?.metadata?.name, imported: [imp?.snapshotId, imp?.sourceName, imp?.sourceNamespace], clusterId: b?.status?.clusterId, finalizers: b?.metadata?.finalizers ?? [] };
}

interface RepoJson { status?: { catalog?: { importedBackups?: number; clusters?: string[] }; conditions?: Array<{ type: string; status: string }> } }

function catalogFacts(r: RepoJson): Record<string, unknown> {
  return { imported: r.status?.catalog?.importedBackups, clusters: r.status?.catalog?.clusters, synced: r.status?.conditions?.find((c) => c.type === 'CatalogSynced')?.status };
}

describe('catalog sync between two clusters', () => {
  let made: BackupJson;
  let tkc: KubeConfig;

  it('lists the other cluster\'s Backup as an imported, completed, read-only Backup', async () => {
    made = await backupIn(source.kubeConfig(), 'before-migration');
    tkc = await prepare(target, ['holdfast-system'], { accessMode: 'read-only', initialize: 'never', catalog: { interval: '1s' } });
    const [one, ...more] = await eventually('the imported Backup', async () => {
      const list = await imported(tkc);
      return list.length > 0 && list[0]?.status?.phase === 'Completed' ? list : undefined;
    });
    assert.equal(more.length, 0);
    const madeId = made.status?.snapshotId ?? '';
    const cluster = made.status?.clusterId ?? '';
    assert.notEqual(cluster, '');
    assert.deepEqual(facts(one), {
      namespace: 'holdfast-system', // shop does not exist in the target cluster
      name: `before-migration-${madeId.slice(0, 8)}`,
      imported: [madeId, 'before-migration', 'shop'],
      clusterId: cluster,
      finalizers: [], // never forgotten from here
    });
    // The sync writes the imported Backups first and the repository's status after them.
    const synced = await eventually('the repository\'s catalog status', async () => {
      const repo = (await tkc.makeApiClient(CustomObjectsApi).getClusterCustomObject({ ...G, plural: 'backuprepositories', name: 'shared' })) as RepoJson;
      return repo.status?.catalog === undefined ? undefined : catalogFacts(repo);
    });
    assert.deepEqual(synced, { imported: 1, clusters: [cluster], synced: 'True' });
    assert.equal((await imported(source.kubeConfig())).length, 0, 'a cluster does not import its own backups');
    const edit = tkc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      { ...G, namespace: 'holdfast-system', plural: 'backups', name: one?.metadata?.name ?? '', body: { spec: { deletionPolicy: 'delete' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await assert.rejects(edit, (err: Error) => /an imported Backup is read-only/.test(err.message), 'the API server refuses to change an imported Backup');
  });

  it('restores the imported Backup into the second cluster', async () => {
    const [one] = await imported(tkc);
    const body = { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', metadata: { name: 'migrate-shop' }, spec: { source: { backupName: one?.metadata?.name } } };
    await tkc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...G, namespace: 'holdfast-system', plural: 'restores', body });
    const done = await eventually('the Restore to finish', async () => {
      const r = (await tkc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...G, namespace: 'holdfast-system', plural: 'restores', name: 'migrate-shop' })) as { status?: { phase?: string; errors?: string[] } };
      return ['Completed', 'PartiallyFailed', 'Failed'].includes(r.status?.phase ?? '') ? r.status : undefined;
    });
    assert.equal(done.phase, 'Completed', JSON.stringify(done.errors));
    const core = tkc.makeApiClient(CoreV1Api);
    assert.equal((await core.readNamespacedConfigMap({ namespace: 'shop', name: 'settings' })).data?.color, 'teal');
    assert.equal(Buffer.from((await core.readNamespacedSecret({ namespace: 'shop', name: 'db' })).data?.password ?? '', 'base64').toString(), 's3cret');
    const web = await tkc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'shop', name: 'web' });
    assert.equal(web.spec?.replicas, 2);
    assert.equal(web.metadata?.annotations?.['holdfast.dev/restored-from-snapshot'], made.status?.snapshotId);
  });

  it('drops the imported Backup once the source cluster forgets the backup', async () => {
    await source.kubeConfig().makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', name: 'before-migration' });
    await eventually('the imported Backup to go', async () => ((await imported(tkc)).length === 0 ? true : undefined));
  });
});
