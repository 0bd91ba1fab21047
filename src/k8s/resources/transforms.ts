/**
 * Restore-time transforms, applied after mapping and renaming: storage classes of
 * claims, volumes and claim templates; container images; and JSON patches on the
 * objects their kinds, names and labels select.
 */
import type { JsonPatch, Transforms } from '../api/transforms.ts';
import { kindPatternMatches, labelsMatch, wildcardMatches } from './filters.ts';
import { applyJsonPatch } from './json-patch.ts';
import { claimTemplateSpecs, containersOf, podSpecs } from './pod-specs.ts';
import { groupOf, isRecord, type KubeObject } from './types.ts';

const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImage(image: string): ImageRef {
  const at = image.indexOf('@');
  const digest = at < 0 ? undefined : image.slice(at + 1);
  const rest = at < 0 ? image : image.slice(0, at);
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const repository = tag === undefined ? rest : rest.slice(0, colon);
  return { repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/**
 * The image after the overrides: an exact key wins; a key without tag or digest
 * matches every tag of its repository, and a replacement without tag or digest keeps
 * the original's.
 */
export function overrideImage(image: string, overrides: Readonly<Record<string, string>>): string {
  const exact = overrides[image];
  if (exact !== undefined) return exact;
  const ref = parseImage(image);
  const replacement = overrides[ref.repository];
  if (replacement === undefined) return image;
  const target = parseImage(replacement);
  if (target.tag !== undefined || target.digest !== undefined) return replacement;
  return `${replacement}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

function mapStorageClass(spec: Record<string, unknown>, mapping: Readonly<Record<string, string>>): void {
  const current = spec.storageClassName;
  if (typeof current === 'string' && mapping[current] !== undefined) spec.storageClassName = mapping[current];
}

export function applyStorageClassMapping(obj: KubeObject, mapping: Readonly<Record<string, string>>): void {
  const isVolume = groupOf(obj.apiVersion) === '' && (obj.kind === 'PersistentVolumeClaim' || obj.kind === 'PersistentVolume');
  if (isVolume && isRecord(obj.spec)) mapStorageClass(obj.spec, mapping);
  const annotations = obj.metadata.annotations;
  const legacy = annotations?.[STORAGE_CLASS_ANNOTATION];
  if (isVolume && annotations !== undefined && legacy !== undefined && mapping[legacy] !== undefined) annotations[STORAGE_CLASS_ANNOTATION] = mapping[legacy];
  for (const spec of claimTemplateSpecs(obj)) mapStorageClass(spec, mapping);
}

export function applyImageOverrides(obj: KubeObject, overrides: Readonly<Record<string, string>>): void {
  for (const spec of podSpecs(obj)) {
    for (const container of containersOf(spec)) {
      if (typeof container.image === 'string') container.image = overrideImage(container.image, overrides);
    }
  }
}

/** Whether a patch's selector picks this object; names match the restored or the original name. */
export function patchSelects(patch: JsonPatch, obj: KubeObject, originalName: string): boolean {
  const group = groupOf(obj.apiVersion);
  const name = obj.metadata.name ?? '';
  if (patch.kinds !== undefined && !patch.kinds.some((k) => kindPatternMatches(k, group, obj.kind))) return false;
  if (patch.names !== undefined && !patch.names.some((n) => wildcardMatches(n, name) || wildcardMatches(n, originalName))) return false;
  return labelsMatch(patch.labelSelector, obj.metadata.labels);
}

/** The object after every transform; throws (CONFIG_INVALID) when a JSON patch cannot apply. */
export function applyTransforms(obj: KubeObject, transforms: Transforms | undefined, originalName: string): KubeObject {
  if (transforms === undefined) return obj;
  if (transforms.storageClassMapping !== undefined) applyStorageClassMapping(obj, transforms.storageClassMapping);
  if (transforms.imageOverrides !== undefined) applyImageOverrides(obj, transforms.imageOverrides);
  let result = obj;
  for (const patch of transforms.jsonPatches ?? []) {
    if (patchSelects(patch, result, originalName)) result = applyJsonPatch(result, patch.patch);
  }
  return result;
}
