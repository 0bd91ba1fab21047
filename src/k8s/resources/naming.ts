/**
 * Where each object of a restore goes: its namespace through `namespaceMapping`, its
 * name through `rename` (an explicit `Kind/name` or `name` entry, else prefix + name +
 * suffix). Prefix and suffix apply to namespaced objects only (not to the `default`
 * service account, which every namespace has); cluster-scoped objects are renamed only
 * by explicit `Kind/name` entries. A StatefulSet's claims follow its new name
 * (`<template>-<statefulset>-<ordinal>`), so the renamed StatefulSet finds them.
 */
import type { RestoreSpec } from '../api/restore.ts';
import { isRecord, groupKind, groupOf, refKey, refOf, type KubeObject, type ObjectRef } from './types.ts';

export type Naming = Pick<RestoreSpec, 'namespaceMapping' | 'rename'>;

export interface Placement {
  readonly namespace?: string;
  readonly name: string;
}

function explicitName(names: Readonly<Record<string, string>>, ref: ObjectRef, plain: boolean): string | undefined {
  return names[`${ref.kind}/${ref.name}`] ?? names[`${groupKind(ref.group, ref.kind)}/${ref.name}`] ?? (plain ? names[ref.name] : undefined);
}

function statefulSetClaimTemplates(obj: KubeObject): string[] {
  const templates = isRecord(obj.spec) && Array.isArray(obj.spec.volumeClaimTemplates) ? obj.spec.volumeClaimTemplates : [];
  return templates.map((t) => (isRecord(t) && isRecord(t.metadata) ? String(t.metadata.name ?? '') : '')).filter((n) => n !== '');
}

function initialName(ref: ObjectRef, rename: NonNullable<Naming['rename']>): string {
  const namespaced = ref.namespace !== undefined;
  const explicit = explicitName(rename.names ?? {}, ref, namespaced);
  if (explicit !== undefined) return explicit;
  const affixed = namespaced && !(ref.kind === 'ServiceAccount' && ref.name === 'default');
  return affixed ? `${rename.prefix ?? ''}${ref.name}${rename.suffix ?? ''}` : ref.name;
}

export class NameMap {
  readonly #mapping: Readonly<Record<string, string>>;
  readonly #names = new Map<string, string>();
  /** Names change (not only namespaces): clones may sit beside their originals. */
  readonly renaming: boolean;

  constructor(objects: readonly KubeObject[], naming: Naming) {
    this.#mapping = naming.namespaceMapping ?? {};
    const rename = naming.rename ?? {};
    const names = rename.names ?? {};
    this.renaming = Object.keys(names).length > 0 || Boolean(rename.prefix) || Boolean(rename.suffix);
    for (const obj of objects) this.#names.set(refKey(refOf(obj)), initialName(refOf(obj), rename));
    for (const obj of objects) if (obj.kind === 'StatefulSet' && groupOf(obj.apiVersion) === 'apps') this.#followStatefulSet(obj, names);
  }

  #followStatefulSet(sts: KubeObject, names: Readonly<Record<string, string>>): void {
    const namespace = sts.metadata.namespace ?? '';
    const from = sts.metadata.name ?? '';
    const to = this.nameOf({ group: 'apps', kind: 'StatefulSet', namespace, name: from });
    if (to === from) return;
    for (const template of statefulSetClaimTemplates(sts)) {
      const pattern = new RegExp(`^${escape(template)}-${escape(from)}-(\\d+)$`);
      for (const key of [...this.#names.keys()]) {
        const [group = '', kind = '', ns, name = ''] = key.split('|');
        const ordinal = pattern.exec(name)?.[1];
        if (ordinal === undefined || kind !== 'PersistentVolumeClaim' || group !== '' || ns !== namespace) continue;
        if (explicitName(names, { group, kind, namespace, name }, true) === undefined) this.#names.set(key, `${template}-${to}-${ordinal}`);
      }
    }
  }

  namespaceOf(namespace: string): string {
    return this.#mapping[namespace] ?? namespace;
  }

  /** The restored name of an object of the restore; other objects keep their names. */
  nameOf(ref: ObjectRef): string {
    if (ref.namespace === undefined && ref.kind === 'Namespace' && ref.group === '') return this.namespaceOf(ref.name);
    return this.#names.get(refKey(ref)) ?? ref.name;
  }

  /** Whether the object is part of the restore. */
  has(ref: ObjectRef): boolean {
    return this.#names.has(refKey(ref));
  }

  placement(obj: KubeObject): Placement {
    const ref = refOf(obj);
    const name = this.nameOf(ref);
    return ref.namespace === undefined ? { name } : { namespace: this.namespaceOf(ref.namespace), name };
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
