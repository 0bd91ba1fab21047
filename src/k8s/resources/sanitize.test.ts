import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindSkipReason, objectSkipReason } from './capture-rules.ts';
import { sanitizeForBackup } from './sanitize.ts';
import type { ApiResource, KubeObject } from './types.ts';

const resource = (kind: string, group = '', subresources: string[] = []): ApiResource => ({
  group,
  version: 'v1',
  kind,
  plural: `${kind.toLowerCase()}s`,
  namespaced: true,
  verbs: ['create', 'get', 'list'],
  subresources,
});

const serverMeta = {
  uid: 'u-1',
  resourceVersion: '42',
  generation: 3,
  creationTimestamp: '2025-01-01T00:00:00Z',
  managedFields: [{ manager: 'kubectl' }],
  selfLink: '/x',
};

test('server-populated metadata goes; labels, annotations, finalizers stay', () => {
  const obj: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'n', labels: { a: '1' }, annotations: { keep: 'x' }, finalizers: ['example.com/f'], ...serverMeta },
    data: { k: 'v' },
  };
  const clean = sanitizeForBackup(obj, resource('ConfigMap'), new Set());
  assert.deepEqual(clean, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', labels: { a: '1' }, annotations: { keep: 'x' }, finalizers: ['example.com/f'] }, data: { k: 'v' } });
  assert.equal(obj.metadata.uid, 'u-1', 'the input is unchanged');
});

test('status goes only where a status subresource keeps it apart from user data', () => {
  const cr: KubeObject = { apiVersion: 'x.dev/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: 1 }, status: { ready: true } };
  assert.equal(sanitizeForBackup(cr, resource('Widget', 'x.dev', ['status']), new Set()).status, undefined);
  assert.deepEqual(sanitizeForBackup(cr, resource('Widget', 'x.dev'), new Set()).status, { ready: true });
});

test('owner references survive only when the owner is captured', () => {
  const owned: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', ownerReferences: [{ apiVersion: 'x.dev/v1', kind: 'Db', name: 'a', uid: 'in' }, { apiVersion: 'x.dev/v1', kind: 'Db', name: 'b', uid: 'out' }] },
  };
  assert.deepEqual(sanitizeForBackup(owned, resource('Secret'), new Set(['in'])).metadata.ownerReferences?.map((o) => o.name), ['a']);
  assert.equal(sanitizeForBackup(owned, resource('Secret'), new Set()).metadata.ownerReferences, undefined);
});

test('kind rules: cluster IPs (not headless), pod scheduling and injected token volumes, generated Job selectors, PV claim uid, Deployment revision', () => {
  const cases: Array<[string, KubeObject, ApiResource, (o: KubeObject) => unknown, unknown]> = [
    ['service ip', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'], ports: [] } }, resource('Service'), (o) => o.spec, { ports: [] }],
    ['headless', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: 'None', clusterIPs: ['None'] } }, resource('Service'), (o) => o.spec, { clusterIP: 'None', clusterIPs: ['None'] }],
    [
      'pod',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          nodeName: 'n1',
          priorityClassName: 'high',
          priority: 1000,
          volumes: [{ name: 'kube-api-access-abcde', projected: {} }, { name: 'data', emptyDir: {} }],
          containers: [{ name: 'c', volumeMounts: [{ name: 'kube-api-access-abcde' }, { name: 'data' }] }],
        },
      },
      resource('Pod'),
      (o) => o.spec,
      { priorityClassName: 'high', volumes: [{ name: 'data', emptyDir: {} }], containers: [{ name: 'c', volumeMounts: [{ name: 'data' }] }] },
    ],
    [
      'job',
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        spec: { selector: { matchLabels: { 'controller-uid': 'u' } }, template: { metadata: { labels: { 'controller-uid': 'u', 'batch.kubernetes.io/controller-uid': 'u', 'job-name': 'j' } } } },
      },
      resource('Job', 'batch'),
      (o) => o.spec,
      { template: { metadata: { labels: {} } } },
    ],
    [
      'manual job selector',
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } } } },
      resource('Job', 'batch'),
      (o) => o.spec,
      { manualSelector: true, selector: { matchLabels: { a: 'b' } } },
    ],
    [
      'pv claim',
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { claimRef: { namespace: 'n', name: 'c', uid: 'u', resourceVersion: '1' } } },
      resource('PersistentVolume'),
      (o) => o.spec,
      { claimRef: { namespace: 'n', name: 'c' } },
    ],
    [
      'deployment revision',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', annotations: { 'deployment.kubernetes.io/revision': '3' } } },
      resource('Deployment', 'apps'),
      (o) => o.metadata.annotations,
      undefined,
    ],
    [
      'claim binding kept for the restore to decide',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }, spec: { volumeName: 'pv' } },
      resource('PersistentVolumeClaim'),
      (o) => [o.spec, o.metadata.annotations],
      [{ volumeName: 'pv' }, { 'pv.kubernetes.io/bind-completed': 'yes' }],
    ],
  ];
  for (const [name, obj, res, pick, expected] of cases) assert.deepEqual(pick(sanitizeForBackup(obj, res, new Set())), expected, name);
});

test('capture rules leave out what controllers and the cluster recreate, with a reason', () => {
  const controller = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u', controller: true }];
  const cases: Array<[KubeObject, RegExp | undefined]> = [
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', ownerReferences: controller } }, /recreated by its controller ReplicaSet web-1/],
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' } }, undefined],
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, status: { phase: 'Succeeded' } }, /finished pod/],
    [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', namespace: 'n', ownerReferences: [{ ...controller[0]!, kind: 'Deployment' }] } }, /controller Deployment/],
    [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-db-0', namespace: 'n', ownerReferences: [{ ...controller[0]!, kind: 'StatefulSet' }] } }, undefined],
    [{ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'n', labels: { 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' } } }, /endpoints controller/],
    [{ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external', namespace: 'n' } }, undefined],
    [{ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-x', namespace: 'n', labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } } }, /endpointslice-controller/],
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'n' } }, /root CA/],
    [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 't', namespace: 'n' }, type: 'kubernetes.io/service-account-token' }, /token/],
    [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 't', namespace: 'n' }, type: 'Opaque' }, undefined],
    [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default' } }, /apiserver/],
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', deletionTimestamp: '2025-01-01T00:00:00Z' } }, /being deleted/],
    [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'view', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } } }, /default RBAC/],
    [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'mine' } }, undefined],
    [{ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-node-critical' } }, /system priority/],
  ];
  for (const [obj, reason] of cases) {
    const got = objectSkipReason(obj);
    if (reason === undefined) assert.equal(got, undefined, `${obj.kind} ${obj.metadata.name}`);
    else assert.match(got ?? '', reason, `${obj.kind} ${obj.metadata.name}`);
  }
});

test('whole kinds left out: events, leases, own run records; cluster-owned kinds only when cluster-scoped', () => {
  assert.match(kindSkipReason(resource('Event')) ?? '', /events/);
  assert.match(kindSkipReason(resource('Event', 'events.k8s.io')) ?? '', /events/);
  assert.match(kindSkipReason(resource('Lease', 'coordination.k8s.io')) ?? '', /leader-election/);
  assert.match(kindSkipReason(resource('Backup', 'holdfast.dev')) ?? '', /run records/);
  assert.equal(kindSkipReason(resource('BackupPolicy', 'holdfast.dev')), undefined);
  assert.equal(kindSkipReason(resource('ConfigMap')), undefined);
  assert.match(kindSkipReason({ ...resource('Node'), namespaced: false }) ?? '', /register themselves/);
});
