/**
 * `holdfast install` prints manifests a real API server accepts as they are: the
 * namespace, the CRDs, the RBAC and the operator Deployment (its pods stay Pending here:
 * there is no kubelet).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { kubeHttp } from '#src/k8s/resources/kube-http.ts';
import { cliFor, show } from '../helpers/cli.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';

let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane({ name: 'install' });
});
after(async () => {
  await cp?.stop();
});

describe('holdfast install', () => {
  it('prints manifests the API server accepts, and the operator Deployment gets its ReplicaSet', async () => {
    const r = await cliFor('/nonexistent', 'x').run(['install']);
    assert.equal(r.code, 0, show(r));
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as KubernetesObject);
    const kinds = docs.map((d) => d.kind);
    for (const k of ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'Deployment']) assert.ok(kinds.includes(k), `has a ${k}`);
    const api = KubernetesObjectApi.makeApiClient(cp.kubeConfig());
    const http = kubeHttp(cp.kubeConfig());
    // CRDs as raw JSON (as kubectl sends them): the typed client would drop their x-kubernetes-* keys.
    for (const doc of docs) await (doc.kind === 'CustomResourceDefinition' ? http.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', doc) : api.create(doc));
    const invalid = { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name: 'x' }, spec: { repositoryRef: { name: 'main' }, method: 'dump' } };
    await eventually('the Backup CRD to serve and enforce its CEL rules', async () => {
      const err = await http.post('/apis/holdfast.dev/v1alpha1/namespaces/default/backups', invalid).then(() => undefined, (e: unknown) => e);
      return err instanceof Error && /method dump needs a recipe/.test(err.message) ? true : undefined;
    });
    const apps = cp.kubeConfig().makeApiClient(AppsV1Api);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    await eventually('the operator ReplicaSet', async () => {
      const sets = await apps.listNamespacedReplicaSet({ namespace: deployment?.metadata?.namespace ?? '' });
      return sets.items.length > 0 || undefined;
    });
  });
});
