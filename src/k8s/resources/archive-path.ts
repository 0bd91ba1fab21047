/**
 * Where a captured object lives among the files of a resources snapshot:
 * `resources/<plural>.<group>/namespaces/<namespace>/<name>.json` and
 * `resources/<plural>.<group>/cluster/<name>.json`; the core group has no suffix
 * (`resources/configmaps/…`). A plural never contains a dot, so the first dot splits
 * the resource from its group.
 */
import type { KubeObject } from './types.ts';

export const ARCHIVE_ROOT = 'resources';

export interface ArchiveLocation {
  readonly plural: string;
  /** '' for the core group. */
  readonly group: string;
  /** Absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
}

export function archivePathOf(location: ArchiveLocation): string {
  const resource = location.group === '' ? location.plural : `${location.plural}.${location.group}`;
  const scope = location.namespace === undefined ? 'cluster' : `namespaces/${location.namespace}`;
  return `${ARCHIVE_ROOT}/${resource}/${scope}/${location.name}.json`;
}

/** The file path of a captured object, given the resource that serves it. */
export function archivePath(obj: KubeObject, resource: { readonly plural: string; readonly group: string; readonly namespaced: boolean }): string {
  const namespace = resource.namespaced ? obj.metadata.namespace : undefined;
  return archivePathOf({ plural: resource.plural, group: resource.group, namespace, name: obj.metadata.name ?? '' });
}

/** The location a path stands for; undefined for a path that is not an object file of the layout. */
export function parseArchivePath(path: string): ArchiveLocation | undefined {
  const parts = path.split('/');
  if (parts[0] !== ARCHIVE_ROOT || parts.some((p) => p === '')) return undefined;
  const [, resource = '', scope] = parts;
  const dot = resource.indexOf('.');
  const plural = dot < 0 ? resource : resource.slice(0, dot);
  const group = dot < 0 ? '' : resource.slice(dot + 1);
  const file = parts.at(-1) ?? '';
  if (!file.endsWith('.json') || file === '.json') return undefined;
  const name = file.slice(0, -'.json'.length);
  if (scope === 'cluster' && parts.length === 4) return { plural, group, name };
  if (scope === 'namespaces' && parts.length === 5) return { plural, group, namespace: parts[3] ?? '', name };
  return undefined;
}
