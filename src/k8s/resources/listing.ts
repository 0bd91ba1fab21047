/** Reading objects through the API as plain JSON, with paging, kind and apiVersion filled in. */
import { resourcePath } from './discovery.ts';
import { isNotFound, type KubeHttp } from './kube-http.ts';
import { apiVersionOf, type ApiResource, type KubeObject } from './types.ts';

const PAGE = 500;

interface ListJson {
  items?: Array<Omit<KubeObject, 'apiVersion' | 'kind'>>;
  metadata?: { continue?: string };
}

function withType(resource: ApiResource, item: Omit<KubeObject, 'apiVersion' | 'kind'>): KubeObject {
  return { apiVersion: apiVersionOf(resource.group, resource.version), kind: resource.kind, ...item } as KubeObject;
}

/** Every object of `resource` (in `namespace`, or cluster-wide), all pages. */
export async function listObjects(http: KubeHttp, resource: ApiResource, namespace?: string, labelSelector?: string): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  let token: string | undefined;
  do {
    const page = await http.get<ListJson>(resourcePath(resource, namespace), { labelSelector, limit: String(PAGE), continue: token });
    for (const item of page.items ?? []) objects.push(withType(resource, item));
    token = page.metadata?.continue || undefined;
  } while (token !== undefined);
  return objects;
}

/** One object, or undefined when it does not exist. */
export async function readObject(http: KubeHttp, resource: ApiResource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return withType(resource, await http.get<KubeObject>(resourcePath(resource, namespace, name)));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
