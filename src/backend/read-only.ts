/**
 * A read-only view of a Storage, for commands that must not change a repository (check,
 * restore, mount): every write is refused with STORAGE_PERMISSION before it reaches the
 * backend, so a bug upstream cannot modify the repository.
 */
import { HoldfastError } from '../core/errors.ts';
import { describeHandle, type Storage } from './storage.ts';

export function readOnly(storage: Storage): Storage {
  const refuse = (what: string): Promise<never> =>
    Promise.reject(
      new HoldfastError('STORAGE_PERMISSION', `cannot ${what} in ${storage.location}: the repository is opened read-only`),
    );
  return {
    location: storage.location,
    get: (h, range, into) => storage.get(h, range, into),
    ...(storage.getStream ? { getStream: storage.getStream.bind(storage) } : {}),
    stat: (h) => storage.stat(h),
    list: (type) => storage.list(type),
    exists: () => storage.exists(),
    close: () => storage.close(),
    create: () => refuse('create a repository'),
    put: (h) => refuse(`write ${describeHandle(h)}`),
    delete: (h) => refuse(`delete ${describeHandle(h)}`),
  };
}
