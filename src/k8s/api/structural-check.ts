/**
 * A checker of the rules the apiserver applies to a CRD's openAPIV3Schema, written from
 * apiextensions-apiserver (pkg/apiserver/schema/validation.go, complete.go and
 * pkg/apis/apiextensions/validation/validation.go). It is independent of the post-pass in
 * structural.ts, so the tests catch a post-pass that lets something through.
 *
 * Rules: every specified node has a type (or int-or-string / preserve-unknown-fields);
 * arrays have items; no $ref, definitions, patternProperties, dependencies, additionalItems,
 * id, uniqueItems or type null; additionalProperties never false, never beside properties,
 * never at the root; value validations (anyOf, oneOf, allOf, not) set no type, description,
 * default, title, nullable, additionalProperties, x-kubernetes-* or metadata, and name only
 * fields the structural part declares; int-or-string has the exact accepted shape; list
 * and map types are consistent; CEL rules have a rule and a one-line message; patterns
 * avoid what Go's RE2 cannot run; the root is an object whose metadata restricts at most
 * name and generateName.
 */
import { isJsonObject, KNOWN_KEYWORDS, VALUE_VALIDATION_KEYWORDS, type JsonObject } from './json-schema.ts';

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const FORBIDDEN = ['$ref', 'definitions', '$defs', 'patternProperties', 'dependencies', 'additionalItems', 'id', '$schema'];
const COMBINATORS = ['anyOf', 'oneOf', 'allOf'] as const;

type Level = 'root' | 'field' | 'item';

/** Returns every violation as `<path>: <problem>`; empty when the schema is structural. */
export function checkStructural(root: unknown): string[] {
  const errors: string[] = [];
  if (!isJsonObject(root)) return ['(root): must be an object schema'];
  if (root.type !== 'object') errors.push('(root).type: must be object');
  if (root.nullable === true) errors.push('(root).nullable: must not be true at the root');
  if (root.additionalProperties !== undefined) errors.push('(root).additionalProperties: must not be used at the root');
  checkRootMetadata(root, errors);
  checkNode(root, 'root', '', errors);
  return errors;
}

function checkRootMetadata(root: JsonObject, errors: string[]): void {
  const props = isJsonObject(root.properties) ? root.properties : {};
  for (const key of ['apiVersion', 'kind']) {
    const s = props[key];
    if (isJsonObject(s) && s.type !== 'string') errors.push(`.${key}.type: must be string`);
  }
  const meta = props.metadata;
  if (!isJsonObject(meta)) return;
  const { type, properties, ...rest } = meta;
  if (type !== 'object') errors.push('.metadata.type: must be object');
  const names = Object.keys(isJsonObject(properties) ? properties : {});
  if (names.some((n) => n !== 'name' && n !== 'generateName') || Object.keys(rest).length > 0) {
    errors.push('.metadata: must not specify anything other than name and generateName');
  }
}

function checkNode(s: JsonObject, level: Level, path: string, errors: string[]): void {
  const at = (k: string) => `${path || '(root)'}.${k}`;
  for (const key of Object.keys(s)) {
    if (FORBIDDEN.includes(key)) errors.push(`${at(key)}: is not supported`);
    else if (!KNOWN_KEYWORDS.has(key)) errors.push(`${at(key)}: unknown keyword`);
  }
  checkType(s, level, path, errors);
  checkExtensions(s, path, errors);
  checkPattern(s.pattern, at('pattern'), errors);
  if (s.uniqueItems === true) errors.push(`${at('uniqueItems')}: must not be true`);
  if (s.type === 'array' && s.items === undefined) errors.push(`${at('items')}: must be specified for an array`);
  if (Array.isArray(s.items)) errors.push(`${at('items')}: must be a schema, not a list`);
  if (isJsonObject(s.items)) checkNode(s.items, 'item', `${path}[]`, errors);
  const props = isJsonObject(s.properties) ? s.properties : undefined;
  for (const [name, child] of Object.entries(props ?? {})) {
    if (isJsonObject(child)) checkNode(child, 'field', `${path}.${name}`, errors);
    else errors.push(`${path}.${name}: must be a schema`);
  }
  checkAdditionalProperties(s, props, path, errors);
  checkValueValidations(s, path, errors);
}

