/** Installs Holdfast's generated CRDs (deploy/crds) into a test control plane and waits until they serve. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiextensionsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { kubeHttp } from '#src/k8s/resources/kube-http.ts';
import { PROJECT_ROOT } from './cli.ts';
import { eventually } from './eventually.ts';

export async function installHoldfastCrds(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  // Raw JSON, as kubectl sends it: client-node's typed create serializes its model's
  // property names and would silently drop every x-kubernetes-* key (CEL rules, list types).
  const http = kubeHttp(kc);
  const dir = join(PROJECT_ROOT, 'deploy', 'crds');
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(await readFile(join(dir, file), 'utf8')) as { metadata: { name: string } };
    await http.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    names.push(crd.metadata.name);
  }
  for (const name of names) {
    await eventually(`CRD ${name} established`, async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined;
    });
  }
}
