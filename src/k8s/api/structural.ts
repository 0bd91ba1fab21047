/**
 * The post-pass that turns zod's OpenAPI 3.0 output into a structural schema as
 * Kubernetes requires for CRDs (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema):
 * every node has a type; no $ref or definitions; additionalProperties never beside
 * properties and never false; anyOf/oneOf only as pure value validation; int-or-string
 * in the one form Kubernetes accepts. Anything it cannot make structural is an error
 * naming the path, so a schema change that would break the CRD fails the generator.
 */
import { HoldfastError } from '../../core/errors.ts';
import { isJsonObject, KEYWORD_ORDER, KNOWN_KEYWORDS, type JsonObject, type JSONSchemaProps } from './json-schema.ts';

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';
/** Keywords zod emits that carry no meaning for Kubernetes. */
const DROPPED = new Set(['$schema', '$id', 'id', '$defs', 'definitions', 'propertyNames', 'examples', 'readOnly', 'writeOnly']);
const SAFE_MAX = Number.MAX_SAFE_INTEGER;

interface Context {
  readonly defs: JsonObject;
  readonly resolving: ReadonlySet<string>;
  readonly path: string;
}

/** Makes a zod-generated OpenAPI 3.0 schema structural, or throws naming the first path it cannot fix. */
export function makeStructural(schema: JsonObject): JSONSchemaProps {
  const defs = { ...asObject(schema.definitions), ...asObject(schema.$defs) };
  return normalize(schema, { defs, resolving: new Set(), path: '' });
}

function normalize(input: JsonObject, outer: Context): JSONSchemaProps {
  const ctx = { ...outer, resolving: new Set([...outer.resolving, ...refChain(input, outer)]) };
  let node = resolveRef(input, outer);
  node = liftNullable(node);
  node = mergeCombinator(node, ctx);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || value === undefined) continue;
    if (!KNOWN_KEYWORDS.has(key)) fail(ctx, `keyword ${key} is not supported in a CRD schema`);
    out[key] = value;
  }
  normalizeChildren(out, ctx);
  inferType(out, ctx);
  dropSafeIntegerBounds(out);
  if (out.format === 'date-time') delete out.pattern;
  return ordered(out);
}

function normalizeChildren(out: JsonObject, ctx: Context): void {
  if (isJsonObject(out.properties)) {
    const props: Record<string, JSONSchemaProps> = {};
    for (const [name, child] of Object.entries(out.properties)) {
      props[name] = normalize(asObject(child), { ...ctx, path: `${ctx.path}.${name}` });
    }
    out.properties = props;
  }
  if (isJsonObject(out.items)) out.items = normalize(out.items, { ...ctx, path: `${ctx.path}[]` });
  else if (out.items !== undefined) fail(ctx, 'items must be one schema, not a list');
  normalizeAdditionalProperties(out, ctx);
}

function normalizeAdditionalProperties(out: JsonObject, ctx: Context): void {
  const extra = out.additionalProperties;
  if (extra === undefined) return;
  if (extra === false) {
    // zod's strict objects say "no other keys"; Kubernetes prunes unknown fields instead.
    delete out.additionalProperties;
    return;
  }
  if (extra === true || (isJsonObject(extra) && Object.keys(extra).length === 0)) {
    if (out[PRESERVE] !== true) fail(ctx, 'a map of untyped values must be declared with rawObject()');
    delete out.additionalProperties;
    return;
  }
  if (isJsonObject(out.properties) && Object.keys(out.properties).length > 0) {
    fail(ctx, 'additionalProperties beside properties is not allowed (use a record or an object, not both)');
  }
  out.additionalProperties = normalize(asObject(extra), { ...ctx, path: `${ctx.path}{}` });
}

