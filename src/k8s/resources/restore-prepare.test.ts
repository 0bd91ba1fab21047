import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANNOTATIONS } from '../api/group.ts';
import { NameMap, type Naming } from './naming.ts';
import { LABELS } from '../api/group.ts';
import { prepareForRestore } from './restore-prepare.ts';
import type { KubeObject } from './types.ts';

const ns = 'shop';
const meta = (name: string, namespace: string | null = ns) => (namespace === null ? { name } : { name, namespace });

function backup(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta('shop', null) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('settings') },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('creds') },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('app') },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default') },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { ...meta('files'), annotations: { 'pv.kubernetes.io/bind-completed': 'yes', keep: 'me' } }, spec: { volumeName: 'pv-1', storageClassName: 'standard' } },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data-db-0'), spec: {} },
    { apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta('pv-1', null), spec: { claimRef: { namespace: ns, name: 'files', uid: 'old' } } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            serviceAccountName: 'app',
            volumes: [{ name: 'a', configMap: { name: 'settings' } }, { name: 'b', persistentVolumeClaim: { claimName: 'files' } }, { name: 'c', secret: { secretName: 'elsewhere' } }],
            containers: [{ name: 'm', image: 'x', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'settings' } }] }],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db'),
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [] } }, volumeClaimTemplates: [{ metadata: { name: 'data' } }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('db'), spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 1, nodePort: 30001 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { clusterIP: '10.0.0.9', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080 }] } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('app'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: ns }, { kind: 'User', name: 'alice' }],
    },
    { apiVersion: 'x.dev/v1', kind: 'Widget', metadata: { ...meta('w'), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'old' }] } },
  ];
}

const provenance = { restore: 'ops/r1', backup: 'shop/nightly', snapshotId: 'abc', at: new Date('2025-06-01T12:00:00.123Z') };

function prepared(naming: Naming): Map<string, KubeObject> {
  const objects = backup();
  const names = new NameMap(objects, naming);
  const cloneLabel = names.renaming ? 'r1' : undefined;
  return new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, prepareForRestore(o, { names, provenance, cloneLabel })]));
}

const get = (m: Map<string, KubeObject>, key: string): KubeObject => {
  const obj = m.get(key);
  assert.ok(obj, key);
  return obj;
};

test('a plain restore keeps names, drops the old binding and allocations, and records provenance', () => {
  const out = prepared({});
  const pvc = get(out, 'PersistentVolumeClaim/files');
  assert.deepEqual(pvc.spec, { storageClassName: 'standard' });
  assert.deepEqual(pvc.metadata.annotations, {
    keep: 'me',
    [ANNOTATIONS.restoredFromBackup]: 'shop/nightly',
    [ANNOTATIONS.restoredFromSnapshot]: 'abc',
    [ANNOTATIONS.restoredBy]: 'ops/r1',
    [ANNOTATIONS.restoredAt]: '2025-06-01T12:00:00Z',
  });
  assert.deepEqual(get(out, 'Service/web').spec, { selector: { app: 'web' }, ports: [{ port: 80 }] });
  assert.deepEqual(get(out, 'Service/db').spec, { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 1 }] });
  assert.deepEqual(get(out, 'PersistentVolume/pv-1').spec, { claimRef: { namespace: ns, name: 'files' } });
  assert.equal(get(out, 'Deployment/web').metadata.namespace, ns);
  assert.equal(get(out, 'Deployment/web').metadata.annotations?.[ANNOTATIONS.originalName], undefined);
});

test('a clone maps the namespace, renames, and references follow', () => {
  const out = prepared({ namespaceMapping: { shop: 'shop-copy' }, rename: { prefix: 'copy-', names: { 'ConfigMap/settings': 'config' } } });
  const deploy = get(out, 'Deployment/web');
  assert.equal(deploy.metadata.name, 'copy-web');
  assert.equal(deploy.metadata.namespace, 'shop-copy');
  assert.equal(deploy.metadata.annotations?.[ANNOTATIONS.originalName], 'shop/web');
  const pod = (deploy.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  assert.equal(pod.serviceAccountName, 'copy-app');
  assert.deepEqual(pod.volumes, [{ name: 'a', configMap: { name: 'config' } }, { name: 'b', persistentVolumeClaim: { claimName: 'copy-files' } }, { name: 'c', secret: { secretName: 'elsewhere' } }]);
  assert.deepEqual(pod.containers, [{ name: 'm', image: 'x', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'copy-creds', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'config' } }] }]);
  assert.equal(get(out, 'Namespace/shop').metadata.name, 'shop-copy');
  assert.equal(get(out, 'ServiceAccount/default').metadata.name, 'default', 'every namespace has its own default service account');
  assert.equal(get(out, 'StatefulSet/db').metadata.name, 'copy-db');
  assert.equal((get(out, 'StatefulSet/db').spec as { serviceName: string }).serviceName, 'copy-db');
  assert.equal(get(out, 'PersistentVolumeClaim/data-db-0').metadata.name, 'data-copy-db-0', 'claims follow their StatefulSet');
  const binding = get(out, 'RoleBinding/app');
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'copy-app', namespace: 'shop-copy' }, { kind: 'User', name: 'alice' }]);
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' });
  assert.equal(get(out, 'PersistentVolume/pv-1').metadata.name, 'pv-1', 'cluster-scoped objects keep their names');
  assert.deepEqual(get(out, 'PersistentVolume/pv-1').spec, { claimRef: { namespace: 'shop-copy', name: 'copy-files' } });
  assert.equal(get(out, 'Widget/w').metadata.ownerReferences?.[0]?.name, 'copy-web');
});

test('a renamed clone selects only its own pods', () => {
  const out = prepared({ rename: { suffix: '-2' } });
  const deploy = get(out, 'Deployment/web').spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
  assert.deepEqual(deploy.selector.matchLabels, { app: 'web', [LABELS.clone]: 'r1' });
  assert.deepEqual(deploy.template.metadata.labels, { app: 'web', [LABELS.clone]: 'r1' });
  assert.deepEqual((get(out, 'Service/web').spec as { selector: unknown }).selector, { app: 'web', [LABELS.clone]: 'r1' });
  const mapped = prepared({ namespaceMapping: { shop: 'other' } });
  assert.deepEqual((get(mapped, 'Deployment/web').spec as { selector: unknown }).selector, { matchLabels: { app: 'web' } }, 'another namespace needs no clone label');
});

test('preparing leaves the backup object unchanged', () => {
  const objects = backup();
  const before = structuredClone(objects);
  const names = new NameMap(objects, { namespaceMapping: { shop: 'x' }, rename: { prefix: 'p-' } });
  for (const o of objects) prepareForRestore(o, { names, provenance, cloneLabel: 'r1', transforms: { storageClassMapping: { standard: 'fast' } } });
  assert.deepEqual(objects, before);
});
