/**
 * Retry as a wrapper around any Storage (after restic's backend/retry): only errors that
 * `isRetryable` classifies as transient are retried, with exponential backoff and full
 * jitter (each wait is uniform in [0, min(maxDelayMs, baseDelayMs · 2^(retry-1)))) so many
 * clients hitting one server do not retry in lockstep. Puts are safe to retry because they
 * replace atomically; a retried listing skips names it already yielded.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { HoldfastError, isHoldfastError, isRetryable } from '../core/errors.ts';
import { describeHandle, type FileSource, type ObjectHandle, type ObjectInfo, type ObjectType, type Storage } from './storage.ts';

export interface RetryEvent {
  /** What was tried, e.g. `get data/ab12…`. */
  readonly operation: string;
  /** The attempt that just failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: HoldfastError;
}

export interface RetryOptions {
  /** Tries per call, the first included; 1 disables retrying. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Uniform in [0, 1); `Math.random` by default. */
  readonly random?: () => number;
}

interface Policy extends Required<Omit<RetryOptions, 'onRetry'>> {
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
}

export function withRetry(storage: Storage, options: RetryOptions): Storage {
  const policy = resolvePolicy(options);
  const retry = <T>(operation: string, fn: () => Promise<T>): Promise<T> => retrying(operation, fn, policy);
  const files = storage.files;
  const sweep = storage.removeStaleTempFiles?.bind(storage);
  const stream = storage.getStream?.bind(storage);
  return {
    location: storage.location,
    ...(storage.concurrency !== undefined ? { concurrency: storage.concurrency } : {}),
    ...(files ? { files: { tempPath: () => files.tempPath(), putFile: (h, path, size) => retry(`put ${describeHandle(h)}`, () => files.putFile(h, path, size)) } satisfies FileSource } : {}),
    create: () => retry('create', () => storage.create()),
    exists: () => retry('exists', () => storage.exists()),
    get: (h, range, into) => retry(`get ${describeHandle(h)}`, () => storage.get(h, range, into)),
    ...(stream ? { getStream: (h: ObjectHandle) => streamWithRetry(stream, h, policy) } : {}),
    stat: (h) => retry(`stat ${describeHandle(h)}`, () => storage.stat(h)),
    list: (type) => listWithRetry(storage, type, policy),
    put: (h, data) => retry(`put ${describeHandle(h)}`, () => storage.put(h, data)),
    delete: (h) => retry(`delete ${describeHandle(h)}`, () => storage.delete(h)),
    ...(sweep ? { removeStaleTempFiles: (before: Date) => retry('remove stale temporary files', () => sweep(before)) } : {}),
    close: () => storage.close(),
  };
}

/** The wait before retry number `retry` (1 for the first retry). */
export function backoffDelayMs(retry: number, options: RetryOptions): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

function resolvePolicy(options: RetryOptions): Policy {
  const { attempts, baseDelayMs, maxDelayMs } = options;
  if (!Number.isSafeInteger(attempts) || attempts < 1 || baseDelayMs < 0 || maxDelayMs < baseDelayMs) {
    throw new HoldfastError(
      'INTERNAL',
      `invalid retry options attempts=${attempts} baseDelayMs=${baseDelayMs} maxDelayMs=${maxDelayMs}`,
    );
  }
  return {
    attempts,
    baseDelayMs,
    maxDelayMs,
    sleep: options.sleep ?? ((ms) => sleepMs(ms)),
    onRetry: options.onRetry,
    random: options.random ?? Math.random,
  };
}

async function retrying<T>(operation: string, fn: () => Promise<T>, policy: Policy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      await pauseOrThrow(operation, attempt, err, policy);
    }
  }
}

async function* listWithRetry(storage: Storage, type: ObjectType, policy: Policy): AsyncIterable<ObjectInfo> {
  const seen = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    try {
      for await (const info of storage.list(type)) {
        if (seen.has(info.name)) continue;
        seen.add(info.name);
        yield info;
      }
      return;
    } catch (err) {
      await pauseOrThrow(`list ${type}`, attempt, err, policy);
    }
  }
}

/**
 * A stream that starts again after a transient failure and skips the bytes it already
 * yielded (as a retried listing skips names), so its reader sees each byte once.
 */
async function* streamWithRetry(stream: (handle: ObjectHandle) => AsyncIterable<Uint8Array>, handle: ObjectHandle, policy: Policy): AsyncIterable<Uint8Array> {
  let done = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      let at = 0;
      for await (const chunk of stream(handle)) {
        const skip = Math.min(Math.max(done - at, 0), chunk.byteLength);
        at += chunk.byteLength;
        if (skip === chunk.byteLength) continue;
        done += chunk.byteLength - skip;
        yield skip > 0 ? chunk.subarray(skip) : chunk;
      }
      return;
    } catch (err) {
      await pauseOrThrow(`get ${describeHandle(handle)}`, attempt, err, policy);
    }
  }
}

async function pauseOrThrow(operation: string, attempt: number, err: unknown, policy: Policy): Promise<void> {
  if (!isHoldfastError(err) || !isRetryable(err)) throw err;
  if (attempt >= policy.attempts) {
    if (attempt === 1) throw err;
    throw new HoldfastError(err.code, `${err.message} (gave up after ${attempt} attempts)`, { cause: err });
  }
  const delayMs = backoffDelayMs(attempt, policy);
  policy.onRetry?.({ operation, attempt, delayMs, error: err });
  await policy.sleep(delayMs);
}
