/**
 * The test node agent (test/helpers/node-agent.ts) runs the pods of a real control plane:
 * Jobs whose pods mount CSI volumes complete and leave their files in the volume, failed
 * containers report their termination message, Deployments scale up and down, a killed
 * container restarts, and `pods/log` and `pods/exec` work through the apiserver with
 * client-node's own clients, as they will for Holdfast's mover pods.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, Exec, Log, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { V1Container, V1Pod, V1PodSpec, V1Status } from '@kubernetes/client-node';
import { startControlPlane } from '../helpers/control-plane.ts';
import type { ControlPlane } from '../helpers/control-plane.ts';
import { startCsi } from '../helpers/csi.ts';
import type { CsiHostPath } from '../helpers/csi.ts';
import { eventually } from '../helpers/eventually.ts';
import { startNodeAgent } from '../helpers/node-agent.ts';
import type { NodeAgent } from '../helpers/node-agent.ts';
import { V4 } from '../helpers/node-agent/exec-session.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function shell(name: string, script: string, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: 'busybox:1.36', command: ['sh', '-c', script], ...extra };
}

function podBody(name: string, spec: Partial<V1PodSpec> & Pick<V1PodSpec, 'containers'>): V1Pod {
  return { metadata: { name }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, ...spec } };
}

interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: V1Status;
}

describe('the test node agent', { concurrency: true }, () => {
  let plane: ControlPlane;
  let csi: CsiHostPath;
  let agent: NodeAgent;
  let core: CoreV1Api;

  before(async () => {
    plane = await startControlPlane({ name: 'node-agent' });
    csi = await startCsi(plane);
    agent = await startNodeAgent(plane, { csi });
    core = plane.kubeConfig().makeApiClient(CoreV1Api);
  });

  after(async () => {
    await agent?.stop();
    await csi?.stop();
    await plane?.stop();
  });

  const pod = (namespace: string, name: string): Promise<V1Pod> => core.readNamespacedPod({ namespace, name });

  async function waitForPod(namespace: string, name: string, what: string, check: (p: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
    return eventually(`pod ${namespace}/${name} ${what}`, async () => {
      const p = await pod(namespace, name);
      return check(p) ? p : undefined;
    }, timeoutMs);
  }

  /** Fails at once when the pod ends in the other terminal phase. */
  const isPhase = (phase: string) => (p: V1Pod): boolean => {
    const now = p.status?.phase ?? '';
    if (now !== phase && ['Succeeded', 'Failed'].includes(now)) assert.fail(`pod ${p.metadata?.name ?? ''} is ${now}, not ${phase}: ${JSON.stringify(p.status)}`);
    return now === phase;
  };

  /** Prints what the agent and the pods' containers said when `body` fails. */
  async function withDiagnostics(namespace: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      const pods = await core.listNamespacedPod({ namespace }).catch(() => ({ items: [] as V1Pod[] }));
      for (const p of pods.items) {
        const name = p.metadata?.name ?? '';
        console.error(`--- pod ${namespace}/${name}: ${JSON.stringify(p.status)}\n${agent.logs(namespace, name)}`);
      }
      console.error(`--- agent.log\n${readFileSync(join(plane.dir, 'node-agent', 'agent.log'), { encoding: 'utf8', flag: 'a+' })}`);
      throw err;
    }
  }

  async function exec(namespace: string, name: string, command: string[], stdin?: string): Promise<ExecResult> {
    const out = { stdout: '', stderr: '' };
    const stdout = new PassThrough().on('data', (d: Buffer) => (out.stdout += d.toString()));
    const stderr = new PassThrough().on('data', (d: Buffer) => (out.stderr += d.toString()));
    const input = stdin === undefined ? null : Readable.from([Buffer.from(stdin)]);
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(plane.kubeConfig()).exec(namespace, name, 'main', command, stdout, stderr, input, false, resolve).catch(reject);
    });
    return { ...out, status };
  }

  /** A raw WebSocket exec through the apiserver that offers v4.channel.k8s.io only: channel → text. */
  async function execV4(namespace: string, name: string, command: string[]): Promise<{ protocol: string; channels: Map<number, string> }> {
    const query = new URLSearchParams([...command.map((c): [string, string] => ['command', c]), ['container', 'main'], ['stdout', 'true'], ['stderr', 'true']]);
    const url = `${plane.server.replace('https:', 'wss:')}/api/v1/namespaces/${namespace}/pods/${name}/exec?${query.toString()}`;
    const ws = new WebSocket(url, [V4], { ca: plane.caPem, headers: { authorization: `Bearer ${plane.token}` } });
    const channels = new Map<number, string>();
    ws.on('message', (data: Buffer) => {
      const channel = data[0] ?? -1;
      channels.set(channel, (channels.get(channel) ?? '') + data.subarray(1).toString());
    });
    await new Promise<void>((resolve, reject) => {
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    return { protocol: ws.protocol, channels };
  }

  test('the node is Ready, keeps its Lease and advertises its kubelet endpoint', async () => {
    const node = await core.readNode({ name: agent.nodeName });
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(node.status?.addresses?.map((a) => [a.type, a.address]), [['InternalIP', '127.0.0.1']]);
    assert.ok((node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0) > 0);
    assert.ok(Number(node.status?.allocatable?.pods) > 0);
    const lease = await plane.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: 'kube-node-lease', name: agent.nodeName });
    assert.equal(lease.spec?.holderIdentity, agent.nodeName);
  });

  test('a Job whose pod mounts a PVC completes and leaves its file in the volume; deleting the Job removes its pod', () => withDiagnostics('job', async () => {
    await plane.createNamespace('job');
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'job',
      body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: csi.storageClassName, resources: { requests: { storage: '64Mi' } } } },
    });
    const batch = plane.kubeConfig().makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: 'job',
      body: {
        metadata: { name: 'writer' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
              containers: [shell('main', 'echo "written by $(hostname)" > /data/out.txt && mkdir -p /data/sub && echo deep > /data/sub/f', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
            },
          },
        },
      },
    });
    await eventually('Job writer Complete', async () => {
      const job = await batch.readNamespacedJob({ namespace: 'job', name: 'writer' });
      const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      assert.equal(failed, undefined, `the Job failed: ${failed?.message ?? ''}`);
      return job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? true : undefined;
    });
    const dir = await csi.claimDir('job', 'data');
    assert.match(await readFile(join(dir, 'out.txt'), 'utf8'), /^written by writer-/);
    assert.equal(await readFile(join(dir, 'sub', 'f'), 'utf8'), 'deep\n');
    const [jobPod] = (await core.listNamespacedPod({ namespace: 'job', labelSelector: 'job-name=writer' })).items;
    const status = jobPod?.status;
    assert.equal(status?.phase, 'Succeeded');
    assert.equal(status?.podIP, '127.0.0.1');
    assert.equal(status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');

    await batch.deleteNamespacedJob({ namespace: 'job', name: 'writer', propagationPolicy: 'Background' });
    await eventually('the Job pod deleted', async () => ((await core.listNamespacedPod({ namespace: 'job' })).items.length === 0 ? true : undefined));
  }));

  test('a pod whose claim does not exist yet stays Pending and unscheduled, then runs once the claim is bound', () => withDiagnostics('late', async () => {
    await plane.createNamespace('late');
    await core.createNamespacedPod({
      namespace: 'late',
      body: podBody('waits', {
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'later' } }],
        containers: [shell('main', 'echo ok > /data/ran', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
      }),
    });
    const pending = await waitForPod('late', 'waits', 'Unschedulable', (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') === true);
    assert.equal(pending.status?.phase, 'Pending');
    assert.equal(pending.spec?.nodeName, undefined);
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'late',
      body: { metadata: { name: 'later' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: csi.storageClassName, resources: { requests: { storage: '64Mi' } } } },
    });
    const done = await waitForPod('late', 'waits', 'Succeeded', isPhase('Succeeded'));
    assert.equal(done.spec?.nodeName, agent.nodeName);
    assert.equal(await readFile(join(await csi.claimDir('late', 'later'), 'ran'), 'utf8'), 'ok\n');
  }));

  test('a failing container fails the pod with its termination message, or the end of its output', () => withDiagnostics('fail', async () => {
    await plane.createNamespace('fail');
    await core.createNamespacedPod({ namespace: 'fail', body: podBody('message', { containers: [shell('main', 'echo "disk full" > /dev/termination-log; exit 3')] }) });
    await core.createNamespacedPod({
      namespace: 'fail',
      body: podBody('fallback', {
        containers: [shell('main', 'echo first; echo "it broke" >&2; exit 1', { terminationMessagePolicy: 'FallbackToLogsOnError', terminationMessagePath: '/tmp/holdfast-node-agent-test/msg' })],
      }),
    });
    await core.createNamespacedPod({ namespace: 'fail', body: podBody('no-command', { containers: [{ name: 'main', image: 'nginx:1.27' }] }) });

    const message = (await waitForPod('fail', 'message', 'Failed', isPhase('Failed'))).status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(message?.exitCode, 3);
    assert.equal(message?.reason, 'Error');
    assert.equal(message?.message, 'disk full\n');
    const fallback = (await waitForPod('fail', 'fallback', 'Failed', isPhase('Failed'))).status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(fallback?.message, 'first\nit broke\n');
    const noCommand = (await waitForPod('fail', 'no-command', 'Failed', isPhase('Failed'))).status;
    assert.match(noCommand?.message ?? '', /needs spec\.containers\[\]\.command for image nginx:1\.27/);
  }));

  test('init containers run first and share an emptyDir; Secrets, ConfigMaps and the downward API reach env and files', () => withDiagnostics('env', async () => {
    await plane.createNamespace('env');
    await core.createNamespacedSecret({ namespace: 'env', body: { metadata: { name: 'creds' }, stringData: { password: 'hunter2' } } });
    await core.createNamespacedConfigMap({ namespace: 'env', body: { metadata: { name: 'settings' }, data: { color: 'blue', 'app.conf': 'size=large\n' } } });
    const print = 'echo "pw=$PASSWORD color=$COLOR msg=$MSG me=$ME cm=$CM_color"; cat /shared/from-init /etc/creds/password; echo; cat /etc/app.conf; touch /etc/creds/x 2>/dev/null || echo read-only; exit 0';
    await core.createNamespacedPod({
      namespace: 'env',
      body: podBody('env', {
        volumes: [
          { name: 'shared', emptyDir: {} },
          { name: 'creds', secret: { secretName: 'creds' } },
          { name: 'settings', configMap: { name: 'settings' } },
        ],
        initContainers: [shell('init', 'echo from-init > /shared/from-init', { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] })],
        containers: [shell('main', print, {
          env: [
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
            { name: 'MSG', value: '$(COLOR) sky, $$(COLOR)' },
            { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }],
          volumeMounts: [
            { name: 'shared', mountPath: '/shared', readOnly: true },
            { name: 'creds', mountPath: '/etc/creds' },
            { name: 'settings', mountPath: '/etc/app.conf', subPath: 'app.conf' },
          ],
        })],
      }),
    });
    const done = await waitForPod('env', 'env', 'Succeeded', isPhase('Succeeded'));
    assert.equal(done.status?.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
    assert.equal(
      agent.logs('env', 'env', 'main'),
      'pw=hunter2 color=blue msg=blue sky, $(COLOR) me=env cm=blue\nfrom-init\nhunter2\nsize=large\nread-only\n',
    );
  }));

  test('a native sidecar runs beside the container and stops after it; activeDeadlineSeconds fails a pod', () => withDiagnostics('sidecar', async () => {
    await plane.createNamespace('sidecar');
    await core.createNamespacedPod({
      namespace: 'sidecar',
      body: podBody('with-sidecar', {
        volumes: [{ name: 'shared', emptyDir: {} }],
        initContainers: [shell('side', 'echo up > /shared/side; exec sleep infinity', { restartPolicy: 'Always', volumeMounts: [{ name: 'shared', mountPath: '/shared' }] })],
        containers: [shell('main', 'while [ ! -s /shared/side ]; do sleep 0.1; done; cat /shared/side', { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] })],
      }),
    });
    await core.createNamespacedPod({ namespace: 'sidecar', body: podBody('overdue', { activeDeadlineSeconds: 1, containers: [shell('main', 'exec sleep infinity')] }) });
    const done = await waitForPod('sidecar', 'with-sidecar', 'Succeeded', isPhase('Succeeded'));
    assert.equal(agent.logs('sidecar', 'with-sidecar', 'main'), 'up\n');
    assert.notEqual(done.status?.initContainerStatuses?.[0]?.state?.terminated, undefined);
    const overdue = await waitForPod('sidecar', 'overdue', 'Failed', isPhase('Failed'));
    assert.equal(overdue.status?.reason, 'DeadlineExceeded');
  }));

  test('a Deployment scales to 2 Running pods and back to 0, which deletes them', () => withDiagnostics('deploy', async () => {
    await plane.createNamespace('deploy');
    const apps = plane.kubeConfig().makeApiClient(AppsV1Api);
    const labels = { app: 'sleeper' };
    await apps.createNamespacedDeployment({
      namespace: 'deploy',
      body: {
        metadata: { name: 'sleeper' },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [shell('main', 'exec sleep infinity')] } } },
      },
    });
    await eventually('2 ready replicas', async () => ((await apps.readNamespacedDeployment({ namespace: 'deploy', name: 'sleeper' })).status?.readyReplicas === 2 ? true : undefined));
    const running = (await core.listNamespacedPod({ namespace: 'deploy' })).items;
    assert.deepEqual(running.map((p) => p.status?.phase), ['Running', 'Running']);
    await apps.patchNamespacedDeploymentScale(
      { namespace: 'deploy', name: 'sleeper', body: [{ op: 'replace', path: '/spec/replicas', value: 0 }] },
    );
    await eventually('the pods deleted', async () => ((await core.listNamespacedPod({ namespace: 'deploy' })).items.length === 0 ? true : undefined), 30_000);
  }));

  test('a killed container of a restartPolicy Always pod restarts and counts it', () => withDiagnostics('restart', async () => {
    await plane.createNamespace('restart');
    await core.createNamespacedPod({ namespace: 'restart', body: podBody('server', { restartPolicy: 'Always', containers: [shell('main', 'echo started; exec sleep infinity')] }) });
    await waitForPod('restart', 'server', 'Running', isPhase('Running'));
    await agent.killContainer('restart', 'server');
    const restarted = await waitForPod('restart', 'server', 'restarted', (p) => p.status?.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].state?.running !== undefined);
    assert.equal(restarted.status?.phase, 'Running');
    assert.equal(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137);
    await eventually('the second run logged', async () => (agent.logs('restart', 'server') === 'started\nstarted\n' ? true : undefined), 10_000);
  }));

  test('pods/log and pods/exec work through the apiserver with client-node', () => withDiagnostics('exec', async () => {
    await plane.createNamespace('exec');
    await core.createNamespacedSecret({ namespace: 'exec', body: { metadata: { name: 'creds' }, stringData: { password: 'hunter2' } } });
    await core.createNamespacedPod({
      namespace: 'exec',
      body: podBody('shell', {
        containers: [shell('main', 'echo one; echo two; echo three >&2; exec sleep infinity', { env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] })],
      }),
    });
    await waitForPod('exec', 'shell', 'Running', isPhase('Running'));
    await eventually('three lines of log', async () => (agent.logs('exec', 'shell').split('\n').length > 3 ? true : undefined));
    assert.equal(await core.readNamespacedPodLog({ namespace: 'exec', name: 'shell' }), 'one\ntwo\nthree\n');
    assert.equal(await core.readNamespacedPodLog({ namespace: 'exec', name: 'shell', tailLines: 1 }), 'three\n');
    assert.match(await core.readNamespacedPodLog({ namespace: 'exec', name: 'shell', timestamps: true, tailLines: 1 }), /^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/);

    const ok = await exec('exec', 'shell', ['sh', '-c', 'echo "pw=$PASSWORD"']);
    assert.equal(ok.stdout, 'pw=hunter2\n');
    assert.equal(ok.status.status, 'Success');

    const failed = await exec('exec', 'shell', ['sh', '-c', 'cat; echo err >&2; exit 3'], 'from stdin\n');
    assert.equal(failed.stdout, 'from stdin\n');
    assert.equal(failed.stderr, 'err\n');
    assert.equal(failed.status.status, 'Failure');
    assert.equal(failed.status.reason, 'NonZeroExitCode');
    assert.deepEqual(failed.status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);

    // A client that speaks only v4 (no stream close) gets the same channels.
    const frames = await execV4('exec', 'shell', ['sh', '-c', 'echo v4 out; echo v4 err >&2']);
    assert.equal(frames.protocol, V4);
    assert.equal(frames.channels.get(1), 'v4 out\n');
    assert.equal(frames.channels.get(2), 'v4 err\n');
    assert.deepEqual(JSON.parse(frames.channels.get(3) ?? ''), { metadata: {}, status: 'Success' });
  }));

  test('closing an exec session kills its process, and so does the end of its container', () => withDiagnostics('close', async () => {
    await plane.createNamespace('close');
    await core.createNamespacedPod({ namespace: 'close', body: podBody('shell', { containers: [shell('main', 'exec sleep infinity')] }) });
    await waitForPod('close', 'shell', 'Running', isPhase('Running'));
    const startSleeper = async (): Promise<{ pid: number; close(): void }> => {
      let out = '';
      const stdout = new PassThrough().on('data', (d: Buffer) => (out += d.toString()));
      const ws = await new Exec(plane.kubeConfig()).exec('close', 'shell', 'main', ['sh', '-c', 'echo $$; exec sleep 300'], stdout, null, null, false);
      const pid = await eventually('the exec pid', async () => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined), 20_000);
      assert.doesNotThrow(() => process.kill(pid, 0));
      return { pid, close: () => ws.close() };
    };
    const gone = (pid: number) => async (): Promise<true | undefined> => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    };
    const first = await startSleeper();
    first.close();
    await eventually('the exec process killed', gone(first.pid), 10_000);

    const second = await startSleeper();
    await agent.killContainer('close', 'shell');
    await eventually("the exec process killed with its container", gone(second.pid), 10_000);
    second.close();
  }));

  test('following a log streams new lines until the container ends', () => withDiagnostics('follow', async () => {
    await plane.createNamespace('follow');
    await core.createNamespacedPod({ namespace: 'follow', body: podBody('ticker', { containers: [shell('main', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done')] }) });
    await waitForPod('follow', 'ticker', 'Running', isPhase('Running'));
    let followed = '';
    const sink = new PassThrough().on('data', (d: Buffer) => (followed += d.toString()));
    const ended = new Promise((resolve) => sink.on('finish', resolve));
    // client-node's Log cannot be aborted cleanly (its stream then throws): the container's end ends it.
    await new Log(plane.kubeConfig()).log('follow', 'ticker', 'main', sink, { follow: true, tailLines: 1 });
    const ticks = await eventually('three followed lines', async () => {
      const lines = followed.split('\n').filter(Boolean);
      return lines.length >= 3 ? lines.slice(0, 3) : undefined;
    }, 20_000);
    const numbers = ticks.map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]));
    assert.deepEqual(numbers, [numbers[0], (numbers[0] ?? 0) + 1, (numbers[0] ?? 0) + 2]);
    await core.deleteNamespacedPod({ namespace: 'follow', name: 'ticker' });
    await ended;
  }));

  test('a projected service-account token lets a container list pods with in-cluster config', () => withDiagnostics('token', async () => {
    await plane.createNamespace('token');
    await plane.kubeConfig().makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: 'token',
      body: {
        metadata: { name: 'default-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'token' }],
      },
    });
    const script = [
      "import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';",
      'const kc = new KubeConfig();',
      'kc.loadFromCluster();',
      "const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'token' });",
      "console.log('pods:', pods.items.map((p) => p.metadata.name).join(','), 'server:', kc.getCurrentCluster().server);",
    ].join('\n');
    await core.createNamespacedPod({
      namespace: 'token',
      body: podBody('lister', { containers: [{ name: 'main', image: 'node:24', command: [process.execPath, '--input-type=module', '-e', script], workingDir: repoRoot }] }),
    });
    await waitForPod('token', 'lister', 'Succeeded', isPhase('Succeeded'));
    assert.match(agent.logs('token', 'lister'), /^pods: lister server: https:\/\/127\.0\.0\.1:\d+\n$/);
  }));

  test("Holdfast's image runs this checkout's CLI", () => withDiagnostics('holdfast', async () => {
    await plane.createNamespace('holdfast');
    await core.createNamespacedPod({ namespace: 'holdfast', body: podBody('version', { containers: [{ name: 'main', image: 'ghcr.io/holdfast/holdfast:0.1.0', args: ['--version'] }] }) });
    await waitForPod('holdfast', 'version', 'Succeeded', isPhase('Succeeded'));
    const version = (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(agent.logs('holdfast', 'version'), `${version}\n`);
  }));
});
