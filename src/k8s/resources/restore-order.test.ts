import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restoreOrder } from './restore-order.ts';
import type { KubeObject } from './types.ts';

const o = (apiVersion: string, kind: string, name: string, namespace?: string): { object: KubeObject } => ({
  object: { apiVersion, kind, metadata: namespace === undefined ? { name } : { name, namespace } },
});

test('restore order: CRDs, namespaces, configuration and RBAC, PVs, PVCs, workloads, the rest; then group, kind, namespace, name', () => {
  const shuffled = [
    o('x.dev/v1', 'Widget', 'w', 'a'),
    o('v1', 'Service', 'web', 'a'),
    o('apps/v1', 'Deployment', 'web', 'b'),
    o('apps/v1', 'Deployment', 'web', 'a'),
    o('v1', 'PersistentVolumeClaim', 'data', 'a'),
    o('batch/v1', 'CronJob', 'nightly', 'a'),
    o('v1', 'PersistentVolume', 'pv', undefined),
    o('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rb', 'a'),
    o('v1', 'Secret', 's', 'a'),
    o('v1', 'ConfigMap', 'c', 'a'),
    o('v1', 'ServiceAccount', 'sa', 'a'),
    o('v1', 'Namespace', 'a', undefined),
    o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.x.dev', undefined),
    o('apps/v1', 'StatefulSet', 'db', 'a'),
  ];
  const order = restoreOrder(shuffled).map((i) => `${i.object.kind}/${i.object.metadata.namespace ?? ''}/${i.object.metadata.name}`);
  assert.deepEqual(order, [
    'CustomResourceDefinition//widgets.x.dev',
    'Namespace//a',
    'ConfigMap/a/c',
    'Secret/a/s',
    'ServiceAccount/a/sa',
    'RoleBinding/a/rb',
    'PersistentVolume//pv',
    'PersistentVolumeClaim/a/data',
    'Deployment/a/web',
    'Deployment/b/web',
    'StatefulSet/a/db',
    'CronJob/a/nightly',
    'Service/a/web',
    'Widget/a/w',
  ]);
});
