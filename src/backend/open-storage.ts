/**
 * Turns a repository location into a Storage wrapped in retries. A plain path or
 * `local:/path` is the filesystem backend; `s3:…` is S3-compatible object storage (see
 * s3/s3-location.ts for the forms); other schemes are rejected with a message naming
 * what is known.
 */
import { resolve } from 'node:path';
import { HoldfastError } from '../core/errors.ts';
import { FsStorage } from './fs/fs-storage.ts';
import { withRetry, type RetryEvent } from './retry.ts';
import { isS3Location, parseS3Location } from './s3/s3-location.ts';
import { lazyS3Storage } from './s3/lazy-s3.ts';
import type { S3Options } from './s3/s3-storage.ts';
import type { Storage } from './storage.ts';

export interface OpenStorageOptions {
  readonly s3?: S3Options;
  readonly onRetry?: (event: RetryEvent) => void;
}

export function openStorage(location: string, options: OpenStorageOptions = {}): Storage {
  return withRetry(openBackend(location, options), {
    attempts: 6,
    baseDelayMs: 200,
    maxDelayMs: 10_000,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
}

/** Whether the location is remote storage, where a local cache of what is read again pays off. */
export function isRemoteLocation(location: string): boolean {
  return isS3Location(location);
}

function openBackend(location: string, options: OpenStorageOptions): Storage {
  if (isS3Location(location)) return lazyS3Storage(parseS3Location(location), options.s3);
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\/\/?[^/]*\\)/.exec(location)?.[1];
  if (scheme === undefined || location.startsWith('/') || location.startsWith('.')) return new FsStorage(resolve(location));
  if (scheme === 'local') return new FsStorage(resolve(location.slice('local:'.length)));
  throw new HoldfastError('CONFIG_INVALID', `unknown repository location '${location}': use a path, local:/path or s3:https://host/bucket/prefix`);
}