function checkType(s: JsonObject, level: Level, path: string, errors: string[]): void {
  const where = `${path || '(root)'}.type`;
  if (s.type === undefined) {
    if (s['x-kubernetes-int-or-string'] !== true && s['x-kubernetes-preserve-unknown-fields'] !== true) {
      errors.push(`${where}: must not be empty for specified ${level === 'item' ? 'array items' : 'object fields'}`);
    }
    return;
  }
  if (s.type === 'null') errors.push(`${where}: cannot be null, use nullable`);
  else if (typeof s.type !== 'string' || !TYPES.has(s.type)) errors.push(`${where}: ${JSON.stringify(s.type)} is not a valid type`);
}

function checkAdditionalProperties(s: JsonObject, props: JsonObject | undefined, path: string, errors: string[]): void {
  const extra = s.additionalProperties;
  if (extra === undefined) return;
  const where = `${path || '(root)'}.additionalProperties`;
  if (extra === false) errors.push(`${where}: must not be false`);
  if (props && Object.keys(props).length > 0 && extra !== true) errors.push(`${where}: additionalProperties and properties are mutually exclusive`);
  if (isJsonObject(extra)) checkNode(extra, 'field', `${path}{}`, errors);
}

function checkExtensions(s: JsonObject, path: string, errors: string[]): void {
  const at = (k: string) => `${path || '(root)'}.${k}`;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (s['x-kubernetes-preserve-unknown-fields'] === false) errors.push(`${at('x-kubernetes-preserve-unknown-fields')}: must be true or undefined`);
  if (intOrString && s['x-kubernetes-preserve-unknown-fields'] === true) {
    errors.push(`${at('x-kubernetes-preserve-unknown-fields')}: must be false if x-kubernetes-int-or-string is true`);
  }
  if (intOrString && s.type !== undefined) errors.push(`${at('type')}: must be empty if x-kubernetes-int-or-string is true`);
  if (s['x-kubernetes-embedded-resource'] === true) {
    if (s.type !== 'object') errors.push(`${at('type')}: must be object if x-kubernetes-embedded-resource is true`);
    if (s.additionalProperties !== undefined) errors.push(`${at('additionalProperties')}: must not be used with x-kubernetes-embedded-resource`);
  }
  if (s['x-kubernetes-map-type'] !== undefined && s.type !== 'object') errors.push(`${at('type')}: must be object if x-kubernetes-map-type is set`);
  checkListType(s, path, errors);
  checkCelRules(s['x-kubernetes-validations'], at('x-kubernetes-validations'), errors);
}

function checkListType(s: JsonObject, path: string, errors: string[]): void {
  const at = (k: string) => `${path || '(root)'}.${k}`;
  const listType = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  if (listType === undefined) {
    if (keys !== undefined) errors.push(`${at('x-kubernetes-list-type')}: must be map if x-kubernetes-list-map-keys is set`);
    return;
  }
  if (s.type !== 'array') errors.push(`${at('type')}: must be array if x-kubernetes-list-type is set`);
  const items = isJsonObject(s.items) ? s.items : {};
  if (listType === 'set' && (items.type === 'object' || items.type === 'array') && items['x-kubernetes-map-type'] !== 'atomic' && items['x-kubernetes-list-type'] !== 'atomic') {
    errors.push(`${at('items')}: must be a scalar or atomic for x-kubernetes-list-type set`);
  }
  if (listType === 'map') checkListMapKeys(items, keys, path, errors);
}

function checkListMapKeys(items: JsonObject, keys: unknown, path: string, errors: string[]): void {
  if (!Array.isArray(keys) || keys.length === 0) {
    errors.push(`${path || '(root)'}.x-kubernetes-list-map-keys: must not be empty if x-kubernetes-list-type is map`);
    return;
  }
  const props = isJsonObject(items.properties) ? items.properties : {};
  const required = Array.isArray(items.required) ? items.required : [];
  for (const key of keys as string[]) {
    const prop = props[key];
    if (!isJsonObject(prop)) errors.push(`${path || '(root)'}.x-kubernetes-list-map-keys: ${key} is not a property of the items`);
    else if (!required.includes(key) && prop.default === undefined) errors.push(`${path}[].${key}: a list map key must be required or have a default`);
    else if (prop.nullable === true) errors.push(`${path}[].${key}: a list map key must not be nullable`);
  }
}

