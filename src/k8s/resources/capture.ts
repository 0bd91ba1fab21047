/**
 * Capture: the selected namespaces' objects (every listable, creatable kind, filtered by
 * labels, kinds and names), their Namespace objects and the cluster-scoped objects they
 * depend on, cleaned of server-populated fields, in a deterministic order, each with the
 * path it is stored under. What is left out is listed with the reason.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import { archivePath } from './archive-path.ts';
import { kindSkipReason, objectSkipReason } from './capture-rules.ts';
import { mapLimit } from './concurrency.ts';
import { CRD_GROUP, RBAC_GROUP, bindingsOfServiceAccounts, directDependencies, volumeBoundTo, type ClusterRef } from './dependencies.ts';
import { discoverWith, isCapturable, type ResourceCatalog } from './discovery.ts';
import { kindSelected, labelSelectorQuery, nameSelected, type ObjectFilter } from './filters.ts';
import { kubeHttp, type KubeHttp } from './kube-http.ts';
import { listObjects, readObject } from './listing.ts';
import { sanitizeForBackup } from './sanitize.ts';
import { groupKind, refKey, refOf, type ApiResource, type KubeObject } from './types.ts';

export interface CaptureSelection extends ObjectFilter {
  /** The namespaces to capture, resolved by the caller (a Backup's own namespace when its spec names none). */
  readonly namespaces: readonly string[];
  readonly clusterResources?: 'dependencies' | 'none' | 'all';
}

export interface CaptureOptions {
  /** Discovery already made (e.g. shared with other steps); discovered afresh otherwise. */
  readonly catalog?: ResourceCatalog;
  /** Requests in flight; default 16. */
  readonly concurrency?: number;
}

export interface CapturedResource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface CapturedObject {
  /** Where to store it: see archive-path.ts. */
  readonly path: string;
  readonly resource: CapturedResource;
  /** The object as a restore will send it back (before restore-time transforms). */
  readonly object: KubeObject;
}

export interface KindCount {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly count: number;
}

export interface SkippedObject {
  readonly group: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly reason: string;
}

export interface SkippedKind {
  readonly group: string;
  readonly kind: string;
  readonly reason: string;
}

export interface CaptureResult {
  /** Sorted by path. */
  readonly objects: CapturedObject[];
  readonly perKind: KindCount[];
  readonly skipped: SkippedObject[];
  /** Kinds never captured (events, leases …), not even listed. */
  readonly skippedKinds: SkippedKind[];
  /** One line per kind and reason left out, and discovery problems. */
  readonly warnings: string[];
  /** Lists that failed (a kind in a namespace): the backup is partial. */
  readonly errors: string[];
}

/** One capture run: the cluster, what it serves, the selection, and what has been collected. */
interface Run {
  readonly http: KubeHttp;
  readonly catalog: ResourceCatalog;
  readonly sel: CaptureSelection;
  readonly col: Collector;
  readonly limit: number;
}

interface Listed {
  readonly resource: ApiResource;
  readonly object: KubeObject;
}

/** Accumulates what is captured and what is left out, once per object. */
class Collector {
  readonly kept: Listed[] = [];
  readonly skipped: SkippedObject[] = [];
  readonly errors: string[] = [];
  readonly #seen = new Set<string>();

  offer(resource: ApiResource, object: KubeObject): void {
    const ref = refOf(object);
    const key = refKey(ref);
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const reason = objectSkipReason(object);
    if (reason === undefined) this.kept.push({ resource, object });
    else this.skipped.push({ ...ref, reason });
  }

  has(ref: { group: string; kind: string; name: string }): boolean {
    return this.#seen.has(refKey(ref));
  }
}

function resourceFor(catalog: ResourceCatalog, group: string, kind: string): ApiResource {
  const resource = catalog.find(group, kind);
  if (resource === undefined) throw new HoldfastError('INTERNAL', `the apiserver serves no ${groupKind(group, kind)}`);
  return resource;
}

