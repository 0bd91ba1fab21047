/**
 * RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over RFC 6901 JSON
 * pointers. A patch applies to a copy and is all-or-nothing: the first operation that
 * cannot apply fails the whole patch with a message naming the operation and path.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { JsonPatchOperation } from '../api/transforms.ts';
import { isRecord } from './types.ts';

type Json = unknown;
type Container = Record<string, Json> | Json[];

function fail(index: number, op: JsonPatchOperation, why: string): never {
  throw new HoldfastError('CONFIG_INVALID', `JSON patch operation ${index + 1} (${op.op} ${op.path}): ${why}`);
}

/** Splits a JSON pointer into its unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new HoldfastError('CONFIG_INVALID', `"${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const index = Number(token);
  return index < length || (allowEnd && index === length) ? index : undefined;
}

function child(node: Json, token: string): Json {
  if (Array.isArray(node)) {
    const i = arrayIndex(token, node.length, false);
    return i === undefined ? undefined : node[i];
  }
  return isRecord(node) && Object.hasOwn(node, token) ? node[token] : undefined;
}

function has(node: Json, token: string): boolean {
  if (Array.isArray(node)) return arrayIndex(token, node.length, false) !== undefined;
  return isRecord(node) && Object.hasOwn(node, token);
}

/** The container holding the pointer's last token, and that token. */
function locate(doc: Json, tokens: readonly string[]): { parent: Container; last: string } | undefined {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (!has(node, token)) return undefined;
    node = child(node, token);
  }
  const last = tokens.at(-1);
  return last !== undefined && (Array.isArray(node) || isRecord(node)) ? { parent: node, last } : undefined;
}

export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function getAt(doc: Json, pointer: string): { found: boolean; value: Json } {
  let node = doc;
  for (const token of parsePointer(pointer)) {
    if (!has(node, token)) return { found: false, value: undefined };
    node = child(node, token);
  }
  return { found: true, value: node };
}

function addAt(doc: Json, pointer: string, value: Json): Json | string {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return { value };
  const at = locate(doc, tokens);
  if (at === undefined) return 'the parent does not exist';
  if (Array.isArray(at.parent)) {
    const i = arrayIndex(at.last, at.parent.length, true);
    if (i === undefined) return 'array index out of range';
    at.parent.splice(i, 0, value);
  } else {
    at.parent[at.last] = value;
  }
  return undefined;
}

function removeAt(doc: Json, pointer: string): string | undefined {
  const at = locate(doc, parsePointer(pointer));
  if (at === undefined || !has(at.parent, at.last)) return 'nothing at the path';
  if (Array.isArray(at.parent)) at.parent.splice(Number(at.last), 1);
  else delete at.parent[at.last];
  return undefined;
}

interface Step {
  doc: Json;
  error?: string;
}

function applyOne(doc: Json, op: JsonPatchOperation): Step {
  const add = (d: Json, path: string, value: Json): Step => {
    const r = addAt(d, path, structuredClone(value));
    if (typeof r === 'string') return { doc: d, error: r };
    return { doc: isRecord(r) && parsePointer(path).length === 0 ? r.value : d };
  };
  switch (op.op) {
    case 'add':
      return add(doc, op.path, op.value);
    case 'remove': {
      if (op.path === '') return { doc, error: 'cannot remove the whole document' };
      return { doc, error: removeAt(doc, op.path) };
    }
    case 'replace': {
      if (!getAt(doc, op.path).found) return { doc, error: 'nothing at the path' };
      if (op.path !== '') removeAt(doc, op.path);
      return add(doc, op.path, op.value);
    }
    case 'test':
      return jsonEqual(getAt(doc, op.path).value, op.value) && getAt(doc, op.path).found ? { doc } : { doc, error: 'the value differs' };
    default:
      return moveOrCopy(doc, op, add);
  }
}

function moveOrCopy(doc: Json, op: JsonPatchOperation, add: (d: Json, path: string, value: Json) => Step): Step {
  const from = op.from ?? '';
  const source = getAt(doc, from);
  if (!source.found) return { doc, error: `nothing at from ${from}` };
  if (op.op === 'copy') return add(doc, op.path, source.value);
  if (op.path === from) return { doc };
  if (op.path.startsWith(`${from}/`)) return { doc, error: 'cannot move a value into itself' };
  if (from === '') return { doc, error: 'cannot move the whole document' };
  removeAt(doc, from);
  return add(doc, op.path, source.value);
}

/** The document after the operations, or a CONFIG_INVALID HoldfastError; `doc` itself is left unchanged. */
export function applyJsonPatch<T>(doc: T, operations: readonly JsonPatchOperation[]): T {
  let current: Json = structuredClone(doc);
  operations.forEach((op, index) => {
    if (op.op !== 'remove' && op.op !== 'move' && op.op !== 'copy' && op.value === undefined) fail(index, op, 'value is required');
    const step = applyOne(current, op);
    if (step.error !== undefined) fail(index, op, step.error);
    current = step.doc;
  });
  return current as T;
}
