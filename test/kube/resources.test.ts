/**
 * Resource capture and restore against a real control plane: an application namespace
 * (Deployment, StatefulSet with a claim template, Services, ConfigMap, Secret, a PVC
 * bound to a PV, RBAC, a Job and a custom resource with its CRD) is captured, cloned
 * into another namespace with renames and transforms, deleted and restored, rolled back
 * with prune, and restored over itself under each existing-resource policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { ANNOTATIONS } from '#src/k8s/api/group.ts';
import type { ResourceResult } from '#src/k8s/api/restore.ts';
import { captureResources, type CaptureResult } from '#src/k8s/resources/capture.ts';
import { discoverResources, resourcePath } from '#src/k8s/resources/discovery.ts';
import { isNotFound, kubeHttp, type KubeHttp } from '#src/k8s/resources/kube-http.ts';
import { LABELS } from '#src/k8s/api/group.ts';
import { restoreResources, type ResourceRestoreSpec, type RestoreResourcesResult } from '#src/k8s/resources/restore.ts';
import { groupOf, type KubeObject } from '#src/k8s/resources/types.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { WIDGET_CRD } from '../helpers/kube/app-objects.ts';

const NS = 'shop';
const RBAC = 'rbac.authorization.k8s.io/v1';

const CRD = WIDGET_CRD as KubeObject;

const CLUSTER_OBJECTS: KubeObject[] = [
  { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'widget-reader' }, rules: [{ apiGroups: ['test.holdfast.dev'], resources: ['widgets'], verbs: ['get', 'list'] }] },
  { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'node-reader' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] },
  { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'shop-app-nodes' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: NS }] },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'shop-files' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'manual', hostPath: { path: '/tmp/shop-files' }, claimRef: { namespace: NS, name: 'files' } },
  },
];

function appObjects(): KubeObject[] {
  const meta = (name: string) => ({ name, namespace: NS, labels: { tier: 'app' } });
  const container = (app: string, extra: Record<string, unknown> = {}) => ({ name: 'main', image: `registry.invalid/${app}:1.0`, ...extra });
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('settings'), data: { mode: 'fast' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('app') },
    { apiVersion: RBAC, kind: 'RoleBinding', metadata: meta('app-widgets'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'widget-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: NS }] },
    { apiVersion: RBAC, kind: 'RoleBinding', metadata: meta('app-view'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: NS }] },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('files'), spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'manual', resources: { requests: { storage: '1Gi' } } } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            serviceAccountName: 'app',
            volumes: [{ name: 'cfg', configMap: { name: 'settings' } }, { name: 'files', persistentVolumeClaim: { claimName: 'files' } }],
            containers: [container('web', { env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] })],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db'),
      spec: {
        replicas: 1,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [container('db')] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } } }],
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('db'), spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('migrate'), spec: { template: { spec: { restartPolicy: 'Never', containers: [container('migrate')] } } } },
    { apiVersion: 'test.holdfast.dev/v1', kind: 'Widget', metadata: meta('gizmo'), spec: { size: 3 } },
  ];
}

async function createAll(kc: KubeConfig, http: KubeHttp, objects: readonly KubeObject[]): Promise<void> {
  const catalog = await discoverResources(kc);
  for (const obj of objects) {
    const resource = catalog.find(groupOf(obj.apiVersion), obj.kind);
    assert.ok(resource, `${obj.kind} is served`);
    await http.post(resourcePath(resource, obj.metadata.namespace), obj);
  }
}

async function isGone(http: KubeHttp, path: string): Promise<boolean> {
  try {
    await http.get(path);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

async function setUp(kc: KubeConfig, http: KubeHttp): Promise<void> {
  await http.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD);
  await http.post('/api/v1/namespaces', { metadata: { name: NS, labels: { team: 'shop' } } });
  await eventually('the Widget kind to be served', async () => ((await discoverResources(kc)).find('test.holdfast.dev', 'Widget') ? true : undefined));
  await createAll(kc, http, [...CLUSTER_OBJECTS, ...appObjects()]);
  const widget = await http.get<KubeObject>(`/apis/test.holdfast.dev/v1/namespaces/${NS}/widgets/gizmo`);
  const owner = { apiVersion: 'test.holdfast.dev/v1', kind: 'Widget', name: 'gizmo', uid: widget.metadata.uid ?? '' };
  await http.post(`/api/v1/namespaces/${NS}/configmaps`, { metadata: { name: 'gizmo-state', ownerReferences: [owner] }, data: { state: 'on' } });
  const core = kc.makeApiClient(CoreV1Api);
  const count = async (path: string) => (await http.get<{ items: unknown[] }>(path)).items.length;
  await eventually('controllers to make their objects', async () => {
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: NS });
    const bound = claims.items.find((c) => c.metadata?.name === 'files')?.status?.phase === 'Bound';
    const made = [
      await count(`/api/v1/namespaces/${NS}/pods`),
      await count(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`),
      await count(`/api/v1/namespaces/${NS}/endpoints`),
      await count(`/apis/apps/v1/namespaces/${NS}/controllerrevisions`),
      claims.items.length,
    ];
    return bound && made.join() === '3,2,2,1,2' ? true : undefined;
  });
}

/** An object as captured, without the provenance a restore adds and the owners' uids (each cluster has its own). */
function comparable(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  const annotations = Object.fromEntries(Object.entries(copy.metadata.annotations ?? {}).filter(([k]) => !k.startsWith('holdfast.dev/')));
  if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  else copy.metadata.annotations = annotations;
  for (const owner of copy.metadata.ownerReferences ?? []) owner.uid = '(uid)';
  return copy;
}