async function captureNamespaceObjects({ http, catalog, sel, col }: Run): Promise<string[]> {
  const resource = resourceFor(catalog, '', 'Namespace');
  const present: string[] = [];
  for (const name of sel.namespaces) {
    const ns = await readObject(http, resource, undefined, name);
    if (ns === undefined) {
      col.errors.push(`namespace ${name} does not exist`);
      continue;
    }
    present.push(name);
    if (kindSelected(sel, '', 'Namespace') && nameSelected(sel, { group: '', kind: 'Namespace', name }, false)) col.offer(resource, ns);
  }
  return present;
}

async function captureNamespaced({ http, catalog, sel, col, limit }: Run, namespaces: readonly string[]): Promise<void> {
  const resources = catalog.resources.filter((r) => r.namespaced && isCapturable(r) && kindSelected(sel, r.group, r.kind) && kindSkipReason(r) === undefined);
  const work = resources.flatMap((resource) => namespaces.map((namespace) => ({ resource, namespace })));
  const selector = labelSelectorQuery(sel.labelSelector);
  const lists = await mapLimit(work, limit, async ({ resource, namespace }) => {
    try {
      return await listObjects(http, resource, namespace, selector);
    } catch (err) {
      col.errors.push(`listing ${groupKind(resource.group, resource.kind)} in ${namespace}: ${messageOf(err)}`);
      return [];
    }
  });
  lists.forEach((objects, i) => {
    const { resource } = work[i] ?? {};
    if (resource === undefined) return;
    for (const object of objects) {
      if (nameSelected(sel, { group: resource.group, kind: resource.kind, name: object.metadata.name ?? '' })) col.offer(resource, object);
    }
  });
}

async function captureAllClusterScoped({ http, catalog, sel, col, limit }: Run): Promise<void> {
  const resources = catalog.resources.filter((r) => !r.namespaced && isCapturable(r) && kindSelected(sel, r.group, r.kind) && kindSkipReason(r) === undefined);
  const selector = labelSelectorQuery(sel.labelSelector);
  const lists = await mapLimit(resources, limit, async (resource) => {
    try {
      return await listObjects(http, resource, undefined, selector);
    } catch (err) {
      col.errors.push(`listing ${groupKind(resource.group, resource.kind)}: ${messageOf(err)}`);
      return [];
    }
  });
  lists.forEach((objects, i) => {
    const resource = resources[i];
    if (resource === undefined) return;
    for (const object of objects) {
      if (nameSelected(sel, { group: resource.group, kind: resource.kind, name: object.metadata.name ?? '' }, false)) col.offer(resource, object);
    }
  });
}

/** Whether the cluster object may come along: its kind and `Kind/name` filters allow it. */
function dependencyAllowed(sel: CaptureSelection, ref: ClusterRef): boolean {
  return kindSelected(sel, ref.group, ref.kind) && nameSelected(sel, ref, false);
}

async function addServiceAccountBindings({ http, catalog, sel, col }: Run): Promise<void> {
  const accounts = new Set(col.kept.filter((l) => l.resource.group === '' && l.object.kind === 'ServiceAccount').map((l) => `${l.object.metadata.namespace}/${l.object.metadata.name}`));
  const resource = catalog.find(RBAC_GROUP, 'ClusterRoleBinding');
  if (accounts.size === 0 || resource === undefined || !kindSelected(sel, RBAC_GROUP, 'ClusterRoleBinding')) return;
  try {
    for (const binding of bindingsOfServiceAccounts(await listObjects(http, resource), accounts)) {
      if (dependencyAllowed(sel, { group: RBAC_GROUP, kind: 'ClusterRoleBinding', name: binding.metadata.name ?? '' })) col.offer(resource, binding);
    }
  } catch (err) {
    col.errors.push(`listing ClusterRoleBindings: ${messageOf(err)}`);
  }
}

async function readDependency(http: KubeHttp, catalog: ResourceCatalog, ref: ClusterRef): Promise<Listed | undefined> {
  const resource = catalog.find(ref.group, ref.kind);
  const object = resource === undefined ? undefined : await readObject(http, resource, undefined, ref.name);
  return resource === undefined || object === undefined ? undefined : { resource, object };
}

