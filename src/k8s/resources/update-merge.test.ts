import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeForUpdate } from './update-merge.ts';
import type { KubeObject } from './types.ts';

test('an update carries over what the cluster allocated and the backup no longer holds', () => {
  const cases: Array<[string, KubeObject, KubeObject, (o: KubeObject) => unknown, unknown]> = [
    [
      'resourceVersion and finalizers',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['a'] }, data: { k: 'old' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '7', finalizers: ['b'] }, data: { k: 'new', extra: 'x' } },
      (o) => [o.metadata.resourceVersion, o.metadata.finalizers, o.data],
      ['7', ['a', 'b'], { k: 'old' }],
    ],
    [
      'service addresses and node ports',
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { port: 81, protocol: 'UDP' }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'], ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }, { port: 81, protocol: 'TCP', nodePort: 30081 }] } },
      (o) => o.spec,
      { ports: [{ port: 80, nodePort: 30080 }, { port: 81, protocol: 'UDP' }], clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'] },
    ],
    [
      'claim binding',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { storageClassName: 'x' } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', annotations: { 'pv.kubernetes.io/bind-completed': 'yes', other: 'dropped' } }, spec: { storageClassName: 'x', volumeName: 'pv-1' } },
      (o) => [o.spec, o.metadata.annotations],
      [{ storageClassName: 'x', volumeName: 'pv-1' }, { 'pv.kubernetes.io/bind-completed': 'yes' }],
    ],
    [
      'generated job selector',
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { metadata: { labels: { 'job-name': 'j' } } } } },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: { metadata: { labels: { 'job-name': 'j', 'batch.kubernetes.io/controller-uid': 'u', 'controller-uid': 'u' } } } } },
      (o) => o.spec,
      { template: { metadata: { labels: { 'job-name': 'j', 'batch.kubernetes.io/controller-uid': 'u', 'controller-uid': 'u' } } }, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } } },
    ],
    [
      'a PV keeps its binding to the same claim',
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { claimRef: { namespace: 'a', name: 'c' } } },
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { claimRef: { namespace: 'a', name: 'c', uid: 'u' } } },
      (o) => o.spec,
      { claimRef: { namespace: 'a', name: 'c', uid: 'u' } },
    ],
  ];
  for (const [name, desired, live, pick, expected] of cases) {
    const before = structuredClone(desired);
    assert.deepEqual(pick(mergeForUpdate(desired, live)), expected, name);
    assert.deepEqual(desired, before, `${name}: the desired object is unchanged`);
  }
});