function byPath(capture: CaptureResult): Map<string, KubeObject> {
  return new Map(capture.objects.map((o) => [o.path, comparable(o.object)]));
}

function outcome(result: RestoreResourcesResult, kind: string, name: string, namespace?: string): ResourceResult {
  const found = result.resources.find((r) => r.kind === kind && r.name === name && r.namespace === namespace);
  assert.ok(found, `an outcome for ${kind} ${namespace ?? ''}/${name}`);
  return found;
}

function assertNoFailures(result: RestoreResourcesResult): void {
  assert.deepEqual(result.resources.filter((r) => r.outcome === 'Failed'), []);
}

function must<T>(value: T | undefined | null, what: string): T {
  assert.ok(value !== undefined && value !== null, what);
  return value;
}

async function assertClonedWorkloads(kc: KubeConfig): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const web: V1Deployment = await apps.readNamespacedDeployment({ namespace: 'shop-copy', name: 'copy-web' });
  const spec = must(web.spec, 'spec');
  const pod = must(spec.template.spec, 'pod spec');
  const main = must(pod.containers[0], 'container');
  const meta = must(web.metadata, 'metadata');
  assert.deepEqual([spec.replicas, meta.labels?.clone], [2, 'yes'], 'the JSON patch applied');
  assert.equal(pod.serviceAccountName, 'copy-app');
  assert.deepEqual(must(pod.volumes, 'volumes').map((v) => v.configMap?.name ?? v.persistentVolumeClaim?.claimName), ['copy-settings', 'copy-files']);
  assert.equal(main.env?.[0]?.valueFrom?.secretKeyRef?.name, 'copy-creds');
  assert.equal(main.image, 'mirror.invalid/web:1.0');
  assert.deepEqual(spec.selector.matchLabels, { app: 'web', [LABELS.clone]: 'clone-1' });
  const annotations = must(meta.annotations, 'annotations');
  assert.deepEqual(annotations, {
    [ANNOTATIONS.restoredFromBackup]: `${NS}/nightly`,
    [ANNOTATIONS.restoredFromSnapshot]: 'snap-1',
    [ANNOTATIONS.restoredBy]: 'ops/clone-1',
    [ANNOTATIONS.restoredAt]: must(annotations[ANNOTATIONS.restoredAt], 'restored-at'),
    [ANNOTATIONS.originalName]: `${NS}/web`,
    'deployment.kubernetes.io/revision': '1',
  });
  const db = must((await apps.readNamespacedStatefulSet({ namespace: 'shop-copy', name: 'copy-db' })).spec, 'statefulset spec');
  assert.equal(db.serviceName, 'copy-db');
  assert.equal(must(db.volumeClaimTemplates?.[0]?.spec, 'claim template').storageClassName, 'fast');
  const service = await kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: 'shop-copy', name: 'copy-web' });
  assert.deepEqual(must(service.spec, 'service spec').selector, { app: 'web', [LABELS.clone]: 'clone-1' });
}

