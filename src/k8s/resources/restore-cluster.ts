/**
 * The cluster-level waits and guarantees of a restore: restored CRDs become Established
 * and their kinds appear in discovery before custom resources are written; a target
 * namespace still being deleted (a namespace deleted just before the restore) is waited
 * for; a target namespace that is neither in the cluster nor in the restore is created.
 */
import type { ResourceResult } from '../api/restore.ts';
import { messageOf } from '../../core/errors.ts';
import { CRD_GROUP } from './dependencies.ts';
import { discoverWith, type ResourceCatalog } from './discovery.ts';
import { isAlreadyExists, isNotFound, type KubeHttp } from './kube-http.ts';
import type { PlannedObject } from './restore-apply.ts';
import { provenanceAnnotations, type Provenance } from './restore-prepare.ts';
import { groupOf, isRecord, type KubeObject } from './types.ts';

const POLL_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function established(crd: KubeObject): boolean {
  const conditions = isRecord(crd.status) && Array.isArray(crd.status.conditions) ? crd.status.conditions : [];
  return conditions.some((c) => isRecord(c) && c.type === 'Established' && c.status === 'True');
}

/** `group|kind` of every custom kind the restore writes whose CRD it restores. */
function customKinds(items: readonly PlannedObject[]): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const { object } of items) {
    if (groupOf(object.apiVersion) !== CRD_GROUP || object.kind !== 'CustomResourceDefinition' || !isRecord(object.spec)) continue;
    const names = isRecord(object.spec.names) ? object.spec.names : {};
    kinds.set(`${String(object.spec.group)}|${String(names.kind)}`, String(object.metadata.name));
  }
  return kinds;
}

/**
 * Waits until every restored CRD is Established and discovery serves the kinds the
 * restore writes; returns the fresh discovery. Kinds still missing at the deadline are
 * reported as warnings (their objects then fail one by one).
 */
export async function waitForCustomResources(http: KubeHttp, items: readonly PlannedObject[], timeoutMs: number, warnings: string[]): Promise<ResourceCatalog> {
  const deadline = Date.now() + timeoutMs;
  const crds = customKinds(items);
  const wanted = [...new Set(items.map((i) => `${groupOf(i.object.apiVersion)}|${i.object.kind}`))].filter((k) => crds.has(k));
  let catalog = await discoverWith(http);
  for (;;) {
    const pending = [];
    for (const key of wanted) {
      const [group = '', kind = ''] = key.split('|');
      if (catalog.find(group, kind) !== undefined) continue;
      const crd = await http.get<KubeObject>(`/apis/${CRD_GROUP}/v1/customresourcedefinitions/${crds.get(key) ?? ''}`).catch(() => undefined);
      pending.push(`${kind}.${group} (${crd !== undefined && established(crd) ? 'established, not yet served' : 'not established'})`);
    }
    if (pending.length === 0) return catalog;
    if (Date.now() > deadline) {
      warnings.push(`after ${timeoutMs} ms still waiting for custom resource kinds: ${pending.join(', ')}`);
      return catalog;
    }
    await sleep(POLL_MS);
    catalog = await discoverWith(http);
  }
}

async function namespacePhase(http: KubeHttp, name: string): Promise<'absent' | 'active' | 'terminating'> {
  try {
    const ns = await http.get<KubeObject>(`/api/v1/namespaces/${encodeURIComponent(name)}`);
    return ns.metadata.deletionTimestamp === undefined ? 'active' : 'terminating';
  } catch (err) {
    // Unknown (e.g. not allowed to read namespaces): assume present; objects then fail one by one with the reason.
    return isNotFound(err) ? 'absent' : 'active';
  }
}

/** Waits for target namespaces that are being deleted to be gone, so the restore can recreate them. */
export async function waitWhileTerminating(http: KubeHttp, namespaces: readonly string[], timeoutMs: number, warnings: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of namespaces) {
    while ((await namespacePhase(http, name)) === 'terminating') {
      if (Date.now() > deadline) {
        warnings.push(`namespace ${name} was still being deleted after ${timeoutMs} ms`);
        break;
      }
      await sleep(POLL_MS);
    }
  }
}

/** Creates each target namespace that does not exist (its Namespace object was not restored). */
export async function ensureNamespaces(http: KubeHttp, namespaces: readonly string[], provenance: Provenance): Promise<Array<{ object: KubeObject; result: ResourceResult }>> {
  const created: Array<{ object: KubeObject; result: ResourceResult }> = [];
  for (const name of namespaces) {
    if ((await namespacePhase(http, name)) !== 'absent') continue;
    const annotations = provenanceAnnotations(provenance);
    const object: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } };
    const base = { group: '', kind: 'Namespace', name };
    try {
      await http.post('/api/v1/namespaces', object);
      created.push({ object, result: { ...base, outcome: 'Created', message: 'target namespace created' } });
    } catch (err) {
      if (!isAlreadyExists(err)) created.push({ object, result: { ...base, outcome: 'Failed', message: `Namespace ${name}: ${messageOf(err)}` } });
    }
  }
  return created;
}
