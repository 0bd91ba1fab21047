/**
 * Restoring one object: resolve its owner references to the live owners' uids, create
 * it, and when it exists already follow the policy — skip, update (the backup's object
 * over the live one) or replace (delete, wait until gone, create). Namespaces, CRDs,
 * PVs and PVCs are never deleted by `replace` (that would delete everything in them or
 * their data): they are updated. Every failure becomes a Failed outcome naming the object.
 */
import type { ResourceOutcome, ResourceResult } from '../api/restore.ts';
import { messageOf } from '../../core/errors.ts';
import type { ResourceCatalog } from './discovery.ts';
import { resourcePath } from './discovery.ts';
import { isAlreadyExists, isNotFound, type KubeHttp } from './kube-http.ts';
import { readObject } from './listing.ts';
import { mergeForUpdate } from './update-merge.ts';
import { describeRef, groupOf, isRecord, refKey, refOf, versionOf, type ApiResource, type KubeObject, type OwnerReference } from './types.ts';

export type ExistingPolicy = 'skip' | 'update' | 'replace';

export interface PlannedObject {
  /** As in the backup. */
  readonly source: KubeObject;
  /** As it is sent (mapped, renamed, transformed); the source when preparing failed. */
  readonly object: KubeObject;
  /** Why it could not be prepared. */
  readonly error?: string;
}

export interface DeferredOwner {
  readonly item: PlannedObject;
  /** Every owner reference the object had in the backup (names already mapped). */
  readonly owners: OwnerReference[];
}

export interface ApplyContext {
  readonly http: KubeHttp;
  readonly catalog: () => ResourceCatalog;
  readonly policy: ExistingPolicy;
  /** Live uid of each restored object, by target refKey. */
  readonly uids: Map<string, string>;
  /** Owner references whose owner did not exist yet, set once everything is restored. */
  readonly deferred: DeferredOwner[];
  readonly deleteTimeoutMs: number;
}

const NEVER_DELETED = new Set(['|Namespace', 'apiextensions.k8s.io|CustomResourceDefinition', '|PersistentVolume', '|PersistentVolumeClaim']);

export function outcomeOf(item: PlannedObject, outcome: ResourceOutcome, message?: string): ResourceResult {
  const target = refOf(item.object);
  const source = refOf(item.source);
  const result: ResourceResult = { group: target.group, kind: target.kind, name: target.name, outcome };
  if (target.namespace !== undefined) result.namespace = target.namespace;
  if (source.namespace !== undefined && source.namespace !== target.namespace) result.originalNamespace = source.namespace;
  if (source.name !== target.name) result.originalName = source.name;
  if (message !== undefined) result.message = message.length > 4096 ? `${message.slice(0, 4093)}...` : message;
  return result;
}

function failed(item: PlannedObject, why: string): ResourceResult {
  return outcomeOf(item, 'Failed', `${describeRef(refOf(item.object))}: ${why}`);
}

async function liveUid(ctx: ApplyContext, owner: OwnerReference, namespace: string | undefined): Promise<string | undefined> {
  const resource = ctx.catalog().find(groupOf(owner.apiVersion), owner.kind);
  if (resource === undefined) return undefined;
  const ns = resource.namespaced ? namespace : undefined;
  const known = ctx.uids.get(refKey({ group: resource.group, kind: owner.kind, namespace: ns, name: owner.name }));
  return known ?? (await readObject(ctx.http, resource, ns, owner.name))?.metadata.uid;
}

/** Points owner references at the live owners; returns those whose owner does not exist yet (removed from `obj`). */
export async function resolveOwners(ctx: ApplyContext, obj: KubeObject): Promise<OwnerReference[]> {
  const owners = obj.metadata.ownerReferences;
  if (owners === undefined) return [];
  const resolved: OwnerReference[] = [];
  const missing: OwnerReference[] = [];
  for (const owner of owners) {
    const uid = await liveUid(ctx, owner, obj.metadata.namespace);
    if (uid === undefined) missing.push(owner);
    else resolved.push({ ...owner, uid });
  }
  if (resolved.length > 0) obj.metadata.ownerReferences = resolved;
  else delete obj.metadata.ownerReferences;
  return missing;
}

function pathOf(resource: ApiResource, obj: KubeObject, named: boolean): string {
  const name = named ? obj.metadata.name : undefined;
  return resourcePath(resource, obj.metadata.namespace, name, versionOf(obj.apiVersion));
}

function remember(ctx: ApplyContext, obj: KubeObject, live: KubeObject | undefined): void {
  if (live?.metadata.uid !== undefined) ctx.uids.set(refKey(refOf(obj)), live.metadata.uid);
}

async function update(ctx: ApplyContext, resource: ApiResource, obj: KubeObject): Promise<{ changed: boolean }> {
  const live = await ctx.http.get<KubeObject>(pathOf(resource, obj, true));
  const written = await ctx.http.put<KubeObject>(pathOf(resource, obj, true), mergeForUpdate(obj, live));
  remember(ctx, obj, written);
  return { changed: written.metadata.resourceVersion !== live.metadata.resourceVersion };
}

