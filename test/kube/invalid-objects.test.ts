/**
 * Invalid objects on a real control plane: the API server refuses each malformed object
 * with a message naming the field and the rule (the CRDs' OpenAPI schemas and CEL rules,
 * with strict field validation as kubectl sends it); objects that are well-formed but
 * cannot run get a clear condition and a Warning Event from the controller, never a crash
 * loop, and the controllers go on serving valid objects.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Controller } from '#src/controllers/runtime/controller.ts';
import { kubeHttp, type KubeHttp } from '#src/k8s/resources/kube-http.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';

const API = '/apis/holdfast.dev/v1alpha1';
let cp: ControlPlane;
let kc: KubeConfig;
let http: KubeHttp;
let dir: string;
const controllers: Controller[] = [];

before(async () => {
  [cp, dir] = await Promise.all([startControlPlane({ name: 'invalid' }), mkdtemp(join(tmpdir(), 'holdfast-invalid-'))]);
  kc = cp.kubeConfig();
  http = kubeHttp(kc);
  await installHoldfastCrds(kc);
  await Promise.all(['holdfast-system', 'shop'].map((n) => cp.createNamespace(n)));
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name: 'repo-key' }, stringData: { password: 'pw' } } });
  controllers.push(...(await startControllers(kc, ['BackupRepository', 'Backup', 'Restore', 'BackupPolicy'])));
});

after(async () => {
  await stopControllers(controllers);
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

const repoSpec = (backend: unknown): Record<string, unknown> => ({ backend, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } } });

/** [what, collection path, object, the message the API server must give] */
const REFUSED: Array<[string, string, Record<string, unknown>, RegExp]> = [
  ['a repository with two backends', `${API}/backuprepositories`, { kind: 'BackupRepository', metadata: { name: 'two' }, spec: repoSpec({ filesystem: { path: '/x' }, s3: { bucket: 'abc' } }) }, /spec\.backend: Invalid value: backend: set exactly one of s3, filesystem/],
  ['a relative repository path', `${API}/backuprepositories`, { kind: 'BackupRepository', metadata: { name: 'rel' }, spec: repoSpec({ filesystem: { path: 'repo' } }) }, /spec\.backend\.filesystem\.path: Invalid value: "repo": .* should match '\^\\\/'/],
  ['a dump Backup without a recipe', `${API}/namespaces/shop/backups`, { kind: 'Backup', metadata: { name: 'dump' }, spec: { repositoryRef: { name: 'main' }, method: 'dump' } }, /method dump needs a recipe, a consistencyGroup or a hook with phase dump/],
  ['a Backup with an unknown field', `${API}/namespaces/shop/backups`, { kind: 'Backup', metadata: { name: 'typo' }, spec: { repositoryRef: { name: 'main' }, selecton: {} } }, /unknown field "spec\.selecton"/],
  ['a Restore without a source', `${API}/namespaces/shop/restores`, { kind: 'Restore', metadata: { name: 'nothing' }, spec: { source: {} } }, /source: set either backupName, or repositoryRef and snapshotId/],
  ['a policy with a bad cron', `${API}/namespaces/shop/backuppolicies`, { kind: 'BackupPolicy', metadata: { name: 'often' }, spec: { repositoryRef: { name: 'main' }, schedule: { cron: 'every day' } } }, /spec\.schedule\.cron: Invalid value: "every day"/],
  ['a cluster policy that selects nothing', `${API}/clusterbackuppolicies`, { kind: 'ClusterBackupPolicy', metadata: { name: 'none' }, spec: { repositoryRef: { name: 'main' }, schedule: { cron: '@daily' } } }, /a ClusterBackupPolicy needs namespaceSelector or selection\.namespaces/],
];

interface Status { phase?: string; conditions?: Array<{ type: string; status: string; reason: string; message: string }> }

async function condition(path: string, type: string, until: (s: Status) => boolean): Promise<{ type: string; status: string; reason: string; message: string }> {
  return eventually(`${path} ${type}`, async () => {
    const s = (await http.get<{ status?: Status }>(path)).status ?? {};
    const c = s.conditions?.find((x) => x.type === type);
    return c !== undefined && until(s) ? c : undefined;
  });
}

async function warnings(namespace: string, name: string): Promise<string[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e) => e.type === 'Warning').map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);
}

describe('invalid objects', () => {
  for (const [what, path, obj, message] of REFUSED) {
    it(`the API server refuses ${what}, saying why`, async () => {
      const body = { apiVersion: 'holdfast.dev/v1alpha1', ...obj };
      const err = await http.post(path, body, { fieldValidation: 'Strict' }).then(() => undefined, (e: unknown) => e as Error);
      assert.ok(err, `${what} was accepted`);
      assert.match(err.message, message);
    });
  }

  it('a Backup naming a missing repository waits with a condition and a Warning Event, then runs once it exists', async () => {
    await http.post(`${API}/namespaces/shop/backups`, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name: 'early' }, spec: { repositoryRef: { name: 'later' } } });
    const c = await condition(`${API}/namespaces/shop/backups/early`, 'Accepted', (s) => s.phase === 'New');
    assert.deepEqual([c.status, c.reason, c.message], ['False', 'RepositoryNotFound', 'BackupRepository later does not exist']);
    await http.post(`${API}/backuprepositories`, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'later' }, spec: { ...repoSpec({ filesystem: { path: join(dir, 'later') } }), allowedNamespaces: { from: 'all' } } });
    await http.post(`${API}/namespaces/shop/backups`, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name: 'after' }, spec: { repositoryRef: { name: 'later' } } });
    await condition(`${API}/namespaces/shop/backups/after`, 'Succeeded', (s) => s.phase === 'Completed');
  });

  it('a Restore of a Backup that does not exist waits, saying which', async () => {
    await http.post(`${API}/namespaces/shop/restores`, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', metadata: { name: 'orphan' }, spec: { source: { backupName: 'never-made' } } });
    const c = await condition(`${API}/namespaces/shop/restores/orphan`, 'Accepted', () => true);
    assert.deepEqual([c.status, c.reason, c.message], ['False', 'BackupNotFound', 'Backup shop/never-made does not exist']);
  });

  it('a policy in an unknown time zone is not Accepted and says so in an Event', async () => {
    await http.post(`${API}/namespaces/shop/backuppolicies`, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupPolicy', metadata: { name: 'martian' }, spec: { repositoryRef: { name: 'later' }, schedule: { cron: '@daily', timeZone: 'Mars/Olympus_Mons' } } });
    const c = await condition(`${API}/namespaces/shop/backuppolicies/martian`, 'Accepted', () => true);
    assert.deepEqual([c.status, c.reason], ['False', 'InvalidSpec']);
    assert.match(c.message, /schedule '@daily' in Mars\/Olympus_Mons is not valid/);
    assert.ok((await eventually('the Warning Event', async () => ((await warnings('shop', 'martian')).length > 0 ? warnings('shop', 'martian') : undefined))).some((w) => w.startsWith('InvalidSpec: ')));
  });

  it('a repository whose password Secret is missing is not Accepted, naming the Secret', async () => {
    await http.post(`${API}/backuprepositories`, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'keyless' }, spec: { backend: { filesystem: { path: join(dir, 'keyless') } }, encryption: { keySecretRef: { name: 'nope', namespace: 'holdfast-system' } } } });
    const c = await condition(`${API}/backuprepositories/keyless`, 'Accepted', () => true);
    assert.deepEqual([c.status, c.reason, c.message], ['False', 'SecretNotFound', 'Secret holdfast-system/nope does not exist']);
  });
});