/** The definitions a node's $ref passes through, so children can detect recursion. */
function refChain(node: JsonObject, ctx: Context): string[] {
  const names: string[] = [];
  let current: unknown = node;
  while (isJsonObject(current) && typeof current.$ref === 'string') {
    const name = current.$ref.replace(/^#\/(\$defs|definitions)\//, '');
    if (names.includes(name)) break;
    names.push(name);
    current = ctx.defs[name];
  }
  return names;
}

function resolveRef(node: JsonObject, ctx: Context): JsonObject {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const name = ref.replace(/^#\/(\$defs|definitions)\//, '');
  if (ctx.resolving.has(name)) fail(ctx, `recursive schema ${ref} cannot be expressed in a CRD`);
  const target = ctx.defs[name];
  if (!isJsonObject(target)) fail(ctx, `unresolved ${ref}`);
  const { $ref: _ref, ...rest } = node;
  const inner = resolveRef(target, { ...ctx, resolving: new Set([...ctx.resolving, name]) });
  return { ...inner, ...rest };
}

/** `type: [T, "null"]` and `anyOf: [X, {type: "null"}]` become X with `nullable: true`. */
function liftNullable(node: JsonObject): JsonObject {
  let out = node;
  if (Array.isArray(out.type) && out.type.includes('null')) {
    const types = out.type.filter((t) => t !== 'null');
    out = { ...out, type: types.length === 1 ? types[0] : types, nullable: true };
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = out[key];
    if (!Array.isArray(branches)) continue;
    const rest = branches.filter((b) => !(isJsonObject(b) && b.type === 'null'));
    if (rest.length === branches.length) continue;
    const { [key]: _drop, ...others } = out;
    out = rest.length === 1 ? { ...asObject(rest[0]), ...others, nullable: true } : { ...others, [key]: rest, nullable: true };
  }
  return out;
}

function mergeCombinator(node: JsonObject, ctx: Context): JsonObject {
  for (const key of ['anyOf', 'oneOf'] as const) {
    const raw = node[key];
    if (!Array.isArray(raw) || !raw.some((b) => isJsonObject(b) && ('type' in b || 'properties' in b || '$ref' in b))) continue;
    const branches = raw.map((b) => liftNullable(resolveRef(asObject(b), ctx)));
    const { [key]: _drop, ...rest } = node;
    const types = new Set(branches.map((b) => b.type ?? (b.properties ? 'object' : undefined)));
    if (types.size === 2 && types.has('integer') && types.has('string')) return intOrString(rest, branches);
    if (types.size === 1 && types.has('object')) return { ...rest, ...mergeObjects(branches, key, ctx) };
    if (types.size === 1 && branches.every((b) => Array.isArray(b.enum))) {
      return { ...rest, type: [...types][0], enum: branches.flatMap((b) => b.enum as unknown[]) };
    }
    fail(ctx, `a union of ${[...types].join(', ')} cannot be made structural; use one object with exclusive optional fields`);
  }
  return node;
}

/** The one int-or-string form Kubernetes accepts; each branch's checks move up (they apply by value type). */
function intOrString(rest: JsonObject, branches: JsonObject[]): JsonObject {
  const out: JsonObject = { ...rest };
  for (const b of branches) {
    for (const [k, v] of Object.entries(b)) {
      if (k !== 'type' && k !== 'description' && out[k] === undefined) out[k] = v;
    }
  }
  delete out.type;
  return { ...out, [INT_OR_STRING]: true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
}

/** Branches that are objects become one object; what differs in `required` stays as pure validation. */
function mergeObjects(branches: JsonObject[], key: 'anyOf' | 'oneOf', ctx: Context): JsonObject {
  const properties: JsonObject = {};
  for (const b of branches) {
    for (const [name, schema] of Object.entries(asObject(b.properties))) {
      properties[name] = name in properties ? mergeProperty(asObject(properties[name]), asObject(schema), { ...ctx, path: `${ctx.path}.${name}` }) : schema;
    }
  }
  const requiredSets = branches.map((b) => (Array.isArray(b.required) ? (b.required as string[]) : []));
  const common = requiredSets[0]?.filter((r) => requiredSets.every((s) => s.includes(r))) ?? [];
  const distinct = requiredSets.map((s) => s.filter((r) => !common.includes(r)));
  const out: JsonObject = { type: 'object', properties };
  if (common.length > 0) out.required = common;
  if (distinct.some((s) => s.length > 0)) out[key] = distinct.map((s) => ({ required: s }));
  return out;
}

function mergeProperty(a: JsonObject, b: JsonObject, ctx: Context): JsonObject {
  if (Array.isArray(a.enum) && Array.isArray(b.enum) && a.type === b.type) {
    return { ...a, enum: [...new Set([...a.enum, ...b.enum])] };
  }
  const strip = ({ description: _d, ...rest }: JsonObject): string => JSON.stringify(rest);
  if (strip(a) !== strip(b)) fail(ctx, 'union branches define this property differently');
  return a;
}

function inferType(out: JsonObject, ctx: Context): void {
  if (out.type !== undefined || out[INT_OR_STRING] === true) return;
  if (out.properties !== undefined || out.additionalProperties !== undefined) out.type = 'object';
  else if (out.items !== undefined) out.type = 'array';
  else if (out[PRESERVE] !== true) fail(ctx, 'no type: give the field a type, or declare raw JSON with rawJson()/rawObject()');
}

function dropSafeIntegerBounds(out: JsonObject): void {
  if (out.minimum === -SAFE_MAX) delete out.minimum;
  if (out.maximum === SAFE_MAX) delete out.maximum;
}

function ordered(node: JsonObject): JSONSchemaProps {
  const out: JsonObject = {};
  for (const key of KEYWORD_ORDER) if (node[key] !== undefined) out[key] = node[key];
  return out as JSONSchemaProps;
}

function asObject(v: unknown): JsonObject {
  return isJsonObject(v) ? v : {};
}

function fail(ctx: Context, message: string): never {
  throw new HoldfastError('INTERNAL', `CRD schema at ${ctx.path || '(root)'}: ${message}`);
}