async function assertClonedStorageAndRbac(kc: KubeConfig, http: KubeHttp): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: 'shop-copy', name: 'data-copy-db-0' });
  assert.equal(claim.spec?.storageClassName, 'fast', 'the StatefulSet finds its restored claim under its new name');
  assert.equal(claim.metadata?.annotations?.[ANNOTATIONS.restoredBy], 'ops/clone-1');
  const files = await core.readNamespacedPersistentVolumeClaim({ namespace: 'shop-copy', name: 'copy-files' });
  assert.equal(files.spec?.volumeName, undefined);
  const binding = await http.get<KubeObject>(`/apis/rbac.authorization.k8s.io/v1/namespaces/shop-copy/rolebindings/copy-app-widgets`);
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'copy-app', namespace: 'shop-copy' }]);
  const target = { group: 'test.holdfast.dev', version: 'v1', namespace: 'shop-copy', plural: 'widgets', name: 'copy-gizmo' };
  const widget = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject(target)) as KubeObject;
  assert.deepEqual(widget.spec, { size: 3 });
  const state = await core.readNamespacedConfigMap({ namespace: 'shop-copy', name: 'copy-gizmo-state' });
  assert.deepEqual(state.metadata?.ownerReferences?.map((o) => [o.name, o.uid]), [['copy-gizmo', widget.metadata.uid]]);
}

