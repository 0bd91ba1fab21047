/**
 * The plain shapes the resource layer hands over: a Kubernetes object as JSON, the API
 * resource that serves it, and references between objects by group, kind, namespace
 * and name.
 */
import type { ObjectMeta, OwnerReference } from '../api/meta.ts';

export type { ObjectMeta, OwnerReference };

/** Any Kubernetes object as plain JSON (what the apiserver returns, what the repository stores). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A resource the apiserver serves, from discovery (its preferred version). */
export interface ApiResource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The resource name in URLs, e.g. `deployments`. */
  readonly plural: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  /** Subresources served, e.g. `status`, `scale`. */
  readonly subresources: readonly string[];
}

/** Who an object is, across versions: group (''=core), kind, namespace (cluster-scoped: absent), name. */
export interface ObjectRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function versionOf(apiVersion: string): string {
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function refOf(obj: KubeObject): ObjectRef {
  const ref = { group: groupOf(obj.apiVersion), kind: obj.kind, name: obj.metadata.name ?? '' };
  return obj.metadata.namespace ? { ...ref, namespace: obj.metadata.namespace } : ref;
}

/** `Kind` for the core group, `Kind.group` otherwise: how users name kinds in filters. */
export function groupKind(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/** `Deployment.apps team-a/web`: how messages name an object. */
export function describeRef(ref: ObjectRef): string {
  return `${groupKind(ref.group, ref.kind)} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** A key unique per object, for maps and sets. */
export function refKey(ref: ObjectRef): string {
  return `${ref.group}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
