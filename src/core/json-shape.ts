/**
 * Checks of untrusted JSON, written by hand, for the repository's own objects (trees,
 * snapshots, locks, the config, key slots). Every engine command reads some of them, and
 * a schema library costs ~17 MB resident and ~80 ms to load: more than half of what
 * restic's whole unchanged re-backup uses. (Kubernetes resources keep zod, where one
 * schema also makes the CRD.)
 *
 * Each check returns the value with its type or throws a `ShapeError` naming the path
 * (`nodes[3].mode: expected an integer >= 0, got -1`); `readShape` turns that into the
 * caller's REPO_CORRUPT message.
 */
import { HoldfastError } from './errors.ts';
import { isId, type Id } from './ids.ts';

export class ShapeError extends Error {}

/** A check of one value at `path`. */
export type Check<T> = (value: unknown, path: string) => T;

function fail(path: string, expected: string, value: unknown): never {
  const got = value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 40) ?? typeof value;
  throw new ShapeError(`${path}: expected ${expected}, got ${got}`);
}

/** Runs `read`; a ShapeError becomes REPO_CORRUPT `${what}: …`. */
export function readShape<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ShapeError) throw new HoldfastError('REPO_CORRUPT', `${what}: ${err.message}`);
    throw err;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object with no keys but `known`. */
export function fields(value: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (!isRecord(value)) fail(path, 'an object', value);
  for (const key of Object.keys(value)) if (!known.includes(key)) throw new ShapeError(`${path}: unexpected key "${key}"`);
  return value;
}

export function text(value: unknown, path: string, opts: { max?: number; pattern?: RegExp; what?: string } = {}): string {
  if (typeof value !== 'string') fail(path, 'a string', value);
  if (opts.max !== undefined && value.length > opts.max) fail(path, `at most ${opts.max} characters`, value);
  if (opts.pattern && !opts.pattern.test(value)) fail(path, opts.what ?? `a string matching ${opts.pattern}`, value);
  return value;
}

export function integer(value: unknown, path: string, opts: { min?: number; max?: number } = {}): number {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = opts;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    fail(path, `an integer${opts.min !== undefined ? ` >= ${min}` : ''}${opts.max !== undefined ? ` <= ${max}` : ''}`, value);
  }
  return value as number;
}

export function number(value: unknown, path: string, opts: { min?: number } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (opts.min !== undefined && value < opts.min)) {
    fail(path, `a number${opts.min !== undefined ? ` >= ${opts.min}` : ''}`, value);
  }
  return value;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
}

export function oneOf<T extends string | number>(value: unknown, path: string, values: readonly T[]): T {
  if (!values.includes(value as T)) fail(path, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, value);
  return value as T;
}

export function list<T>(value: unknown, path: string, item: Check<T>, opts: { min?: number } = {}): T[] {
  if (!Array.isArray(value)) fail(path, 'a list', value);
  if (opts.min !== undefined && value.length < opts.min) fail(path, `at least ${opts.min} item(s)`, value);
  return value.map((v, i) => item(v, `${path}[${i}]`));
}

/** `check` of the value, or undefined when it is absent. */
export function optional<T>(value: unknown, path: string, check: Check<T>): T | undefined {
  return value === undefined ? undefined : check(value, path);
}

export function stringMap(value: unknown, path: string): Record<string, string> {
  if (!isRecord(value)) fail(path, 'an object', value);
  for (const [k, v] of Object.entries(value)) text(v, `${path}.${k}`);
  return { ...(value as Record<string, string>) };
}

export function hexId(value: unknown, path: string): Id {
  const s = text(value, path);
  if (!isId(s)) fail(path, 'a 64-digit hex id', value);
  return s;
}
