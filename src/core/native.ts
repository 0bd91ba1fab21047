/**
 * The project's own addon (`native/`, built by npm install through node-gyp), for the
 * callers that need some of its functions. It is optional: where it was not built, or
 * lacks one of them (an older build, or a node without zstd's symbols), the caller takes
 * its TypeScript or worker-thread path.
 */
import { createRequire } from 'node:module';

/** The addon when it has every function named, else undefined. */
export function nativeWith<T extends object>(...names: ReadonlyArray<keyof T & string>): T | undefined {
  let addon: Record<string, unknown>;
  try {
    addon = createRequire(import.meta.url)('holdfast-native') as Record<string, unknown>;
  } catch {
    return undefined;
  }
  return names.every((name) => typeof addon[name] === 'function') ? (addon as T) : undefined;
}