async function waitGone(ctx: ApplyContext, resource: ApiResource, obj: KubeObject, uid: string | undefined): Promise<boolean> {
  const deadline = Date.now() + ctx.deleteTimeoutMs;
  while (Date.now() < deadline) {
    const live = await readObject(ctx.http, resource, obj.metadata.namespace, obj.metadata.name ?? '');
    if (live === undefined || live.metadata.uid !== uid) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function replace(ctx: ApplyContext, resource: ApiResource, item: PlannedObject): Promise<ResourceResult> {
  const obj = item.object;
  const live = await readObject(ctx.http, resource, obj.metadata.namespace, obj.metadata.name ?? '');
  try {
    await ctx.http.delete(pathOf(resource, obj, true), { propagationPolicy: 'Background' });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!(await waitGone(ctx, resource, obj, live?.metadata.uid))) return failed(item, `still being deleted after ${ctx.deleteTimeoutMs} ms`);
  try {
    remember(ctx, obj, await ctx.http.post<KubeObject>(pathOf(resource, obj, false), obj));
    return outcomeOf(item, 'Replaced');
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    await update(ctx, resource, obj);
    return outcomeOf(item, 'Updated', 'recreated by a controller before the restore could; updated instead');
  }
}

function claimRefOf(pv: KubeObject): Record<string, unknown> | undefined {
  return isRecord(pv.spec) && isRecord(pv.spec.claimRef) ? pv.spec.claimRef : undefined;
}

/**
 * A PV whose claim was deleted (Released, or about to be) still names that claim with
 * the old uid, so the restored claim of the same name could never bind to it. Clearing
 * the uid lets the PV controller bind them again — whatever the policy, since it changes
 * nothing else and the volume is unusable otherwise. A PV bound to a live claim is left
 * alone.
 */
async function rebindReleasedVolume(ctx: ApplyContext, resource: ApiResource, item: PlannedObject): Promise<ResourceResult | undefined> {
  const want = claimRefOf(item.object);
  const live = await readObject(ctx.http, resource, undefined, item.object.metadata.name ?? '');
  const have = live === undefined ? undefined : claimRefOf(live);
  if (live === undefined || want === undefined || have?.uid === undefined || have.namespace !== want.namespace || have.name !== want.name) return undefined;
  const claims = ctx.catalog().find('', 'PersistentVolumeClaim');
  const claim = claims === undefined ? undefined : await readObject(ctx.http, claims, String(have.namespace), String(have.name));
  if (claim !== undefined && claim.metadata.uid === have.uid) return undefined;
  const patch = [
    { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
    { op: 'remove', path: '/spec/claimRef/uid' },
    ...(have.resourceVersion === undefined ? [] : [{ op: 'remove', path: '/spec/claimRef/resourceVersion' }]),
  ];
  await ctx.http.patch(pathOf(resource, item.object, true), patch, 'json');
  return outcomeOf(item, 'Updated', `volume released by its deleted claim, bound again to the restored claim ${String(want.namespace)}/${String(want.name)}`);
}

async function onExisting(ctx: ApplyContext, resource: ApiResource, item: PlannedObject): Promise<ResourceResult> {
  const key = `${resource.group}|${resource.kind}`;
  const rebound = key === '|PersistentVolume' ? await rebindReleasedVolume(ctx, resource, item) : undefined;
  if (rebound !== undefined) return rebound;
  if (ctx.policy === 'skip') return outcomeOf(item, 'Skipped', 'already exists');
  if (ctx.policy === 'replace' && !NEVER_DELETED.has(key)) return replace(ctx, resource, item);
  const { changed } = await update(ctx, resource, item.object);
  const notes = [ctx.policy === 'replace' ? `${item.object.kind} is never deleted by replace; updated instead` : '', changed ? '' : 'no change'];
  const message = notes.filter((n) => n !== '').join('; ');
  return outcomeOf(item, 'Updated', message === '' ? undefined : message);
}

/** Restores one prepared object and says what happened; never throws. */
export async function restoreObject(ctx: ApplyContext, item: PlannedObject): Promise<ResourceResult> {
  if (item.error !== undefined) return failed(item, item.error);
  const obj = item.object;
  const resource = ctx.catalog().find(groupOf(obj.apiVersion), obj.kind);
  if (resource === undefined) return failed(item, `the cluster serves no ${obj.kind} in ${obj.apiVersion}`);
  try {
    const owners = obj.metadata.ownerReferences ?? [];
    const missing = await resolveOwners(ctx, obj);
    const result = await createOrHandleExisting(ctx, resource, item);
    if (missing.length > 0 && result.outcome !== 'Skipped') ctx.deferred.push({ item, owners });
    return result;
  } catch (err) {
    return failed(item, messageOf(err));
  }
}

async function createOrHandleExisting(ctx: ApplyContext, resource: ApiResource, item: PlannedObject): Promise<ResourceResult> {
  try {
    remember(ctx, item.object, await ctx.http.post<KubeObject>(pathOf(resource, item.object, false), item.object));
    return outcomeOf(item, 'Created');
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return onExisting(ctx, resource, item);
  }
}

/** Sets the owner references that waited for owners restored later in the run; returns the failures. */
export async function settleDeferredOwners(ctx: ApplyContext): Promise<Map<PlannedObject, ResourceResult>> {
  const failures = new Map<PlannedObject, ResourceResult>();
  for (const { item, owners } of ctx.deferred) {
    const obj = { ...item.object, metadata: { ...item.object.metadata, ownerReferences: owners } };
    try {
      const missing = await resolveOwners(ctx, obj);
      const resource = ctx.catalog().find(groupOf(obj.apiVersion), obj.kind);
      if (resource === undefined || missing.length === owners.length) continue;
      await ctx.http.patch(pathOf(resource, obj, true), { metadata: { ownerReferences: obj.metadata.ownerReferences } }, 'merge');
    } catch (err) {
      failures.set(item, failed(item, `setting owner references: ${messageOf(err)}`));
    }
  }
  return failures;
}
