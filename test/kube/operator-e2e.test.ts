/**
 * The operator end to end, as a user drives it: `holdfast operator` runs as a real process
 * against a real control plane and the `holdfast` CLI creates and follows Backups and
 * Restores. An application namespace (Deployment, StatefulSet with a claim template,
 * Services, ConfigMaps, Secrets, a PVC and a custom resource) is backed up, the namespace
 * is deleted — its Backup goes with it but the snapshot stays and comes back through the
 * catalog — and restored equal to what it was; cloned into a new namespace; rolled back
 * with prune. An operator killed (SIGKILL) in the middle of a backup is restarted and the
 * backup completes with exactly one snapshot and a repository that checks clean.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { kubeHttp, type KubeHttp } from '#src/k8s/resources/kube-http.ts';
import { cliFor, HOLDFAST_BIN, show, type Cli } from '../helpers/cli.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';
import { APP_OBJECTS, normalized, WIDGET_CRD } from '../helpers/kube/app-objects.ts';

const G = { group: 'holdfast.dev', version: 'v1alpha1' };
let cp: ControlPlane;
let kc: KubeConfig;
let http: KubeHttp;
let dir: string;
let cli: Cli;
let operator: ChildProcessWithoutNullStreams | undefined;
const operatorLog: string[] = [];

function startOperator(): ChildProcessWithoutNullStreams {
  const child = spawn(HOLDFAST_BIN, ['operator'], {
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, POD_NAME: 'e2e', POD_NAMESPACE: 'holdfast-system', HOLDFAST_HEALTH_PORT: '0', HOLDFAST_LEADER_ELECTION: 'false', HOLDFAST_KDF_COST: 'test' },
    stdio: 'pipe',
  });
  child.stderr.on('data', (b: Buffer) => operatorLog.push(b.toString()));
  return child;
}

const run = (args: readonly string[]) => cli.run(args, { env: { KUBECONFIG: cp.kubeconfigPath } });

async function create(path: string, body: unknown): Promise<void> {
  await http.post(path, body);
}

before(async () => {
  [cp, dir] = await Promise.all([startControlPlane({ name: 'e2e' }), mkdtemp(join(tmpdir(), 'holdfast-e2e-'))]);
  kc = cp.kubeConfig();
  http = kubeHttp(kc);
  cli = cliFor(join(dir, 'repo'), 'e2e-pw');
  await installHoldfastCrds(kc);
  await create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', WIDGET_CRD);
  await Promise.all(['holdfast-system', 'shop'].map((n) => cp.createNamespace(n)));
  await eventually('the Widget CRD to serve', async () => (await http.get('/apis/test.holdfast.dev/v1/widgets').then(() => true, () => undefined)));
  for (const [path, obj] of APP_OBJECTS('shop')) await create(path, obj);
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name: 'repo-key' }, stringData: { password: 'e2e-pw' } } });
  const repo = { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'main' }, spec: { backend: { filesystem: { path: join(dir, 'repo') } }, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } }, allowedNamespaces: { from: 'all' }, catalog: { interval: '1s' } } };
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({ ...G, plural: 'backuprepositories', body: repo });
  operator = startOperator();
});

after(async () => {
  if (operator?.exitCode === null) operator.kill('SIGKILL');
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function snapshotOfAppObjects(namespace: string): Promise<string[]> {
  const out: string[] = [];
  for (const [path, obj] of APP_OBJECTS(namespace)) {
    const name = (obj as { metadata: { name: string } }).metadata.name;
    out.push(JSON.stringify(normalized(await http.get(`${path}/${name}`))));
  }
  return out;
}

async function importedBackupOf(sourceName: string): Promise<string> {
  return eventually(`the catalog to list ${sourceName}`, async () => {
    const list = (await http.get<{ items: Array<{ metadata: { name: string }; spec: { imported?: { sourceName?: string } } }> }>('/apis/holdfast.dev/v1alpha1/namespaces/holdfast-system/backups')).items;
    return list.find((b) => b.spec.imported?.sourceName === sourceName)?.metadata.name;
  }, 60_000);
}

describe('operator and CLI end to end', () => {
  let before: string[];
  let imported: string;

  it('backs up a namespace from the CLI, and lists and describes it', async () => {
    const r = await run(['backup', 'create', 'before-change', '-n', 'shop', '--wait', '--timeout', '120']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Backup shop\/before-change created \(repository main\)/);
    assert.match(r.stdout, /Completed: \d+ object\(s\) in snapshot [0-9a-f]{12}/);
    const list = await run(['backup', 'list', '-n', 'shop']);
    assert.match(list.stdout, /^NAMESPACE\s+NAME\s+PHASE\s+OBJECTS\s+SNAPSHOT\s+ORIGIN\s+AGE$/m);
    assert.match(list.stdout, /shop\s+before-change\s+Completed\s+\d+\s+[0-9a-f]{8}\s+on demand/);
    // --wait returns on the Completed status; the operator records the Event after that write.
    const describe = await eventually('the Backup\'s Event in describe', async () => {
      const d = await run(['backup', 'describe', 'before-change', '-n', 'shop']);
      return d.code !== 0 || d.stdout.includes('Events:') ? d : undefined;
    });
    assert.equal(describe.code, 0, show(describe));
    for (const kind of ['Deployment.apps 1', 'StatefulSet.apps 1', 'Service 2', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Widget.test.holdfast.dev 1', 'CustomResourceDefinition.apiextensions.k8s.io 1']) {
      assert.ok(describe.stdout.includes(kind), `describe lists ${kind}:\n${describe.stdout}`);
    }
    assert.match(describe.stdout, /Accepted\s+True\s+Valid/);
    assert.match(describe.stdout, /Events:\n.*\n\s+Normal\s+Completed\s+\S+\s+stored as snapshot/);
  });

  it('after the namespace is deleted, its backup comes back through the catalog and restores the same objects', async () => {
    before = await snapshotOfAppObjects('shop');
    await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: 'shop' });
    await eventually('namespace shop to be gone', async () => (await http.get('/api/v1/namespaces/shop').then(() => undefined, () => true)), 120_000);
    imported = await importedBackupOf('before-change');
    const r = await run(['restore', 'create', 'shop-back', '-n', 'holdfast-system', '--from-backup', imported, '--wait', '--timeout', '120']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Completed: \d+ object\(s\): \d+ created/);
    assert.deepEqual(await snapshotOfAppObjects('shop'), before);
  });

  it('clones the application into a new namespace', async () => {
    const r = await run(['restore', 'create', 'clone', '-n', 'holdfast-system', '--from-backup', imported, '--namespace-map', 'shop=shop-copy', '--wait']);
    assert.equal(r.code, 0, show(r));
    const clone = await snapshotOfAppObjects('shop-copy');
    assert.deepEqual(clone, before.map((o) => o.replaceAll('"shop"', '"shop-copy"')));
  });

  it('rolls back with prune: changes reverted, objects added since the backup deleted', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.patchNamespacedConfigMap({ namespace: 'shop', name: 'settings', body: [{ op: 'replace', path: '/data/color', value: 'red' }] });
    await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'added-later' }, data: { x: '1' } } });
    const r = await run(['restore', 'create', 'rollback', '-n', 'holdfast-system', '--from-backup', imported, '--existing', 'update', '--prune', '--wait']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /pruned/);
    assert.equal((await core.readNamespacedConfigMap({ namespace: 'shop', name: 'settings' })).data?.color, 'blue');
    await assert.rejects(core.readNamespacedConfigMap({ namespace: 'shop', name: 'added-later' }));
    const describe = await run(['restore', 'describe', 'rollback', '-n', 'holdfast-system']);
    assert.match(describe.stdout, /Prune:\s+yes/);
  });

  it('an operator killed in the middle of a backup is restarted and completes it once', async (t) => {
    await cp.createNamespace('bulk');
    const core = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 400; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => core.createNamespacedConfigMap({ namespace: 'bulk', body: { metadata: { name: `cm-${i + j}` }, data: { payload: `${i + j}`.repeat(200) } } })));
    }
    const started = await run(['backup', 'create', 'bulk-1', '-n', 'bulk']);
    assert.equal(started.code, 0, show(started));
    const seen = await eventually('the backup to start', async () => {
      const b = await http.get<{ status?: { phase?: string } }>('/apis/holdfast.dev/v1alpha1/namespaces/bulk/backups/bulk-1');
      return b.status?.phase === 'InProgress' || b.status?.phase === 'Completed' ? b.status.phase : undefined;
    }, 60_000);
    operator?.kill('SIGKILL');
    t.diagnostic(`killed the operator when the Backup was ${seen}`);
    await new Promise((resolve) => operator?.once('exit', resolve));
    operator = startOperator();
    const waited = await run(['backup', 'describe', 'bulk-1', '-n', 'bulk']);
    assert.equal(waited.code, 0, show(waited));
    await eventually('bulk-1 to complete after the restart', async () => {
      const b = await http.get<{ status?: { phase?: string } }>('/apis/holdfast.dev/v1alpha1/namespaces/bulk/backups/bulk-1');
      return b.status?.phase === 'Completed' || undefined;
    }, 120_000);
    const snaps = await cli.run(['snapshots', '--json']);
    const mine = (JSON.parse(snaps.stdout) as Array<{ labels?: Record<string, string> }>).filter((s) => s.labels?.['holdfast.dev/backup'] === 'bulk/bulk-1');
    assert.equal(mine.length, 1, 'one snapshot for the backup, whatever point the kill hit');
    const check = await cli.run(['check']);
    assert.equal(check.code, 0, show(check));
  });
});
