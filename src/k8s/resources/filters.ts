/**
 * The object filters of a backup selection and of a restore selection: kinds (`Kind`,
 * `Kind.group`, `*`), names (`name` or `Kind/name`, with `*` and `?`), and label
 * selectors. Exclusions win over inclusions; an absent or empty inclusion list means all.
 */
import type { LabelSelector } from '../api/selectors.ts';
import { groupKind } from './types.ts';

export interface ObjectFilter {
  readonly labelSelector?: LabelSelector;
  readonly includedKinds?: readonly string[];
  readonly excludedKinds?: readonly string[];
  readonly includedNames?: readonly string[];
  readonly excludedNames?: readonly string[];
}

/** `Kind` matches that kind in every group; `Kind.group` only in that group; `*` everything. */
export function kindPatternMatches(pattern: string, group: string, kind: string): boolean {
  if (pattern === '*') return true;
  return pattern === kind || pattern === groupKind(group, kind);
}

export function kindSelected(filter: ObjectFilter, group: string, kind: string): boolean {
  const hit = (patterns: readonly string[] | undefined) => (patterns ?? []).some((p) => kindPatternMatches(p, group, kind));
  if (hit(filter.excludedKinds)) return false;
  return (filter.includedKinds ?? []).length === 0 || hit(filter.includedKinds);
}

export function wildcardMatches(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

interface Named {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

/**
 * Whether one name pattern matches. `plain` says whether a pattern without a kind
 * applies: it does to the selected objects, not to the namespaces and cluster-scoped
 * dependencies that come with them (only `Namespace/x`-style patterns reach those).
 */
export function namePatternMatches(pattern: string, obj: Named, plain: boolean): boolean {
  const slash = pattern.indexOf('/');
  if (slash < 0) return plain && wildcardMatches(pattern, obj.name);
  return kindPatternMatches(pattern.slice(0, slash), obj.group, obj.kind) && wildcardMatches(pattern.slice(slash + 1), obj.name);
}

export function nameSelected(filter: ObjectFilter, obj: Named, plain = true): boolean {
  const hit = (patterns: readonly string[] | undefined) => (patterns ?? []).some((p) => namePatternMatches(p, obj, plain));
  if (hit(filter.excludedNames)) return false;
  const included = filter.includedNames ?? [];
  if (included.length === 0) return true;
  if (plain) return hit(included);
  const forThisKind = included.filter((p) => p.includes('/') && kindPatternMatches(p.slice(0, p.indexOf('/')), obj.group, obj.kind));
  return forThisKind.length === 0 || hit(forThisKind);
}

export function labelsMatch(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === undefined) return true;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (have[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((req) => {
    const value = have[req.key];
    switch (req.operator) {
      case 'In':
        return value !== undefined && (req.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(req.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
    return false;
  });
}

/** The selector in the apiserver's `labelSelector` query syntax; undefined when it selects everything. */
export function labelSelectorQuery(selector: LabelSelector | undefined): string | undefined {
  if (selector === undefined) return undefined;
  const terms = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = `(${(req.values ?? []).join(',')})`;
    if (req.operator === 'In') terms.push(`${req.key} in ${values}`);
    else if (req.operator === 'NotIn') terms.push(`${req.key} notin ${values}`);
    else if (req.operator === 'Exists') terms.push(req.key);
    else terms.push(`!${req.key}`);
  }
  return terms.length === 0 ? undefined : terms.join(',');
}
