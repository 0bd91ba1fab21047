/**
 * Building blocks for the API schemas. Each zod schema here is the single source of a
 * TypeScript type, of the runtime check the controllers and the CLI run, and (through
 * `z.toJSONSchema` and the structural post-pass) of the CRD's OpenAPI schema.
 *
 * Cross-field rules are written once as a `CrossFieldRule` and enforced twice: by the
 * apiserver as a CEL rule (`x-kubernetes-validations`) and by zod when an object is parsed.
 * Raw JSON is allowed only through `rawJson`/`rawObject`, which mark the node with
 * `x-kubernetes-preserve-unknown-fields`; the post-pass rejects any other untyped node.
 */
import { z } from 'zod';

/** One `x-kubernetes-validations` entry. */
export interface CelValidation {
  readonly rule: string;
  readonly message: string;
  readonly fieldPath?: string;
}

export interface CrossFieldRule<T> {
  /** The CEL expression over `self`, evaluated by the apiserver. */
  readonly cel: string;
  /** The same rule in TypeScript, evaluated by zod on the parsed (defaulted) value. */
  readonly holds: (value: T) => boolean;
  /** Shown by kubectl and in the parse error; names the fields involved. */
  readonly message: string;
  /** The field the message is about, relative to the object the rule sits on. */
  readonly field?: readonly string[];
}

const VALIDATIONS = 'x-kubernetes-validations';

/** Attaches rules to an object schema: as CEL for the CRD and as zod refinements. */
export function withRules<S extends z.ZodType>(schema: S, rules: ReadonlyArray<CrossFieldRule<z.output<S>>>): S {
  const meta = schema.meta() ?? {};
  const existing = (meta[VALIDATIONS] as CelValidation[] | undefined) ?? [];
  const cel = rules.map((r): CelValidation => ({
    rule: r.cel,
    message: r.message,
    ...(r.field ? { fieldPath: r.field.map((f) => `.${f}`).join('') } : {}),
  }));
  let out = schema.meta({ ...meta, [VALIDATIONS]: [...existing, ...cel] });
  for (const r of rules) {
    out = out.refine((v) => r.holds(v), { message: r.message, ...(r.field ? { path: [...r.field] } : {}) });
  }
  return out;
}

/** The CEL validations attached to a schema by `withRules` (for tests and docs). */
export function celRulesOf(schema: z.ZodType): CelValidation[] {
  return (schema.meta()?.[VALIDATIONS] as CelValidation[] | undefined) ?? [];
}

/** A rule that exactly one of the given optional fields is set. */
export function exactlyOneOf<T extends object>(keys: ReadonlyArray<keyof T & string>, what: string): CrossFieldRule<T> {
  const count = (v: T): number => keys.filter((k) => v[k] !== undefined).length;
  const [a, b] = keys;
  return {
    cel: keys.length === 2 ? `has(self.${a}) != has(self.${b})` : `[${keys.map((k) => `has(self.${k})`).join(', ')}].filter(x, x).size() == 1`,
    holds: (v) => count(v) === 1,
    message: `${what}: set exactly one of ${keys.join(', ')}`,
  };
}

/** A rule that at most one of the given optional fields is set. */
export function atMostOneOf<T extends object>(keys: ReadonlyArray<keyof T & string>, what: string): CrossFieldRule<T> {
  const [a, b] = keys;
  return {
    cel: keys.length === 2 ? `!(has(self.${a}) && has(self.${b}))` : `[${keys.map((k) => `has(self.${k})`).join(', ')}].filter(x, x).size() <= 1`,
    holds: (v) => keys.filter((k) => v[k] !== undefined).length <= 1,
    message: `${what}: set at most one of ${keys.join(', ')}`,
  };
}

/** A list of objects keyed by `name`: the apiserver merges it by name and rejects duplicates. */
export function namedList<I extends z.ZodType<{ name: string }>>(item: I, maxItems: number) {
  return z
    .array(item)
    .max(maxItems)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
    .refine((list) => new Set(list.map((i) => i.name)).size === list.length, { message: 'names must be unique' });
}

/** A list of distinct strings. */
export function stringSet(item: z.ZodString, maxItems: number) {
  return z
    .array(item)
    .max(maxItems)
    .meta({ 'x-kubernetes-list-type': 'set' })
    .refine((list) => new Set(list).size === list.length, { message: 'entries must be unique' });
}

/** Any JSON value, kept as written (e.g. the value of a JSON patch operation). */
export function rawJson(description: string) {
  return z.unknown().meta({ description, 'x-kubernetes-preserve-unknown-fields': true });
}

/** A JSON object of any shape, kept as written (e.g. a captured Kubernetes object). */
export function rawObject(description: string) {
  return z.record(z.string(), z.unknown()).meta({ description, 'x-kubernetes-preserve-unknown-fields': true });
}

/** A string map such as labels or a name mapping. */
export function stringMap(description: string, maxProperties = 256) {
  return z
    .record(z.string().min(1).max(253), z.string().max(4096))
    .refine((m) => Object.keys(m).length <= maxProperties, { message: `at most ${maxProperties} entries` })
    .meta({ description, maxProperties });
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (DNS-1123 subdomain). */
export function objectName(description: string) {
  return z.string().min(1).max(253).regex(DNS_SUBDOMAIN, 'must be a lowercase DNS-1123 name').describe(description);
}

/** A namespace name (DNS-1123 label). */
export function namespaceName(description: string) {
  return z.string().min(1).max(63).regex(DNS_LABEL, 'must be a lowercase DNS-1123 label').describe(description);
}

/** Go duration syntax as in metav1.Duration: `90s`, `5m`, `1h30m`, `0`. */
export const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+)$/;

export function duration(description: string) {
  return z.string().max(64).regex(GO_DURATION, 'must be a duration such as 90s, 5m or 1h30m').describe(description);
}

/** An RFC 3339 time such as `2026-11-21T07:35:00Z`. */
export function timestamp(description: string) {
  return z.iso.datetime({ offset: true }).describe(description);
}

const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

/** A Kubernetes resource quantity: `500m`, `2Gi`, or a plain integer. */
export function quantity(description: string) {
  return z.union([z.int(), z.string().regex(QUANTITY, 'must be a quantity such as 500m or 2Gi')]).describe(description);
}

/** A non-negative 32-bit count or size. */
export function count(description: string, max = 2_147_483_647) {
  return z.int().min(0).max(max).describe(description);
}

/** A non-negative byte or item total that may exceed 32 bits. */
export function total(description: string) {
  return z.int().min(0).describe(description);
}
