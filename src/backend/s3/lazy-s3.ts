/**
 * Opens S3 storage without loading the AWS SDK until the first call: the SDK costs
 * ~0.1 s and ~30 MB at start-up, which local-disk commands should not pay.
 */
import type { ByteRange, ObjectHandle, ObjectInfo, ObjectType, Storage } from '../storage.ts';
import { localTempPath, removeStaleLocalTempFiles } from '../local-temp.ts';
import { describeS3Location, type S3Location } from './s3-location.ts';
import type { S3Options, S3Storage } from './s3-storage.ts';

/** The S3 client's default connection limit (see s3-storage.ts). */
const DEFAULT_CONNECTIONS = 16;

export function lazyS3Storage(loc: S3Location, options: S3Options = {}): Storage {
  let inner: Promise<S3Storage> | undefined;
  const open = (): Promise<S3Storage> => (inner ??= import('./s3-storage.ts').then((m) => new m.S3Storage(loc, options)));
  return {
    location: describeS3Location(loc),
    concurrency: options.connections ?? DEFAULT_CONNECTIONS,
    create: async () => (await open()).create(),
    exists: async () => (await open()).exists(),
    get: async (h: ObjectHandle, range?: ByteRange) => (await open()).get(h, range),
    getStream: async function* (h: ObjectHandle) {
      yield* (await open()).getStream(h);
    },
    stat: async (h: ObjectHandle) => (await open()).stat(h),
    put: async (h: ObjectHandle, data: Uint8Array) => (await open()).put(h, data),
    files: { tempPath: localTempPath, putFile: async (h: ObjectHandle, path: string, size: number) => (await open()).files.putFile(h, path, size) },
    delete: async (h: ObjectHandle) => (await open()).delete(h),
    removeStaleTempFiles: (modifiedBefore: Date) => removeStaleLocalTempFiles(modifiedBefore),
    list: (type: ObjectType): AsyncIterable<ObjectInfo> => ({
      async *[Symbol.asyncIterator]() {
        yield* (await open()).list(type);
      },
    }),
    close: async () => {
      if (inner) await (await inner).close();
    },
  };
}
