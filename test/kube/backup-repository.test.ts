/**
 * The BackupRepository controller on a real control plane: it initializes a missing
 * repository and reports Ready with its id; a wrong password, a repository that does not
 * exist (initialize: never) and a missing Secret each get a clear condition, not a crash.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { PLURAL } from '#src/controllers/backup-repository/reconciler.ts';
import type { Controller } from '#src/controllers/runtime/controller.ts';
import { startControllers, stopControllers } from '../helpers/operator-controllers.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';

let cp: ControlPlane;
let controllers: Controller[] = [];
let dir: string;

before(async () => {
  [cp, dir] = await Promise.all([startControlPlane({ name: 'repo-ctl' }), mkdtemp(join(tmpdir(), 'holdfast-repo-ctl-'))]);
  const kc = cp.kubeConfig();
  await installHoldfastCrds(kc);
  await cp.createNamespace('holdfast-system');
  const core = kc.makeApiClient(CoreV1Api);
  for (const [name, password] of [['repo-key', 'right'], ['wrong-key', 'wrong']] as const) {
    await core.createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name }, stringData: { password } } });
  }
  controllers = await startControllers(kc, ['BackupRepository']);
});

after(async () => {
  await stopControllers(controllers);
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Cond { type: string; status: string; reason: string; message: string }

async function createRepository(name: string, path: string, secret: string, initialize: 'if-missing' | 'never'): Promise<void> {
  await cp.kubeConfig().makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: 'holdfast.dev', version: 'v1alpha1', plural: PLURAL,
    body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name }, spec: { backend: { filesystem: { path } }, encryption: { keySecretRef: { name: secret, namespace: 'holdfast-system' } }, initialize } },
  });
}

async function condition(name: string, type: string): Promise<{ cond: Cond; status: Record<string, unknown> }> {
  return eventually(`${type} on ${name}`, async () => {
    const obj = (await cp.kubeConfig().makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: 'holdfast.dev', version: 'v1alpha1', plural: PLURAL, name })) as { status?: { conditions?: Cond[] } & Record<string, unknown> };
    const cond = obj.status?.conditions?.find((c) => c.type === type);
    return cond ? { cond, status: obj.status ?? {} } : undefined;
  });
}

describe('BackupRepository controller', () => {
  it('initializes a missing repository and reports Ready with its id and sizes', async () => {
    await createRepository('main', join(dir, 'main'), 'repo-key', 'if-missing');
    const { cond, status } = await condition('main', 'Ready');
    assert.equal(cond.status, 'True', cond.message);
    assert.equal(cond.reason, 'Connected');
    assert.match(String(status.repositoryId), /^[0-9a-f]{64}$/);
    assert.equal(status.initialized, true);
    assert.ok(existsSync(join(dir, 'main', 'config')), 'the repository exists on disk');
  });

  it('reports WrongPassword for the wrong key, without touching the repository', async () => {
    await createRepository('wrong', join(dir, 'main'), 'wrong-key', 'never');
    const { cond } = await condition('wrong', 'Ready');
    assert.deepEqual([cond.status, cond.reason], ['False', 'WrongPassword']);
    assert.match(cond.message, /wrong password/);
  });

  it('reports NotInitialized when the repository is missing and initialize is never', async () => {
    await createRepository('absent', join(dir, 'absent'), 'repo-key', 'never');
    const { cond } = await condition('absent', 'Ready');
    assert.deepEqual([cond.status, cond.reason], ['False', 'NotInitialized']);
    assert.ok(!existsSync(join(dir, 'absent', 'config')));
  });

  it('is not Accepted when its Secret is missing, and says which', async () => {
    await createRepository('no-secret', join(dir, 'x'), 'does-not-exist', 'if-missing');
    const { cond } = await condition('no-secret', 'Accepted');
    assert.deepEqual([cond.status, cond.reason], ['False', 'SecretNotFound']);
    assert.match(cond.message, /Secret holdfast-system\/does-not-exist does not exist/);
  });
});
