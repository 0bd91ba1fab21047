import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectForRestore, type RestoreSelection } from './restore-selection.ts';
import type { KubeObject } from './types.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';

const objects: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a', labels: { app: 'x' } } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'b' } },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'a', labels: { app: 'x' } } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'b' } },
  { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name: 'rb', namespace: 'a', labels: { app: 'x' } }, roleRef: { kind: 'ClusterRole', name: 'reader' } },
  { apiVersion: 'x.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'b' } },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.x.dev' }, spec: { group: 'x.dev', names: { kind: 'Widget' } } },
  { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-a' }, spec: { claimRef: { namespace: 'a', name: 'data' } } },
  { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'reader' } },
  { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'binder' } },
  { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'unrelated' } },
  { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'crb' }, roleRef: { kind: 'ClusterRole', name: 'binder' }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'b' }] },
];

const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

test('a restore selection picks namespaced objects and the cluster objects they depend on', () => {
  const cases: Array<[string, RestoreSelection, string[]]> = [
    [
      'everything with its dependencies',
      undefined,
      ['Namespace/a', 'Namespace/b', 'ConfigMap/a/c', 'ConfigMap/b/c', 'PersistentVolumeClaim/a/data', 'ServiceAccount/b/sa', 'RoleBinding/a/rb', 'Widget/b/w', 'CustomResourceDefinition/widgets.x.dev', 'PersistentVolume/pv-a', 'ClusterRole/reader', 'ClusterRole/binder', 'ClusterRoleBinding/crb'],
    ],
    ['one namespace', { namespaces: ['a'], clusterResources: 'dependencies' }, ['Namespace/a', 'ConfigMap/a/c', 'PersistentVolumeClaim/a/data', 'RoleBinding/a/rb', 'PersistentVolume/pv-a', 'ClusterRole/reader']],
    ['no cluster objects', { namespaces: ['b'], clusterResources: 'none' }, ['Namespace/b', 'ConfigMap/b/c', 'ServiceAccount/b/sa', 'Widget/b/w']],
    [
      'all cluster objects',
      { namespaces: ['a'], clusterResources: 'all', excludedKinds: ['ClusterRoleBinding'] },
      ['Namespace/a', 'ConfigMap/a/c', 'PersistentVolumeClaim/a/data', 'RoleBinding/a/rb', 'CustomResourceDefinition/widgets.x.dev', 'PersistentVolume/pv-a', 'ClusterRole/reader', 'ClusterRole/binder', 'ClusterRole/unrelated'],
    ],
    ['kinds', { includedKinds: ['ConfigMap'], clusterResources: 'dependencies' }, ['ConfigMap/a/c', 'ConfigMap/b/c']],
    ['labels (namespaces are not filtered by labels)', { labelSelector: { matchLabels: { app: 'x' } }, clusterResources: 'dependencies' }, ['Namespace/a', 'Namespace/b', 'ConfigMap/a/c', 'PersistentVolumeClaim/a/data', 'RoleBinding/a/rb', 'PersistentVolume/pv-a', 'ClusterRole/reader']],
    ['names', { includedNames: ['ConfigMap/c'], excludedNames: ['Namespace/b'], clusterResources: 'dependencies' }, ['Namespace/a', 'ConfigMap/a/c', 'ConfigMap/b/c']],
    ['excluded dependency kind', { namespaces: ['a'], excludedKinds: ['PersistentVolume'], clusterResources: 'dependencies' }, ['Namespace/a', 'ConfigMap/a/c', 'PersistentVolumeClaim/a/data', 'RoleBinding/a/rb', 'ClusterRole/reader']],
  ];
  for (const [name, selection, expected] of cases) assert.deepEqual(selectForRestore(objects, selection).map(key), expected, name);
});
