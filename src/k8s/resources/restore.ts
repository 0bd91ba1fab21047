/**
 * Restore: bring a backup's objects back into a cluster. Select (partial restore), map
 * and rename (clone), prepare (references, cleanup, transforms, provenance), then write
 * tier by tier — CRDs (and wait until Established and served), Namespaces (and any
 * missing target namespace), configuration, volumes, workloads, the rest — with the
 * existing-resource policy; then owner references whose owners came later, then prune
 * (rollback). Each object's failure is its own Failed outcome; the restore goes on.
 */
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { systemClock, type Clock } from '../../core/clock.ts';
import { messageOf } from '../../core/errors.ts';
import type { ResourceResult, RestoreSpec } from '../api/restore.ts';
import type { Transforms } from '../api/transforms.ts';
import { mapLimit } from './concurrency.ts';
import { discoverWith, type ResourceCatalog } from './discovery.ts';
import type { ObjectFilter } from './filters.ts';
import { kubeHttp, type KubeHttp } from './kube-http.ts';
import { NameMap } from './naming.ts';
import { countOutcomes, type RestoreCounts } from './outcomes.ts';
import { pruneObjects, pruneResources } from './prune.ts';
import { restoreObject, settleDeferredOwners, type ApplyContext, type ExistingPolicy, type PlannedObject } from './restore-apply.ts';
import { ensureNamespaces, waitForCustomResources, waitWhileTerminating } from './restore-cluster.ts';
import { restoreOrder, TIER, restoreTier } from './restore-order.ts';
import { prepareForRestore, type PrepareContext, type Provenance } from './restore-prepare.ts';
import { selectForRestore } from './restore-selection.ts';
import { groupOf, refKey, refOf, type KubeObject } from './types.ts';

/** The parts of a Restore spec that concern Kubernetes objects; policy and prune default to skip and false. */
export interface ResourceRestoreSpec {
  readonly selection?: RestoreSpec['selection'];
  readonly namespaceMapping?: RestoreSpec['namespaceMapping'];
  readonly rename?: RestoreSpec['rename'];
  readonly transforms?: Transforms;
  readonly existingResourcePolicy?: ExistingPolicy;
  readonly prune?: boolean;
}

export interface RestoreResourcesOptions {
  readonly provenance: Omit<Provenance, 'at'>;
  readonly clock?: Clock;
  /** The backup's selection: a rollback then prunes every kind it covered, not only the kinds present in the backup. */
  readonly backupSelection?: ObjectFilter;
  readonly catalog?: ResourceCatalog;
  /** Objects written at once within a tier; default 8. */
  readonly concurrency?: number;
  /** How long to wait for CRDs to be Established and served; default 60 s. */
  readonly crdTimeoutMs?: number;
  /** How long to wait for a target namespace that is being deleted; default 120 s. */
  readonly namespaceTimeoutMs?: number;
  /** How long `replace` waits for the old object to go; default 60 s. */
  readonly deleteTimeoutMs?: number;
  /** Called with each outcome as it happens (progress). */
  readonly onResult?: (result: ResourceResult) => void;
}

export interface RestoreResourcesResult {
  /** One outcome per object, in restore order, then the pruned objects. */
  readonly resources: ResourceResult[];
  readonly counts: RestoreCounts;
  readonly warnings: string[];
}

/** The clone label's value: the Restore's name when it is a valid label value, else a digest of it. */
export function cloneLabelValue(restore: string): string {
  const name = restore.slice(restore.indexOf('/') + 1);
  return /^[a-z0-9A-Z]([-_.a-z0-9A-Z]{0,61}[a-z0-9A-Z])?$/.test(name) ? name : createHash('sha256').update(restore).digest('hex').slice(0, 16);
}

function plan(objects: readonly KubeObject[], ctx: PrepareContext): PlannedObject[] {
  return objects.map((source) => {
    try {
      return { source, object: prepareForRestore(source, ctx) };
    } catch (err) {
      const { name, namespace } = ctx.names.placement(source);
      return { source, object: { ...source, metadata: { ...source.metadata, name, namespace } }, error: messageOf(err) };
    }
  });
}

