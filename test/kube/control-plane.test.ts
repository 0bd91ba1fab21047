/**
 * The test control plane does what later operator tests rely on: two independent
 * clusters at once, and the controller-manager behaviours (workloads → Pending pods,
 * garbage collection, namespace deletion) plus CRDs, checked through the client library
 * the operator uses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import type { KubeConfig, V1PodTemplateSpec } from '@kubernetes/client-node';
import { startControlPlane } from '../helpers/control-plane.ts';
import type { ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';


function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

async function isGone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if (statusCode(err) === 404) return true;
    throw err;
  }
}

function podTemplate(app: string): V1PodTemplateSpec {
  return {
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'main', image: 'registry.invalid/none:1' }] },
  };
}

async function podsOf(kc: KubeConfig, namespace: string, labelSelector: string): Promise<number> {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
  for (const pod of pods.items) {
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.spec?.nodeName, undefined);
  }
  return pods.items.length;
}

describe('test control plane', { concurrency: true }, () => {
  let a: ControlPlane;
  let b: ControlPlane;

  before(async () => {
    [a, b] = await Promise.all([startControlPlane({ name: 'a', users: [{ name: 'alice', groups: ['devs'] }] }), startControlPlane({ name: 'b' })]);
    console.log(`control planes up in ${a.startupMs} ms and ${b.startupMs} ms (started together)`);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('two control planes are independent clusters', async () => {
    assert.notEqual(a.server, b.server);
    await a.createNamespace('only-in-a');
    const names = (await a.kubeConfig().makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name);
    assert.ok(names.includes('only-in-a'));
    assert.ok(await isGone(() => b.kubeConfig().makeApiClient(CoreV1Api).readNamespace({ name: 'only-in-a' })));
  });

  test('an extra user is authenticated and gets only what RBAC grants', async () => {
    const alice = a.kubeConfig('alice').makeApiClient(CoreV1Api);
    await assert.rejects(alice.listNamespace(), (err) => statusCode(err) === 403);
    await a.kubeConfig().makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: 'devs-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' }],
      },
    });
    await eventually('alice may list pods', async () => {
      try {
        return await alice.listPodForAllNamespaces();
      } catch (err) {
        if (statusCode(err) === 403) return undefined;
        throw err;
      }
    });
  });

  test('a Deployment gets a ReplicaSet whose Pods stay Pending', async () => {
    const kc = a.kubeConfig();
    await a.createNamespace('deployments');
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'deployments',
      body: { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: podTemplate('web') } },
    });
    const rs = await eventually('a ReplicaSet', async () => (await apps.listNamespacedReplicaSet({ namespace: 'deployments' })).items[0]);
    assert.equal(rs.metadata?.ownerReferences?.[0]?.kind, 'Deployment');
    await eventually('2 pods', async () => ((await podsOf(kc, 'deployments', 'app=web')) === 2 ? true : undefined));
  });

  test('a Job creates a Pod', async () => {
    const kc = b.kubeConfig();
    await b.createNamespace('jobs');
    await kc.makeApiClient(BatchV1Api).createNamespacedJob({
      namespace: 'jobs',
      body: { metadata: { name: 'once' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.invalid/none:1' }] } } } },
    });
    await eventually('the job pod', async () => ((await podsOf(kc, 'jobs', 'batch.kubernetes.io/job-name=once')) === 1 ? true : undefined));
  });

  test('garbage collection deletes the Pods of a deleted ReplicaSet', async () => {
    const kc = b.kubeConfig();
    await b.createNamespace('gc');
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedReplicaSet({
      namespace: 'gc',
      body: { metadata: { name: 'rs' }, spec: { replicas: 2, selector: { matchLabels: { app: 'rs' } }, template: podTemplate('rs') } },
    });
    await eventually('2 pods', async () => ((await podsOf(kc, 'gc', 'app=rs')) === 2 ? true : undefined));
    await apps.deleteNamespacedReplicaSet({ name: 'rs', namespace: 'gc', propagationPolicy: 'Background' });
    await eventually('pods deleted', async () => ((await podsOf(kc, 'gc', 'app=rs')) === 0 ? true : undefined));
  });

  test('deleting a namespace with content completes', async () => {
    const kc = a.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await a.createNamespace('doomed');
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'settings' }, data: { a: '1' } } });
    await core.createNamespacedPod({ namespace: 'doomed', body: { metadata: { name: 'p' }, spec: podTemplate('p').spec } });
    await core.deleteNamespace({ name: 'doomed' });
    await eventually('namespace gone', async () => ((await isGone(() => core.readNamespace({ name: 'doomed' }))) ? true : undefined));
  });

  test('a CRD becomes Established and serves custom resources', async () => {
    const kc = b.kubeConfig();
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
      body: {
        metadata: { name: 'widgets.test.holdfast.dev' },
        spec: {
          group: 'test.holdfast.dev',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [{
            name: 'v1', served: true, storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
          }],
        },
      },
    });
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await eventually('Established', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'widgets.test.holdfast.dev' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined;
    });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const target = { group: 'test.holdfast.dev', version: 'v1', namespace: 'default', plural: 'widgets' };
    await custom.createNamespacedCustomObject({ ...target, body: { apiVersion: 'test.holdfast.dev/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } } });
    const widget = (await custom.getNamespacedCustomObject({ ...target, name: 'w' })) as { spec: { size: number } };
    assert.equal(widget.spec.size, 3);
  });
});
