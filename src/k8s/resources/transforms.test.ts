import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../core/errors.ts';
import { applyTransforms, overrideImage, parseImage, patchSelects } from './transforms.ts';
import type { KubeObject } from './types.ts';

test('image references: registry ports are not tags', () => {
  assert.deepEqual(parseImage('nginx'), { repository: 'nginx' });
  assert.deepEqual(parseImage('nginx:1.27'), { repository: 'nginx', tag: '1.27' });
  assert.deepEqual(parseImage('localhost:5000/app'), { repository: 'localhost:5000/app' });
  assert.deepEqual(parseImage('localhost:5000/app:2@sha256:ab'), { repository: 'localhost:5000/app', tag: '2', digest: 'sha256:ab' });
});

test('image overrides: exact keys, repository keys for every tag, replacements keep the tag unless they set one', () => {
  const overrides = { 'nginx:1.25': 'nginx:1.27', 'registry.invalid/web': 'mirror.local/web', 'registry.invalid/db': 'mirror.local/db:pinned' };
  const cases: Array<[string, string]> = [
    ['nginx:1.25', 'nginx:1.27'],
    ['nginx:1.26', 'nginx:1.26'],
    ['registry.invalid/web:1.0', 'mirror.local/web:1.0'],
    ['registry.invalid/web', 'mirror.local/web'],
    ['registry.invalid/web@sha256:ab', 'mirror.local/web@sha256:ab'],
    ['registry.invalid/db:3', 'mirror.local/db:pinned'],
    ['registry.invalid/webapp:1', 'registry.invalid/webapp:1'],
  ];
  for (const [image, expected] of cases) assert.equal(overrideImage(image, overrides), expected, image);
});

const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    template: { spec: { initContainers: [{ name: 'init', image: 'busybox:1' }], containers: [{ name: 'main', image: 'registry.invalid/web:1.0' }] } },
  },
});

test('storage classes map on claims, volumes, claim templates and the legacy annotation', () => {
  const mapping = { standard: 'fast' };
  const pvc: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', annotations: { 'volume.beta.kubernetes.io/storage-class': 'standard' } }, spec: { storageClassName: 'standard' } };
  const sts: KubeObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { volumeClaimTemplates: [{ spec: { storageClassName: 'standard' } }, { spec: { storageClassName: 'other' } }] } };
  const out = applyTransforms(pvc, { storageClassMapping: mapping }, 'c');
  assert.deepEqual([(out.spec as { storageClassName: string }).storageClassName, out.metadata.annotations?.['volume.beta.kubernetes.io/storage-class']], ['fast', 'fast']);
  const outSts = applyTransforms(sts, { storageClassMapping: mapping }, 's');
  assert.deepEqual((outSts.spec as { volumeClaimTemplates: Array<{ spec: unknown }> }).volumeClaimTemplates.map((t) => t.spec), [{ storageClassName: 'fast' }, { storageClassName: 'other' }]);
});

test('image overrides reach init containers and pod templates', () => {
  const out = applyTransforms(deployment(), { imageOverrides: { busybox: 'mirror.local/busybox', 'registry.invalid/web': 'mirror.local/web' } }, 'web');
  const spec = (out.spec as { template: { spec: { initContainers: Array<{ image: string }>; containers: Array<{ image: string }> } } }).template.spec;
  assert.deepEqual([spec.initContainers[0]?.image, spec.containers[0]?.image], ['mirror.local/busybox:1', 'mirror.local/web:1.0']);
});

test('JSON patches apply in order to the objects their kinds, names and labels select', () => {
  const obj = deployment();
  const cases: Array<[Parameters<typeof patchSelects>[0], boolean]> = [
    [{ patch: [] }, true],
    [{ kinds: ['Deployment'], patch: [] }, true],
    [{ kinds: ['Deployment.apps'], patch: [] }, true],
    [{ kinds: ['StatefulSet'], patch: [] }, false],
    [{ names: ['we?'], patch: [] }, true],
    [{ names: ['orig*'], patch: [] }, true],
    [{ names: ['db'], patch: [] }, false],
    [{ labelSelector: { matchLabels: { app: 'web' } }, patch: [] }, true],
    [{ labelSelector: { matchLabels: { app: 'db' } }, patch: [] }, false],
  ];
  for (const [patch, expected] of cases) assert.equal(patchSelects(patch, obj, 'original'), expected, JSON.stringify(patch));
  const out = applyTransforms(
    obj,
    {
      jsonPatches: [
        { kinds: ['Deployment'], patch: [{ op: 'replace', path: '/spec/replicas', value: 1 }] },
        { kinds: ['Deployment'], patch: [{ op: 'test', path: '/spec/replicas', value: 1 }, { op: 'add', path: '/metadata/labels/patched', value: 'yes' }] },
        { kinds: ['Service'], patch: [{ op: 'remove', path: '/nothing' }] },
      ],
    },
    'web',
  );
  assert.equal((out.spec as { replicas: number }).replicas, 1);
  assert.equal(out.metadata.labels?.patched, 'yes');
  assert.throws(() => applyTransforms(deployment(), { jsonPatches: [{ patch: [{ op: 'remove', path: '/nothing' }] }] }, 'web'), (e) => isHoldfastError(e, 'CONFIG_INVALID'));
});
