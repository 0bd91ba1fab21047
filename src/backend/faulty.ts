/**
 * Fault injection for tests (after kopia's blobtesting/faulty.go). Wraps any Storage; each
 * get/put/delete/list/stat call applies the first rule that matches its operation, type and
 * name and still has firings left. Rules compose by order: "fail twice, then be slow" is a
 * `fail` rule with `times: 2` followed by a `delay` rule.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { HoldfastError, type ErrorCode } from '../core/errors.ts';
import type { ByteRange, ObjectHandle, ObjectInfo, ObjectType, Storage } from './storage.ts';

export type FaultOperation = 'get' | 'put' | 'delete' | 'list' | 'stat';

export type FaultAction =
  /** Throw before the operation reaches the storage (a put writes nothing). */
  | { readonly kind: 'fail'; readonly error: HoldfastError }
  /** Run the operation, then throw (a put is stored but the caller sees an error; a list yields everything first). */
  | { readonly kind: 'fail-after'; readonly error: HoldfastError }
  /** Wait, then run the operation normally. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** A get returns at most `length` bytes, as a short read from a broken backend would. */
  | { readonly kind: 'truncate'; readonly length: number };

export interface FaultRule {
  readonly op: FaultOperation;
  readonly type?: ObjectType;
  /** Restricts the rule to matching names; such a rule never matches `list`. */
  readonly name?: (name: string) => boolean;
  /** Calls the rule fires on before it is spent; unlimited by default. */
  readonly times?: number;
  readonly action: FaultAction;
}

export interface FaultyOptions {
  /** Used by `delay` actions; real time by default. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function transientFault(message = 'injected transient fault'): HoldfastError {
  return new HoldfastError('STORAGE_TRANSIENT', message, { cause: new Error('fault injection') });
}

export function permanentFault(code: ErrorCode = 'STORAGE_IO', message = 'injected permanent fault'): HoldfastError {
  return new HoldfastError(code, message, { cause: new Error('fault injection') });
}

interface ActiveRule {
  readonly rule: FaultRule;
  left: number;
}

export class FaultyStorage implements Storage {
  readonly location: string;
  readonly #inner: Storage;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #rules: ActiveRule[] = [];
  readonly #calls = new Map<FaultOperation, number>();
  /** The storage's own, without faults. */
  readonly removeStaleTempFiles?: (modifiedBefore: Date) => Promise<number>;

  constructor(inner: Storage, rules: readonly FaultRule[] = [], options: FaultyOptions = {}) {
    this.#inner = inner;
    this.location = inner.location;
    if (inner.removeStaleTempFiles) this.removeStaleTempFiles = inner.removeStaleTempFiles.bind(inner);
    this.#sleep = options.sleep ?? ((ms) => sleepMs(ms));
    for (const rule of rules) this.addRule(rule);
  }

  addRule(rule: FaultRule): this {
    this.#rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  clearRules(): void {
    this.#rules.length = 0;
  }

  /** How many times `op` was called on this wrapper, faulted or not. */
  calls(op: FaultOperation): number {
    return this.#calls.get(op) ?? 0;
  }

  async get(handle: ObjectHandle, range?: ByteRange, into?: Uint8Array): Promise<Buffer> {
    const action = await this.#enter('get', handle.type, handle.name);
    const data = await this.#inner.get(handle, range, into);
    failAfter(action);
    return action?.kind === 'truncate' ? data.subarray(0, action.length) : data;
  }

  async stat(handle: ObjectHandle): Promise<ObjectInfo> {
    const action = await this.#enter('stat', handle.type, handle.name);
    const info = await this.#inner.stat(handle);
    failAfter(action);
    return info;
  }

  async *list(type: ObjectType): AsyncIterable<ObjectInfo> {
    const action = await this.#enter('list', type, undefined);
    yield* this.#inner.list(type);
    failAfter(action);
  }

  async put(handle: ObjectHandle, data: Uint8Array): Promise<void> {
    const action = await this.#enter('put', handle.type, handle.name);
    await this.#inner.put(handle, data);
    failAfter(action);
  }

  async delete(handle: ObjectHandle): Promise<void> {
    const action = await this.#enter('delete', handle.type, handle.name);
    await this.#inner.delete(handle);
    failAfter(action);
  }

  create(): Promise<void> {
    return this.#inner.create();
  }

  exists(): Promise<boolean> {
    return this.#inner.exists();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** Counts the call, fires the matching rule's before-part, returns the action for the after-part. */
  async #enter(op: FaultOperation, type: ObjectType, name: string | undefined): Promise<FaultAction | undefined> {
    this.#calls.set(op, this.calls(op) + 1);
    const active = this.#rules.find((r) => r.left > 0 && matches(r.rule, op, type, name));
    if (active === undefined) return undefined;
    active.left--;
    const action = active.rule.action;
    if (action.kind === 'delay') await this.#sleep(action.ms);
    if (action.kind === 'fail') throw action.error;
    return action;
  }
}

function matches(rule: FaultRule, op: FaultOperation, type: ObjectType, name: string | undefined): boolean {
  if (rule.op !== op || (rule.type !== undefined && rule.type !== type)) return false;
  return rule.name === undefined || (name !== undefined && rule.name(name));
}

function failAfter(action: FaultAction | undefined): void {
  if (action?.kind === 'fail-after') throw action.error;
}
