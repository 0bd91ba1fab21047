/**
 * Turns a repository location into a Storage. A plain path or `local:/path` is the
 * filesystem backend; other schemes are rejected with a message naming what is known.
 */
import { resolve } from 'node:path';
import { HoldfastError } from '../core/errors.ts';
import { FsStorage } from './fs/fs-storage.ts';
import { withRetry } from './retry.ts';
import type { Storage } from './storage.ts';

export function openStorage(location: string): Storage {
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\/\/?[^/]*\\)/.exec(location)?.[1];
  if (scheme === undefined || location.startsWith('/') || location.startsWith('.')) return retrying(new FsStorage(resolve(location)));
  if (scheme === 'local') return retrying(new FsStorage(resolve(location.slice('local:'.length))));
  throw new HoldfastError('CONFIG_INVALID', `unknown repository location '${location}': use a path or local:/path`);
}

function retrying(storage: Storage): Storage {
  return withRetry(storage, { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 });
}
