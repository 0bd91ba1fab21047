/** Installs Holdfast's generated CRDs (deploy/crds) into a test control plane and waits until they serve. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { PROJECT_ROOT } from './cli.ts';
import { eventually } from './eventually.ts';

export async function installHoldfastCrds(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const dir = join(PROJECT_ROOT, 'deploy', 'crds');
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(await readFile(join(dir, file), 'utf8')) as V1CustomResourceDefinition;
    await api.createCustomResourceDefinition({ body: crd });
    names.push(crd.metadata?.name ?? '');
  }
  for (const name of names) {
    await eventually(`CRD ${name} established`, async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined;
    });
  }
}
