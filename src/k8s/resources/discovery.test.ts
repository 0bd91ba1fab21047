import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogOf, isCapturable, resourcePath, resourcesOf } from './discovery.ts';
import { countOutcomes, statusResources } from './outcomes.ts';
import type { ResourceResult } from '../api/restore.ts';

test('an APIResourceList becomes resources with their subresources', () => {
  const list = [
    { name: 'pods', kind: 'Pod', namespaced: true, verbs: ['create', 'get', 'list', 'delete'] },
    { name: 'pods/status', kind: 'Pod', namespaced: true, verbs: ['get'] },
    { name: 'pods/log', kind: 'Pod', namespaced: true, verbs: ['get'] },
    { name: 'bindings', kind: 'Binding', namespaced: true, verbs: ['create'] },
    { name: 'componentstatuses', kind: 'ComponentStatus', namespaced: false, verbs: ['get', 'list'] },
  ];
  const resources = resourcesOf('', 'v1', list);
  assert.deepEqual(resources.map((r) => [r.plural, r.subresources]), [['pods', ['status', 'log']], ['bindings', []], ['componentstatuses', []]]);
  assert.deepEqual(resources.map(isCapturable), [true, false, false]);
  const catalog = catalogOf([...resources, ...resourcesOf('apps', 'v1', [{ name: 'deployments', kind: 'Deployment', namespaced: true }])]);
  assert.equal(catalog.find('', 'Pod')?.plural, 'pods');
  assert.equal(catalog.find('apps', 'Deployment')?.version, 'v1');
  assert.equal(catalog.find('apps', 'Pod'), undefined);
});

test('resource paths: core and groups, namespaced and cluster-scoped, other versions', () => {
  const pods = resourcesOf('', 'v1', [{ name: 'pods', kind: 'Pod', namespaced: true }])[0]!;
  const crds = resourcesOf('apiextensions.k8s.io', 'v1', [{ name: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false }])[0]!;
  assert.equal(resourcePath(pods, 'a'), '/api/v1/namespaces/a/pods');
  assert.equal(resourcePath(pods, 'a', 'p'), '/api/v1/namespaces/a/pods/p');
  assert.equal(resourcePath(pods, undefined), '/api/v1/pods');
  assert.equal(resourcePath(crds, 'ignored', 'w.x.dev'), '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/w.x.dev');
  assert.equal(resourcePath(crds, undefined, undefined, 'v1beta1'), '/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions');
  assert.equal(resourcePath(pods, 'a', 'system:x'), '/api/v1/namespaces/a/pods/system%3Ax');
});

test('outcome counts, and status lists failures first within the limit', () => {
  const r = (name: string, outcome: ResourceResult['outcome']): ResourceResult => ({ group: '', kind: 'ConfigMap', name, outcome });
  const results = [r('a', 'Created'), r('b', 'Failed'), r('c', 'Skipped'), r('d', 'Pruned'), r('e', 'Failed')];
  assert.deepEqual(countOutcomes(results), { total: 5, created: 1, updated: 0, replaced: 0, skipped: 1, pruned: 1, failed: 2 });
  const status = statusResources(results, 3);
  assert.deepEqual(status.resources.map((x) => x.name), ['b', 'e', 'a']);
  assert.equal(status.resourcesTruncated, true);
});
