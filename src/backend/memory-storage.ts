/**
 * In-memory Storage for unit tests of upper layers ONLY: fast, and it checks names and
 * ranges like the real backends, but nothing is durable and memory grows with every put.
 * Never wire it into a command or the operator; production storage is `fs/` or `s3/`.
 */
import { HoldfastError } from '../core/errors.ts';
import { checkHandle, checkRange } from './object-handle.ts';
import {
  describeHandle,
  type ByteRange,
  type ObjectHandle,
  type ObjectInfo,
  type ObjectType,
  type Storage,
} from './storage.ts';

export class MemoryStorage implements Storage {
  readonly location: string;
  readonly #objects = new Map<ObjectType, Map<string, Buffer>>();

  constructor(location = 'memory:') {
    this.location = location;
  }

  async create(): Promise<void> {}

  async exists(): Promise<boolean> {
    return this.#folder('config').has('config');
  }

  async get(handle: ObjectHandle, range?: ByteRange): Promise<Buffer> {
    checkHandle(handle);
    checkRange(handle, range);
    const stored = this.#find(handle, 'read');
    const bytes = range === undefined ? stored : stored.subarray(range.offset, range.offset + range.length);
    return Buffer.from(bytes);
  }

  async stat(handle: ObjectHandle): Promise<ObjectInfo> {
    checkHandle(handle);
    return { name: keyOf(handle), size: this.#find(handle, 'stat').byteLength };
  }

  async *list(type: ObjectType): AsyncIterable<ObjectInfo> {
    const entries = [...this.#folder(type)].map(([name, data]) => ({ name, size: data.byteLength }));
    yield* entries;
  }

  async put(handle: ObjectHandle, data: Uint8Array): Promise<void> {
    checkHandle(handle);
    this.#folder(handle.type).set(keyOf(handle), Buffer.from(data));
  }

  async delete(handle: ObjectHandle): Promise<void> {
    checkHandle(handle);
    this.#folder(handle.type).delete(keyOf(handle));
  }

  async close(): Promise<void> {}

  #find(handle: ObjectHandle, op: 'read' | 'stat'): Buffer {
    const stored = this.#folder(handle.type).get(keyOf(handle));
    if (stored === undefined) {
      throw new HoldfastError('OBJECT_NOT_FOUND', `cannot ${op} ${describeHandle(handle)} in ${this.location}: not found`);
    }
    return stored;
  }

  #folder(type: ObjectType): Map<string, Buffer> {
    let folder = this.#objects.get(type);
    if (folder === undefined) {
      folder = new Map();
      this.#objects.set(type, folder);
    }
    return folder;
  }
}

function keyOf(handle: ObjectHandle): string {
  return handle.type === 'config' ? 'config' : handle.name;
}