describe('resource capture and restore', () => {
  let plane: ControlPlane;
  let kc: KubeConfig;
  let http: KubeHttp;
  let backup: CaptureResult;
  const objects = () => backup.objects.map((o) => o.object);
  const restore = (spec: ResourceRestoreSpec, restoreName = 'r') =>
    restoreResources(kc, objects(), spec, { provenance: { restore: `ops/${restoreName}`, backup: `${NS}/nightly`, snapshotId: 'snap-1' } });

  before(async () => {
    plane = await startControlPlane({ name: 'resources' });
    kc = plane.kubeConfig();
    http = kubeHttp(kc);
    await setUp(kc, http);
    backup = await captureResources(kc, { namespaces: [NS] });
  });

  after(async () => {
    await plane?.stop();
  });

  test('capture: the namespace, its objects and their cluster dependencies, cleaned, ordered, with what was left out and why', async () => {
    assert.deepEqual(backup.errors, []);
    assert.deepEqual(
      backup.objects.map((o) => o.path),
      [
        'resources/clusterrolebindings.rbac.authorization.k8s.io/cluster/shop-app-nodes.json',
        'resources/clusterroles.rbac.authorization.k8s.io/cluster/node-reader.json',
        'resources/clusterroles.rbac.authorization.k8s.io/cluster/widget-reader.json',
        'resources/configmaps/namespaces/shop/gizmo-state.json',
        'resources/configmaps/namespaces/shop/settings.json',
        'resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.test.holdfast.dev.json',
        'resources/deployments.apps/namespaces/shop/web.json',
        'resources/jobs.batch/namespaces/shop/migrate.json',
        'resources/namespaces/cluster/shop.json',
        'resources/persistentvolumeclaims/namespaces/shop/data-db-0.json',
        'resources/persistentvolumeclaims/namespaces/shop/files.json',
        'resources/persistentvolumes/cluster/shop-files.json',
        'resources/rolebindings.rbac.authorization.k8s.io/namespaces/shop/app-view.json',
        'resources/rolebindings.rbac.authorization.k8s.io/namespaces/shop/app-widgets.json',
        'resources/secrets/namespaces/shop/creds.json',
        'resources/serviceaccounts/namespaces/shop/app.json',
        'resources/serviceaccounts/namespaces/shop/default.json',
        'resources/services/namespaces/shop/db.json',
        'resources/services/namespaces/shop/web.json',
        'resources/statefulsets.apps/namespaces/shop/db.json',
        'resources/widgets.test.holdfast.dev/namespaces/shop/gizmo.json',
      ],
    );
    for (const { object } of backup.objects) {
      for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation'] as const) assert.equal(object.metadata[field], undefined, `${object.kind} ${field}`);
      if (object.kind !== 'Namespace' && object.kind !== 'ConfigMap' && object.kind !== 'Secret') assert.equal(object.status, undefined, `${object.kind} status`);
    }
    const find = (path: string) => backup.objects.find((o) => o.path.endsWith(path))?.object;
    assert.equal((find('services/namespaces/shop/web.json')?.spec as { clusterIP?: string }).clusterIP, undefined);
    assert.equal((find('services/namespaces/shop/db.json')?.spec as { clusterIP?: string }).clusterIP, 'None');
    assert.equal((find('jobs.batch/namespaces/shop/migrate.json')?.spec as { selector?: unknown }).selector, undefined);
    assert.deepEqual(find('widgets.test.holdfast.dev/namespaces/shop/gizmo.json')?.spec, { size: 3 });

    const skipped = backup.skipped.map((s) => `${s.kind} ${s.name.replace(/-[a-z0-9]{5,10}(-[a-z0-9]{5})?$/, '-*')}: ${s.reason.replace(/ [^ ]+-[a-z0-9]{5,10}$/, ' *')}`);
    assert.deepEqual(skipped.sort(), [
      "ClusterRole view: default RBAC, reconciled by the apiserver",
      "ConfigMap kube-root-ca.crt: the cluster's root CA, published in every namespace",
      'ControllerRevision db-*: recreated by its controller StatefulSet db',
      'EndpointSlice db-*: maintained by endpointslice-controller.k8s.io',
      'EndpointSlice web-*: maintained by endpointslice-controller.k8s.io',
      'Endpoints db: maintained by the endpoints controller for its Service',
      'Endpoints web: maintained by the endpoints controller for its Service',
      'Pod db-0: recreated by its controller StatefulSet db',
      'Pod migrate-*: recreated by its controller Job migrate',
      'Pod web-*: recreated by its controller ReplicaSet *',
      'ReplicaSet web-*: recreated by its controller Deployment web',
    ]);
    assert.ok(backup.skippedKinds.some((k) => k.kind === 'Event'));
    assert.deepEqual(
      backup.perKind.filter((k) => k.count > 1).map((k) => `${k.kind}=${k.count}`),
      ['ConfigMap=2', 'PersistentVolumeClaim=2', 'Service=2', 'ServiceAccount=2', 'ClusterRole=2', 'RoleBinding=2'],
    );
    const again = await captureResources(kc, { namespaces: [NS] });
    assert.deepEqual(again.objects, backup.objects, 'capture is deterministic');
  });

  test('capture filters by labels, kinds and names; dependencies follow what is selected', async () => {
    const partial = await captureResources(kc, { namespaces: [NS], labelSelector: { matchLabels: { tier: 'app' } }, excludedKinds: ['Secret', 'CustomResourceDefinition'], excludedNames: ['RoleBinding/app-view'] });
    const kinds = [...new Set(partial.objects.map((o) => o.resource.kind))].sort();
    assert.deepEqual(kinds, ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Job', 'Namespace', 'PersistentVolume', 'PersistentVolumeClaim', 'RoleBinding', 'Service', 'ServiceAccount', 'StatefulSet', 'Widget']);
    assert.ok(!partial.objects.some((o) => o.object.metadata.name === 'default' || o.object.metadata.name === 'data-db-0'), 'the label selector leaves out unlabelled objects');
    const none = await captureResources(kc, { namespaces: [NS], includedKinds: ['ConfigMap'], clusterResources: 'none' });
    assert.deepEqual(none.objects.map((o) => o.path), ['resources/configmaps/namespaces/shop/gizmo-state.json', 'resources/configmaps/namespaces/shop/settings.json']);
    assert.equal(none.objects[0]?.object.metadata.ownerReferences, undefined, 'owner references to objects not captured go');
    assert.equal(backup.objects.find((o) => o.path.endsWith('/gizmo-state.json'))?.object.metadata.ownerReferences?.[0]?.name, 'gizmo');
    const all = await captureResources(kc, { namespaces: [], includedKinds: ['ClusterRole', 'PriorityClass'], clusterResources: 'all' });
    assert.deepEqual(all.objects.map((o) => o.object.metadata.name), ['node-reader', 'widget-reader'], 'the cluster\'s own roles and priority classes stay out');
    assert.ok(all.skipped.some((s) => s.name === 'cluster-admin') && all.skipped.some((s) => s.name === 'system-node-critical'));
  });

  test('clone into a new namespace: mapping, renames, references that follow, transforms, provenance', async () => {
    const result = await restore(
      {
        namespaceMapping: { [NS]: 'shop-copy' },
        rename: { prefix: 'copy-' },
        transforms: {
          storageClassMapping: { standard: 'fast' },
          imageOverrides: { 'registry.invalid/web': 'mirror.invalid/web' },
          jsonPatches: [{ kinds: ['Deployment.apps'], names: ['web'], patch: [{ op: 'replace', path: '/spec/replicas', value: 2 }, { op: 'add', path: '/metadata/labels/clone', value: 'yes' }] }],
        },
      },
      'clone-1',
    );
    assertNoFailures(result);
    assert.equal(outcome(result, 'Namespace', 'shop-copy').outcome, 'Created');
    assert.equal(outcome(result, 'PersistentVolume', 'shop-files').outcome, 'Skipped', 'the PV stays bound to the original claim');
    assert.equal(outcome(result, 'Deployment', 'copy-web', 'shop-copy').originalName, 'web');

    await assertClonedWorkloads(kc);
    await assertClonedStorageAndRbac(kc, http);
    const original = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: NS, name: 'web' });
    assert.equal(original.metadata?.annotations?.[ANNOTATIONS.restoredBy], undefined, 'the original is untouched');
    assert.deepEqual(original.spec?.selector.matchLabels, { app: 'web' });
  });

  test('delete the namespace and its CRD, restore, and get the same objects back', async () => {
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.holdfast.dev';
    const gone = ['/api/v1/namespaces/shop', crdPath, '/apis/rbac.authorization.k8s.io/v1/clusterroles/widget-reader', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/shop-app-nodes'];
    for (const path of gone) await http.delete(path);
    await eventually('the namespace and the CRD to be gone', async () => ((await Promise.all(gone.map((p) => isGone(http, p)))).every(Boolean) ? true : undefined));

    const result = await restore({});
    assertNoFailures(result);
    assert.equal(outcome(result, 'CustomResourceDefinition', 'widgets.test.holdfast.dev').outcome, 'Created');
    assert.equal(outcome(result, 'Widget', 'gizmo', NS).outcome, 'Created', 'custom resources wait for their CRD');
    assert.equal(outcome(result, 'Namespace', NS).outcome, 'Created');
    assert.equal(outcome(result, 'ClusterRole', 'node-reader').outcome, 'Skipped');
    assert.match(outcome(result, 'PersistentVolume', 'shop-files').message ?? '', /bound again to the restored claim shop\/files/);

    const core = kc.makeApiClient(CoreV1Api);
    await eventually('the restored claim to bind to its old volume', async () =>
      (await core.readNamespacedPersistentVolumeClaim({ namespace: NS, name: 'files' })).spec?.volumeName === 'shop-files' ? true : undefined);
    const restored = byPath(await captureResources(kc, { namespaces: [NS] }));
    assert.deepEqual([...restored.keys()], [...byPath(backup).keys()]);
    for (const [path, obj] of byPath(backup)) assert.deepEqual(restored.get(path), obj, path);
    assert.equal((await core.readNamespace({ name: NS })).metadata?.annotations?.[ANNOTATIONS.restoredBy], 'ops/r');
    const widget = await http.get<KubeObject>(`/apis/test.holdfast.dev/v1/namespaces/${NS}/widgets/gizmo`);
    const state = await core.readNamespacedConfigMap({ namespace: NS, name: 'gizmo-state' });
    assert.equal(state.metadata?.ownerReferences?.[0]?.uid, widget.metadata.uid, 'an owner restored after its dependent is linked by its new uid');
  });

  test('rollback with prune: objects added after the backup go, changed ones are reverted (update)', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'extra', labels: { tier: 'app' } }, data: { a: '1' } } });
    await core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'extra' }, spec: { ports: [{ port: 1 }] } } });
    await core.patchNamespacedConfigMap({ namespace: NS, name: 'settings', body: [{ op: 'replace', path: '/data/mode', value: 'slow' }] });
    await apps.patchNamespacedDeployment({ namespace: NS, name: 'web', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.invalid/web:2.0' }] });

    const result = await restore({ existingResourcePolicy: 'update', prune: true }, 'rollback');
    assertNoFailures(result);
    const pruned = result.resources.filter((r) => r.outcome === 'Pruned').map((r) => `${r.kind} ${r.name}`);
    assert.deepEqual(pruned.sort(), ['ConfigMap extra', 'Service extra']);
    assert.equal(outcome(result, 'ConfigMap', 'settings', NS).outcome, 'Updated');
    assert.equal(result.counts.created, 0);
    assert.equal((await core.readNamespacedConfigMap({ namespace: NS, name: 'settings' })).data?.mode, 'fast');
    assert.equal((await apps.readNamespacedDeployment({ namespace: NS, name: 'web' })).spec?.template.spec?.containers[0]?.image, 'registry.invalid/web:1.0');
    assert.ok(await isGone(http, '/api/v1/namespaces/shop/configmaps/extra'));
    assert.ok(!(await isGone(http, '/api/v1/namespaces/shop/configmaps/kube-root-ca.crt')), 'what a backup never captures is not pruned');
    assert.ok((await apps.listNamespacedReplicaSet({ namespace: NS })).items.length > 0, 'controller-owned objects are not pruned');
    assert.ok(!(await isGone(http, '/api/v1/namespaces/shop')));
  });

  test('existing-resource policies: skip leaves, update patches in place, replace recreates', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const settings = () => core.readNamespacedConfigMap({ namespace: NS, name: 'settings' });
    const change = () => core.patchNamespacedConfigMap({ namespace: NS, name: 'settings', body: [{ op: 'replace', path: '/data/mode', value: 'changed' }] });
    const only = (names: string[]): ResourceRestoreSpec['selection'] => ({ includedNames: names, clusterResources: 'none' });
    const uid = (await settings()).metadata?.uid;

    await change();
    const skip = await restore({ selection: only(['ConfigMap/settings']), existingResourcePolicy: 'skip' });
    assert.deepEqual(skip.resources.map((r) => [r.kind, r.outcome, r.message]), [['Namespace', 'Skipped', 'already exists'], ['ConfigMap', 'Skipped', 'already exists']], 'namespaces come with their objects');
    assert.equal((await settings()).data?.mode, 'changed');

    const update = await restore({ selection: only(['ConfigMap/settings']), existingResourcePolicy: 'update' });
    assert.deepEqual(update.resources.map((r) => [r.kind, r.outcome]), [['Namespace', 'Updated'], ['ConfigMap', 'Updated']]);
    assert.deepEqual([(await settings()).data?.mode, (await settings()).metadata?.uid], ['fast', uid]);

    await change();
    const replace = await restore({ selection: only(['ConfigMap/settings', 'PersistentVolumeClaim/files']), existingResourcePolicy: 'replace' });
    assert.equal(outcome(replace, 'ConfigMap', 'settings', NS).outcome, 'Replaced');
    const after = await settings();
    assert.equal(after.data?.mode, 'fast');
    assert.notEqual(after.metadata?.uid, uid, 'replaced: a new object');
    const claim = outcome(replace, 'PersistentVolumeClaim', 'files', NS);
    assert.deepEqual([claim.outcome, claim.message], ['Updated', 'PersistentVolumeClaim is never deleted by replace; updated instead']);
    assert.equal((await core.readNamespacedPersistentVolumeClaim({ namespace: NS, name: 'files' })).spec?.volumeName, 'shop-files', 'the claim keeps its volume');
  });

  test('each object that cannot be restored fails alone, named, and the rest goes on', async () => {
    const stray: KubeObject = { apiVersion: 'nothing.holdfast.dev/v1', kind: 'Thing', metadata: { name: 't', namespace: NS } };
    const result = await restoreResources(
      kc,
      [...objects(), stray],
      {
        selection: { includedKinds: ['ConfigMap', 'Secret', 'Thing'], clusterResources: 'none' },
        namespaceMapping: { [NS]: 'shop-partial' },
        transforms: { jsonPatches: [{ kinds: ['Secret'], patch: [{ op: 'test', path: '/type', value: 'kubernetes.io/tls' }] }] },
      },
      { provenance: { restore: 'ops/partial' } },
    );
    const summary = result.resources.map((r) => `${r.kind} ${r.outcome} ${r.message ?? ''}`.trim());
    assert.deepEqual(summary, [
      'Namespace Created target namespace created',
      'ConfigMap Created',
      'ConfigMap Created',
      'Secret Failed Secret shop-partial/creds: JSON patch operation 1 (test /type): the value differs',
      'Thing Failed Thing.nothing.holdfast.dev shop-partial/t: the cluster serves no Thing in nothing.holdfast.dev/v1',
    ]);
    assert.deepEqual(result.counts, { total: 5, created: 3, updated: 0, replaced: 0, skipped: 0, pruned: 0, failed: 2 });
  });
});
