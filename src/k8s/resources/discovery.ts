/**
 * Discovery: every resource the apiserver serves, from the core group (`/api/v1`) and
 * every group (`/apis`, preferred version of each), with scope, verbs and subresources.
 * A group version that fails to answer (an unavailable aggregated API) becomes a
 * warning, not a failure.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { messageOf } from '../../core/errors.ts';
import { kubeHttp, type KubeHttp } from './kube-http.ts';
import { apiVersionOf, type ApiResource } from './types.ts';

interface ApiResourceJson {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

interface ApiGroupListJson {
  groups: Array<{ name: string; preferredVersion?: { version: string }; versions: Array<{ version: string }> }>;
}

export interface ResourceCatalog {
  /** Resources (not subresources), sorted by group then plural. */
  readonly resources: readonly ApiResource[];
  /** Group versions that did not answer. */
  readonly warnings: readonly string[];
  /** The resource serving `kind` in `group` ('' = core). */
  find(group: string, kind: string): ApiResource | undefined;
}

export function catalogOf(resources: readonly ApiResource[], warnings: readonly string[] = []): ResourceCatalog {
  const sorted = [...resources].sort((a, b) => a.group.localeCompare(b.group) || a.plural.localeCompare(b.plural));
  const byKind = new Map<string, ApiResource>();
  for (const r of sorted) if (!byKind.has(`${r.group}|${r.kind}`)) byKind.set(`${r.group}|${r.kind}`, r);
  return { resources: sorted, warnings, find: (group, kind) => byKind.get(`${group}|${kind}`) };
}

/** Turns one APIResourceList into resources, folding `plural/sub` entries into their resource. */
export function resourcesOf(group: string, version: string, list: readonly ApiResourceJson[]): ApiResource[] {
  const subresources = new Map<string, string[]>();
  for (const r of list) {
    const [base, sub] = r.name.split('/', 2);
    if (base !== undefined && sub !== undefined) subresources.set(base, [...(subresources.get(base) ?? []), sub]);
  }
  return list
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({
      group,
      version,
      kind: r.kind,
      plural: r.name,
      namespaced: r.namespaced,
      verbs: r.verbs ?? [],
      subresources: subresources.get(r.name) ?? [],
    }));
}

async function groupVersionResources(http: KubeHttp, group: string, version: string): Promise<ApiResource[]> {
  const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const list = await http.get<{ resources?: ApiResourceJson[] }>(path);
  return resourcesOf(group, version, list.resources ?? []);
}

export async function discoverWith(http: KubeHttp): Promise<ResourceCatalog> {
  const groups = await http.get<ApiGroupListJson>('/apis');
  const targets: Array<[string, string]> = [['', 'v1']];
  for (const g of groups.groups) {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version;
    if (version !== undefined) targets.push([g.name, version]);
  }
  const warnings: string[] = [];
  const lists = await Promise.all(
    targets.map(async ([group, version]) => {
      try {
        return await groupVersionResources(http, group, version);
      } catch (err) {
        if (group === '') throw err;
        warnings.push(`discovery of ${apiVersionOf(group, version)} failed: ${messageOf(err)}`);
        return [];
      }
    }),
  );
  return catalogOf(lists.flat(), warnings.sort());
}

/** Every API resource the cluster serves (preferred version per group). */
export function discoverResources(kc: KubeConfig): Promise<ResourceCatalog> {
  return discoverWith(kubeHttp(kc));
}

/** The URL path of a resource collection, or of one object when `name` is given. */
export function resourcePath(resource: ApiResource, namespace: string | undefined, name?: string, version = resource.version): string {
  const base = resource.group === '' ? `/api/${version}` : `/apis/${resource.group}/${version}`;
  const scope = resource.namespaced && namespace !== undefined ? `${base}/namespaces/${encodeURIComponent(namespace)}` : base;
  const collection = `${scope}/${resource.plural}`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(name)}`;
}

/** Can be backed up and brought back: listed, read and created through the API. */
export function isCapturable(resource: ApiResource): boolean {
  return ['list', 'get', 'create'].every((verb) => resource.verbs.includes(verb));
}
