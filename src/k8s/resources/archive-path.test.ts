import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archivePath, archivePathOf, parseArchivePath, type ArchiveLocation } from './archive-path.ts';

test('archive paths: core group without suffix, groups after the plural, cluster or namespaces scope', () => {
  const cases: Array<[ArchiveLocation, string]> = [
    [{ plural: 'configmaps', group: '', namespace: 'shop', name: 'settings' }, 'resources/configmaps/namespaces/shop/settings.json'],
    [{ plural: 'deployments', group: 'apps', namespace: 'shop', name: 'web' }, 'resources/deployments.apps/namespaces/shop/web.json'],
    [{ plural: 'namespaces', group: '', name: 'shop' }, 'resources/namespaces/cluster/shop.json'],
    [
      { plural: 'clusterroles', group: 'rbac.authorization.k8s.io', name: 'system:controller:x' },
      'resources/clusterroles.rbac.authorization.k8s.io/cluster/system:controller:x.json',
    ],
    [
      { plural: 'customresourcedefinitions', group: 'apiextensions.k8s.io', name: 'widgets.test.holdfast.dev' },
      'resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.test.holdfast.dev.json',
    ],
    [{ plural: 'widgets', group: 'test.holdfast.dev', namespace: 'a', name: 'w.1' }, 'resources/widgets.test.holdfast.dev/namespaces/a/w.1.json'],
  ];
  for (const [location, path] of cases) {
    assert.equal(archivePathOf(location), path);
    assert.deepEqual(parseArchivePath(path), location, path);
  }
});

test('archivePath takes the scope from the resource, not from a stray namespace field', () => {
  const pv = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv1', namespace: 'ignored' } };
  assert.equal(archivePath(pv, { plural: 'persistentvolumes', group: '', namespaced: false }), 'resources/persistentvolumes/cluster/pv1.json');
});

test('paths outside the layout parse to undefined', () => {
  for (const path of ['manifest.json', 'resources/configmaps/shop/x.json', 'resources/configmaps/cluster/x.yaml', 'resources/configmaps/namespaces/x.json', 'resources//cluster/x.json', 'resources/configmaps/cluster/.json', 'other/configmaps/cluster/x.json']) {
    assert.equal(parseArchivePath(path), undefined, path);
  }
});
