/**
 * `holdfast operator` as real processes against a real control plane: two replicas, one
 * leads (holdfast_leader 1 on its /metrics) and reconciles a BackupRepository and a
 * Backup; /healthz and /readyz answer; SIGTERM stops the leader cleanly (exit 0, Lease
 * released) and the standby takes over and completes the next Backup.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { HOLDFAST_BIN } from '../helpers/cli.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { installHoldfastCrds } from '../helpers/holdfast-crds.ts';

const G = { group: 'holdfast.dev', version: 'v1alpha1' };
let cp: ControlPlane;
let kc: KubeConfig;
let dir: string;

interface Replica { name: string; child: ChildProcessWithoutNullStreams; port: Promise<number>; log: string[] }
const replicas: Replica[] = [];

function startReplica(name: string): Replica {
  const child = spawn(HOLDFAST_BIN, ['operator'], {
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, POD_NAME: name, POD_NAMESPACE: 'holdfast-system', HOLDFAST_HEALTH_PORT: '0', HOLDFAST_LOG_LEVEL: 'info' },
    stdio: 'pipe',
  });
  const log: string[] = [];
  const port = new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => {
      for (const line of b.toString().split('\n').filter(Boolean)) {
        log.push(line);
        const m = /"port":(\d+)/.exec(line);
        if (m && line.includes('operator started')) resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`operator ${name} exited ${code}: ${log.join('\n')}`)));
  });
  port.catch(() => {});
  const r = { name, child, port, log };
  replicas.push(r);
  return r;
}

async function get(r: Replica, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${await r.port}${path}`);
  return { status: res.status, text: await res.text() };
}

async function isLeader(r: Replica): Promise<boolean> {
  return /^holdfast_leader 1$/m.test((await get(r, '/metrics')).text);
}

before(async () => {
  [cp, dir] = await Promise.all([startControlPlane({ name: 'operator' }), mkdtemp(join(tmpdir(), 'holdfast-operator-'))]);
  kc = cp.kubeConfig();
  await installHoldfastCrds(kc);
  await Promise.all(['holdfast-system', 'shop'].map((n) => cp.createNamespace(n)));
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({ namespace: 'holdfast-system', body: { metadata: { name: 'repo-key' }, stringData: { password: 'pw' } } });
  await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'settings' }, data: { color: 'green' } } });
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({ ...G, plural: 'backuprepositories', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'main' }, spec: { backend: { filesystem: { path: join(dir, 'repo') } }, encryption: { keySecretRef: { name: 'repo-key', namespace: 'holdfast-system' } }, allowedNamespaces: { from: 'all' } } } });
});

after(async () => {
  for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function backupCompletes(name: string): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', body: { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name }, spec: { repositoryRef: { name: 'main' } } } });
  await eventually(`Backup ${name} Completed`, async () => {
    const b = (await custom.getNamespacedCustomObject({ ...G, namespace: 'shop', plural: 'backups', name })) as { status?: { phase?: string } };
    return b.status?.phase === 'Completed' || undefined;
  }, 90_000);
}

describe('holdfast operator (two replicas)', () => {
  it('one replica leads and reconciles; both answer health checks', async () => {
    const [a, b] = [startReplica('op-a'), startReplica('op-b')];
    for (const r of [a, b]) {
      assert.equal((await get(r, '/healthz')).status, 200);
      assert.equal((await get(r, '/readyz')).status, 200);
    }
    await eventually('a leader', async () => ((await isLeader(a)) || (await isLeader(b))) || undefined);
    assert.notEqual(await isLeader(a), await isLeader(b), 'exactly one leads');
    await backupCompletes('first');
    // A reconcile is counted once it returns, after its last write (the Completed status, then its Event).
    const metrics = await eventually('a counted Backup reconcile', async () => {
      const text = (await get(a, '/metrics')).text + (await get(b, '/metrics')).text;
      return text.includes('holdfast_reconcile_total{controller="Backup",result="success"}') ? text : undefined;
    });
    assert.match(metrics, /holdfast_reconcile_total\{controller="Backup",result="success"\} [1-9]/);
  });

  it('stops the leader cleanly on SIGTERM and the standby completes the next Backup', async () => {
    const [a, b] = replicas;
    assert.ok(a && b);
    const leader = (await isLeader(a)) ? a : b;
    const standby = leader === a ? b : a;
    const exited = new Promise<number | null>((resolve) => leader.child.once('exit', (code) => resolve(code)));
    leader.child.kill('SIGTERM');
    assert.equal(await exited, 0, leader.log.slice(-5).join('\n'));
    await eventually('the standby to lead', async () => (await isLeader(standby)) || undefined, 20_000);
    await backupCompletes('second');
  });
});