interface Run {
  readonly http: KubeHttp;
  readonly apply: ApplyContext;
  readonly results: Map<PlannedObject, ResourceResult>;
  readonly warnings: string[];
  readonly options: RestoreResourcesOptions;
  /** Replaced once restored CRDs are served. */
  readonly catalog: { current: ResourceCatalog };
}

async function writeTier(run: Run, items: readonly PlannedObject[]): Promise<void> {
  const results = await mapLimit(items, run.options.concurrency ?? 8, async (item) => {
    const result = await restoreObject(run.apply, item);
    run.options.onResult?.(result);
    return result;
  });
  items.forEach((item, i) => run.results.set(item, results[i] as ResourceResult));
}

function targetNamespaces(items: readonly PlannedObject[]): string[] {
  const names = items.map((i) => (i.object.kind === 'Namespace' && groupOf(i.object.apiVersion) === '' ? i.object.metadata.name : i.object.metadata.namespace));
  return [...new Set(names.filter((n): n is string => n !== undefined))].sort();
}

async function writeAll(run: Run, ordered: readonly PlannedObject[], provenance: Provenance): Promise<void> {
  const byTier = (tier: number) => ordered.filter((i) => restoreTier(groupOf(i.object.apiVersion), i.object.kind) === tier);
  await writeTier(run, byTier(TIER.crds));
  if (byTier(TIER.crds).length > 0) run.catalog.current = await waitForCustomResources(run.http, ordered, run.options.crdTimeoutMs ?? 60_000, run.warnings);
  await waitWhileTerminating(run.http, targetNamespaces(ordered), run.options.namespaceTimeoutMs ?? 120_000, run.warnings);
  await writeTier(run, byTier(TIER.namespaces));
  for (const created of await ensureNamespaces(run.http, targetNamespaces(ordered), provenance)) {
    run.results.set({ source: created.object, object: created.object }, created.result);
    run.options.onResult?.(created.result);
  }
  for (const tier of [TIER.config, TIER.volumes, TIER.claims, TIER.workloads, TIER.rest]) await writeTier(run, byTier(tier));
  for (const [item, result] of await settleDeferredOwners(run.apply)) run.results.set(item, result);
}

/** Restores `objects` (as captured) into the cluster `kc` points at. */
export async function restoreResources(kc: KubeConfig, objects: readonly KubeObject[], spec: ResourceRestoreSpec, options: RestoreResourcesOptions): Promise<RestoreResourcesResult> {
  const http = kubeHttp(kc);
  const provenance: Provenance = { ...options.provenance, at: (options.clock ?? systemClock).now() };
  const selected = selectForRestore(objects, spec.selection);
  const names = new NameMap(selected, spec);
  const cloneLabel = names.renaming ? cloneLabelValue(options.provenance.restore) : undefined;
  const ordered = restoreOrder(plan(selected, { names, transforms: spec.transforms, provenance, cloneLabel }));
  const catalog = { current: options.catalog ?? (await discoverWith(http)) };
  const apply: ApplyContext = {
    http,
    catalog: () => catalog.current,
    policy: spec.existingResourcePolicy ?? 'skip',
    uids: new Map(),
    deferred: [],
    deleteTimeoutMs: options.deleteTimeoutMs ?? 60_000,
  };
  const run: Run = { http, apply, options, catalog, results: new Map(), warnings: [] };
  await writeAll(run, ordered, provenance);
  const resources = [...run.results.values()];
  if (spec.prune === true) {
    const filters = [spec.selection ?? {}, ...(options.backupSelection === undefined ? [] : [options.backupSelection])];
    const keep = new Set(ordered.map((i) => refKey(refOf(i.object))));
    const scope = { namespaces: targetNamespaces(ordered), resources: pruneResources(catalog.current, selected, filters, options.backupSelection), keep, filters };
    for (const result of await pruneObjects(http, scope, options.concurrency ?? 8)) {
      resources.push(result);
      options.onResult?.(result);
    }
  }
  return { resources, counts: countOutcomes(resources), warnings: run.warnings };
}