/** The CRD name of each non-core resource that is served by a CRD (built-in groups have none: a 404). */
async function crdNames(http: KubeHttp, catalog: ResourceCatalog, kept: readonly Listed[]): Promise<Map<string, string>> {
  const crd = catalog.find(CRD_GROUP, 'CustomResourceDefinition');
  const candidates = [...new Set(kept.filter((l) => l.resource.group !== '').map((l) => `${l.resource.plural}.${l.resource.group}`))];
  const found = new Map<string, string>();
  if (crd === undefined) return found;
  await Promise.all(candidates.map(async (name) => ((await readObject(http, crd, undefined, name)) !== undefined ? found.set(name, name) : undefined)));
  return found;
}

async function captureDependencies(run: Run): Promise<void> {
  const { http, catalog, sel, col } = run;
  await addServiceAccountBindings(run);
  const crds = await crdNames(http, catalog, col.kept);
  const wanted = new Map<string, { ref: ClusterRef; claim?: KubeObject }>();
  for (const { resource, object } of col.kept) {
    for (const ref of directDependencies(object, resource.group, crds.get(`${resource.plural}.${resource.group}`))) {
      if (!col.has(ref) && dependencyAllowed(sel, ref)) wanted.set(refKey(ref), { ref, claim: ref.kind === 'PersistentVolume' ? object : undefined });
    }
  }
  for (const { ref, claim } of wanted.values()) {
    try {
      const dep = await readDependency(http, catalog, ref);
      if (dep === undefined) continue;
      if (claim !== undefined && !volumeBoundTo(dep.object, claim.metadata.namespace ?? '', claim.metadata.name ?? '')) continue;
      col.offer(dep.resource, dep.object);
    } catch (err) {
      col.errors.push(`reading ${ref.kind} ${ref.name}: ${messageOf(err)}`);
    }
  }
}

function summarizeSkipped(skipped: readonly SkippedObject[]): string[] {
  const counts = new Map<string, number>();
  for (const s of skipped) {
    const line = `${groupKind(s.group, s.kind)}: ${s.reason.replace(/ \(.*\)$|(controller) .*$/, '$1')}`;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([line, n]) => `left out ${n} ${line}`);
}

function skippedKindsOf(catalog: ResourceCatalog, sel: CaptureSelection): SkippedKind[] {
  const kinds: SkippedKind[] = [];
  for (const r of catalog.resources) {
    const reason = kindSkipReason(r);
    const relevant = r.namespaced || sel.clusterResources === 'all';
    if (reason !== undefined && relevant && isCapturable(r) && kindSelected(sel, r.group, r.kind)) kinds.push({ group: r.group, kind: r.kind, reason });
  }
  return kinds;
}

function finish(col: Collector, catalog: ResourceCatalog, sel: CaptureSelection): CaptureResult {
  const uids = new Set(col.kept.map((l) => l.object.metadata.uid).filter((u): u is string => u !== undefined));
  const objects = col.kept.map(({ resource, object }) => {
    const clean = sanitizeForBackup(object, resource, uids);
    const { group, version, kind, plural, namespaced } = resource;
    return { path: archivePath(clean, resource), resource: { group, version, kind, plural, namespaced }, object: clean };
  });
  objects.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const counts = new Map<string, KindCount>();
  for (const { resource: r } of objects) {
    const key = `${r.group}|${r.kind}`;
    counts.set(key, { group: r.group, version: r.version, kind: r.kind, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  const perKind = [...counts.values()].sort((a, b) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind));
  const skipped = [...col.skipped].sort((a, b) => refKey(a).localeCompare(refKey(b)));
  const warnings = [...catalog.warnings, ...summarizeSkipped(skipped)];
  return { objects, perKind, skipped, skippedKinds: skippedKindsOf(catalog, sel), warnings, errors: col.errors.sort() };
}

/** Captures the selection from the cluster `kc` points at. */
export async function captureResources(kc: KubeConfig, selection: CaptureSelection, options: CaptureOptions = {}): Promise<CaptureResult> {
  const http = kubeHttp(kc);
  const catalog = options.catalog ?? (await discoverWith(http));
  const run: Run = { http, catalog, sel: selection, col: new Collector(), limit: options.concurrency ?? 16 };
  const namespaces = await captureNamespaceObjects(run);
  await captureNamespaced(run, namespaces);
  const cluster = selection.clusterResources ?? 'dependencies';
  if (cluster === 'all') await captureAllClusterScoped(run);
  if (cluster !== 'none') await captureDependencies(run);
  return finish(run.col, catalog, selection);
}