function checkCelRules(rules: unknown, where: string, errors: string[]): void {
  if (rules === undefined) return;
  if (!Array.isArray(rules)) {
    errors.push(`${where}: must be a list`);
    return;
  }
  rules.forEach((r, i) => {
    if (!isJsonObject(r) || typeof r.rule !== 'string' || r.rule.trim() === '') errors.push(`${where}[${i}].rule: rule is not specified`);
    else if (r.message !== undefined && (typeof r.message !== 'string' || r.message === '' || /[\r\n]/.test(r.message))) {
      errors.push(`${where}[${i}].message: must be a non-empty single line`);
    } else if (r.message === undefined && /[\r\n]/.test(r.rule)) errors.push(`${where}[${i}].message: required when the rule has line breaks`);
  });
}

/** Go's regexp (RE2) has no lookaround and no backreferences. */
function checkPattern(pattern: unknown, where: string, errors: string[]): void {
  if (pattern === undefined) return;
  if (typeof pattern !== 'string') {
    errors.push(`${where}: must be a string`);
    return;
  }
  try {
    new RegExp(pattern);
  } catch {
    errors.push(`${where}: is not a valid regular expression`);
    return;
  }
  if (/\(\?<?[=!]/.test(pattern) || /\\[1-9]/.test(pattern)) errors.push(`${where}: uses lookaround or a backreference, which Go's RE2 cannot run`);
}

function checkValueValidations(s: JsonObject, path: string, errors: string[]): void {
  const intOrString = isIntOrStringAnyOf(s.anyOf);
  for (const key of COMBINATORS) {
    if (s[key] === undefined) continue;
    if (!Array.isArray(s[key])) {
      errors.push(`${path || '(root)'}.${key}: must be a list`);
      continue;
    }
    if (key === 'anyOf' && intOrString) continue;
    (s[key] as unknown[]).forEach((v, i) => checkNested(v, s, `${path}.${key}[${i}]`, path, errors));
  }
  if (s.not !== undefined) checkNested(s.not, s, `${path}.not`, path, errors);
}

function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return (
    Array.isArray(anyOf) &&
    anyOf.length === 2 &&
    JSON.stringify(anyOf) === JSON.stringify([{ type: 'integer' }, { type: 'string' }])
  );
}

/** A node under anyOf/oneOf/allOf/not: pure value validation over fields the structural node `s` declares. */
function checkNested(v: unknown, s: JsonObject | undefined, vPath: string, sPath: string, errors: string[]): void {
  if (!isJsonObject(v)) {
    errors.push(`${vPath}: must be a schema`);
    return;
  }
  for (const key of Object.keys(v)) {
    if (!VALUE_VALIDATION_KEYWORDS.has(key)) errors.push(`${vPath}.${key}: must not be set in a value validation (anyOf, oneOf, allOf, not)`);
  }
  if (s === undefined) {
    errors.push(`${sPath}: must be specified because ${vPath} validates it`);
    return;
  }
  checkPattern(v.pattern, `${vPath}.pattern`, errors);
  checkNestedChildren(v, s, vPath, sPath, errors);
}

/** Completeness: every field a value validation names must be declared by the structural node. */
function checkNestedChildren(v: JsonObject, s: JsonObject, vPath: string, sPath: string, errors: string[]): void {
  const sProps = isJsonObject(s.properties) ? s.properties : {};
  for (const [name, child] of Object.entries(isJsonObject(v.properties) ? v.properties : {})) {
    if (name === 'metadata') errors.push(`${vPath}.metadata: must not be specified in a nested context`);
    const target = sProps[name];
    checkNested(child, isJsonObject(target) ? target : undefined, `${vPath}.${name}`, `${sPath}.${name}`, errors);
  }
  if (v.items !== undefined) checkNested(v.items, isJsonObject(s.items) ? s.items : undefined, `${vPath}[]`, `${sPath}[]`, errors);
  for (const name of Array.isArray(v.required) ? (v.required as string[]) : []) {
    // Stricter than the apiserver, which accepts a requirement that can never be met.
    if (!(name in sProps)) errors.push(`${sPath}.${name}: must be specified because ${vPath} requires it`);
  }
  for (const key of COMBINATORS) {
    if (Array.isArray(v[key])) (v[key] as unknown[]).forEach((n, i) => checkNested(n, s, `${vPath}.${key}[${i}]`, sPath, errors));
  }
  if (v.not !== undefined) checkNested(v.not, s, `${vPath}.not`, sPath, errors);
}
