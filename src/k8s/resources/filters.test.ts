import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelSelector } from '../api/selectors.ts';
import { kindSelected, labelSelectorQuery, labelsMatch, nameSelected, wildcardMatches, type ObjectFilter } from './filters.ts';

test('kind filters: Kind in any group, Kind.group in one, *; exclusion wins', () => {
  const cases: Array<[ObjectFilter, string, string, boolean]> = [
    [{}, 'apps', 'Deployment', true],
    [{ includedKinds: [] }, 'apps', 'Deployment', true],
    [{ includedKinds: ['Deployment'] }, 'apps', 'Deployment', true],
    [{ includedKinds: ['Deployment.apps'] }, 'apps', 'Deployment', true],
    [{ includedKinds: ['Deployment.extensions'] }, 'apps', 'Deployment', false],
    [{ includedKinds: ['ConfigMap'] }, '', 'ConfigMap', true],
    [{ includedKinds: ['Service'] }, 'serving.knative.dev', 'Service', true],
    [{ includedKinds: ['Service.serving.knative.dev'] }, '', 'Service', false],
    [{ excludedKinds: ['*'] }, '', 'ConfigMap', false],
    [{ includedKinds: ['ConfigMap'], excludedKinds: ['ConfigMap'] }, '', 'ConfigMap', false],
    [{ includedKinds: ['*'], excludedKinds: ['Secret'] }, '', 'ConfigMap', true],
  ];
  for (const [filter, group, kind, expected] of cases) assert.equal(kindSelected(filter, group, kind), expected, `${JSON.stringify(filter)} ${kind}.${group}`);
});

test('wildcards: * any run, ? one character, dots are literal', () => {
  const cases: Array<[string, string, boolean]> = [
    ['web', 'web', true],
    ['web-*', 'web-1', true],
    ['web-*', 'web', false],
    ['db-?', 'db-0', true],
    ['db-?', 'db-10', false],
    ['a.b', 'axb', false],
    ['*', '', true],
  ];
  for (const [pattern, value, expected] of cases) assert.equal(wildcardMatches(pattern, value), expected, `${pattern} ~ ${value}`);
});

test('name filters: name or Kind/name; plain patterns do not reach namespaces and dependencies', () => {
  const cm = { group: '', kind: 'ConfigMap', name: 'settings' };
  const ns = { group: '', kind: 'Namespace', name: 'shop' };
  const cases: Array<[ObjectFilter, typeof cm, boolean, boolean]> = [
    [{ includedNames: ['settings'] }, cm, true, true],
    [{ includedNames: ['set*'] }, cm, true, true],
    [{ includedNames: ['Secret/settings'] }, cm, true, false],
    [{ includedNames: ['ConfigMap/settings'] }, cm, true, true],
    [{ excludedNames: ['ConfigMap/*'] }, cm, true, false],
    [{ includedNames: ['settings'], excludedNames: ['settings'] }, cm, true, false],
    [{ includedNames: ['web'] }, ns, false, true],
    [{ includedNames: ['Namespace/other'] }, ns, false, false],
    [{ includedNames: ['Namespace/shop'] }, ns, false, true],
    [{ excludedNames: ['shop'] }, ns, false, true],
    [{ excludedNames: ['Namespace/shop'] }, ns, false, false],
  ];
  for (const [filter, obj, plain, expected] of cases) assert.equal(nameSelected(filter, obj, plain), expected, `${JSON.stringify(filter)} ${obj.kind}/${obj.name}`);
});

test('label selectors match like the apiserver and translate to its query syntax', () => {
  const labels = { app: 'web', tier: 'front' };
  const cases: Array<[LabelSelector | undefined, boolean, string | undefined]> = [
    [undefined, true, undefined],
    [{}, true, undefined],
    [{ matchLabels: { app: 'web' } }, true, 'app=web'],
    [{ matchLabels: { app: 'db' } }, false, 'app=db'],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true, 'tier in (front,back)'],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false, 'tier notin (front)'],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true, 'app'],
    [{ matchExpressions: [{ key: 'gone', operator: 'DoesNotExist' }] }, true, '!gone'],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'x', operator: 'Exists' }] }, false, 'app=web,x'],
  ];
  for (const [selector, matches, query] of cases) {
    assert.equal(labelsMatch(selector, labels), matches, JSON.stringify(selector));
    assert.equal(labelSelectorQuery(selector), query, JSON.stringify(selector));
  }
  assert.equal(labelsMatch({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, undefined), true);
});
