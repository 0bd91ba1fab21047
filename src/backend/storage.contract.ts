/**
 * The one conformance suite every Storage implementation runs (after restic's
 * backend/test/suite.go and Hono's common.case.test.ts). Each point of the contract in
 * `storage.ts` has a case here; an implementation's test file calls `storageContract`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, type TestContext } from 'node:test';
import { isHoldfastError, type ErrorCode } from '../core/errors.ts';
import { randomId } from '../core/ids.ts';
import type { ObjectHandle, ObjectInfo, ObjectType, Storage } from './storage.ts';

export interface StorageFixture {
  /** A storage at an empty location on which `create()` has not been called. */
  readonly storage: Storage;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;
const NAMED_TYPES: readonly Exclude<ObjectType, 'config'>[] = ['keys', 'data', 'index', 'snapshots', 'locks'];

const data = (name = randomId()): ObjectHandle => ({ type: 'data', name });

function pattern(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
}

async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, mentions?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isHoldfastError(err, code), `expected ${code}, got ${String(err)}`);
    if (mentions !== undefined) assert.ok(err.message.includes(mentions), `"${err.message}" lacks "${mentions}"`);
    return true;
  });
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export function storageContract(name: string, make: () => Promise<StorageFixture>): void {
  describe(`Storage contract: ${name}`, () => {
    let fixture: StorageFixture;
    let s: Storage;

    beforeEach(async () => {
      fixture = await make();
      s = fixture.storage;
      await s.create();
    });

    afterEach(async () => {
      await s.close();
      await fixture.cleanup();
    });

    describe('put and get', () => {
      it('round-trips an object of every type', async () => {
        for (const type of [...NAMED_TYPES, 'config'] as const) {
          const handle = type === 'data' ? data() : { type, name: type === 'config' ? 'config' : `${type}-1` };
          const bytes = randomBytes(1000);
          await s.put(handle, bytes);
          assert.ok((await s.get(handle)).equals(bytes), `${type} round-trip`);
        }
      });

      it('round-trips an empty object', async () => {
        const h = data();
        await s.put(h, new Uint8Array(0));
        assert.equal((await s.get(h)).length, 0);
        assert.equal((await s.stat(h)).size, 0);
      });

      it('round-trips a 20 MiB object', async () => {
        const h = data();
        const bytes = randomBytes(20 * MiB);
        await s.put(h, bytes);
        assert.ok((await s.get(h)).equals(bytes));
        assert.equal((await s.stat(h)).size, 20 * MiB);
      });

      it('writes exactly the bytes of a view into a larger buffer', async () => {
        const h = data();
        const whole = pattern(1000);
        await s.put(h, whole.subarray(100, 300));
        assert.ok((await s.get(h)).equals(whole.subarray(100, 300)));
      });

      it('get with a buffer to read into returns the same bytes, in it when it fits', async () => {
        const h = data();
        const bytes = pattern(5000);
        await s.put(h, bytes);
        const room = new Uint8Array(new SharedArrayBuffer(8192));
        const got = await s.get(h, undefined, room);
        assert.ok(got.equals(bytes));
        if (got.buffer === room.buffer) assert.equal(got.byteOffset, 0, 'a view of the buffer from its start');
        const small = new Uint8Array(100);
        assert.ok((await s.get(h, undefined, small)).equals(bytes), 'a buffer too small is not used');
        assert.ok((await s.get(h, { offset: 10, length: 20 }, room)).equals(bytes.subarray(10, 30)), 'a range reads the range');
      });

      it('keeps no reference to the caller’s buffers', async () => {
        const h = data();
        const bytes = pattern(100);
        await s.put(h, bytes);
        bytes.fill(0);
        const first = await s.get(h);
        first.fill(1);
        assert.ok((await s.get(h)).equals(pattern(100)));
      });

      it('replaces an object put again under the same name', async () => {
        const h = data();
        await s.put(h, pattern(5000));
        await s.put(h, Buffer.from('short'));
        assert.equal((await s.get(h)).toString(), 'short');
        assert.equal((await s.stat(h)).size, 5);
      });

      it('ignores the name of the config handle', async () => {
        await s.put({ type: 'config', name: '' }, Buffer.from('cfg'));
        assert.equal((await s.get({ type: 'config', name: 'anything' })).toString(), 'cfg');
      });

      it('stores concurrent puts of different names', async () => {
        const handles = Array.from({ length: 64 }, () => data());
        await Promise.all(handles.map((h, i) => s.put(h, Buffer.from(`object ${i}`))));
        const read = await Promise.all(handles.map((h) => s.get(h)));
        read.forEach((bytes, i) => assert.equal(bytes.toString(), `object ${i}`));
      });

      it('leaves one whole version after concurrent puts of one name', async () => {
        const h = data();
        const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, i));
        await Promise.all(versions.map((v) => s.put(h, v)));
        const got = await s.get(h);
        assert.ok(versions.some((v) => v.equals(got)), 'content is one of the versions, whole');
      });
    });

    describe('putFile (storages with a FileSource)', () => {
      /** Writes `bytes` to a fresh temporary path of the storage; removed after the test. */
      async function tempFile(t: TestContext, bytes: Uint8Array): Promise<string | undefined> {
        if (!s.files) {
          t.skip('this storage has no FileSource');
          return undefined;
        }
        const path = s.files.tempPath();
        await writeFile(path, bytes);
        t.after(() => rm(path, { force: true }));
        return path;
      }

      const sizes = [{ title: 'an empty file', size: 0 }, { title: 'a 1 MiB file', size: MiB }, { title: 'a 20 MiB file', size: 20 * MiB }];
      for (const c of sizes) {
        it(`stores ${c.title}, leaves the file, and does not list it`, async (t) => {
          const bytes = randomBytes(c.size);
          const path = await tempFile(t, bytes);
          if (!path || !s.files) return;
          const h = data();
          await s.files.putFile(h, path, c.size);
          assert.ok((await s.get(h)).equals(bytes));
          assert.ok((await readFile(path)).equals(bytes), 'the file is left as it was');
          assert.deepEqual(await collect(s.list('data')), [{ name: h.name, size: c.size }]);
        });
      }

      it('replaces an object, and a later change to the file does not reach the stored object', async (t) => {
        const path = await tempFile(t, pattern(5000));
        if (!path || !s.files) return;
        const h = data();
        await s.put(h, Buffer.from('old'));
        await s.files.putFile(h, path, 5000);
        await rm(path);
        await writeFile(path, Buffer.from('changed'));
        assert.ok((await s.get(h)).equals(pattern(5000)));
      });

      it('stores a file from another folder', async (t) => {
        if (!s.files) return t.skip('this storage has no FileSource');
        const dir = await mkdtemp(join(tmpdir(), 'holdfast-contract-'));
        t.after(() => rm(dir, { recursive: true, force: true }));
        const path = join(dir, 'pack');
        await writeFile(path, pattern(3000));
        const h = data();
        await s.files.putFile(h, path, 3000);
        assert.ok((await s.get(h)).equals(pattern(3000)));
      });

      it('fails naming the object when the file is missing', async (t) => {
        if (!s.files) return t.skip('this storage has no FileSource');
        const h = data();
        await assert.rejects(s.files.putFile(h, s.files.tempPath(), 10), (err: unknown) => isHoldfastError(err) && err.message.includes(h.name));
        await rejectsWith(s.get(h), 'OBJECT_NOT_FOUND');
      });
    });

    describe('removeStaleTempFiles (storages that keep temporary files)', () => {
      it('removes a file named from tempPath() untouched since before the cutoff, keeps a fresh one and the objects', async (t) => {
        if (!s.removeStaleTempFiles || !s.files) return t.skip('this storage keeps no temporary files');
        const [stale, live] = [`${s.files.tempPath()}-w1-2`, s.files.tempPath()];
        t.after(() => Promise.all([rm(stale, { force: true }), rm(live, { force: true })]));
        await writeFile(stale, pattern(100));
        await writeFile(live, pattern(100));
        const dayAgo = new Date(Date.now() - 24 * 3600_000);
        await utimes(stale, dayAgo, dayAgo);
        const h = data();
        await s.put(h, Buffer.from('kept'));
        // At least ours: a storage whose temporary folder is shared may find others' leftovers too.
        assert.ok((await s.removeStaleTempFiles(new Date(Date.now() - 3600_000))) >= 1);
        await assert.rejects(access(stale), 'the stale file is gone');
        await access(live);
        assert.equal((await s.get(h)).toString(), 'kept');
      });
    });

    describe('getStream (storages that stream)', () => {
      const streamed = async (stream: (h: ObjectHandle) => AsyncIterable<Uint8Array>, handle: ObjectHandle): Promise<Buffer> => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of stream(handle)) chunks.push(chunk);
        return Buffer.concat(chunks);
      };

      it('yields the bytes of a 20 MiB object and of an empty one, in order', async (t) => {
        if (!s.getStream) return t.skip('this storage has no getStream');
        const stream = s.getStream.bind(s);
        const big = randomBytes(20 * MiB);
        const [h, empty] = [data(), data()];
        await s.put(h, big);
        await s.put(empty, new Uint8Array(0));
        assert.ok((await streamed(stream, h)).equals(big));
        assert.equal((await streamed(stream, empty)).byteLength, 0);
      });

      it('throws OBJECT_NOT_FOUND naming a missing object', async (t) => {
        if (!s.getStream) return t.skip('this storage has no getStream');
        const h = data();
        await rejectsWith(streamed(s.getStream.bind(s), h), 'OBJECT_NOT_FOUND', h.name);
      });
    });

    describe('byte ranges', () => {
      const cases = [
        { title: 'from the middle', offset: 100, length: 50, expect: [100, 150] },
        { title: 'up to the end', offset: 900, length: 100, expect: [900, 1000] },
        { title: 'running past the end', offset: 950, length: 100, expect: [950, 1000] },
        { title: 'starting past the end', offset: 2000, length: 10, expect: [0, 0] },
        { title: 'of length zero', offset: 10, length: 0, expect: [0, 0] },
        { title: 'covering everything', offset: 0, length: 1000, expect: [0, 1000] },
      ] as const;
      for (const c of cases) {
        it(`reads a range ${c.title}`, async () => {
          const h = data();
          const whole = pattern(1000);
          await s.put(h, whole);
          const got = await s.get(h, { offset: c.offset, length: c.length });
          assert.ok(got.equals(whole.subarray(c.expect[0], c.expect[1])));
        });
      }

      it('reads a range of a large object', async () => {
        const h = data();
        const bytes = randomBytes(4 * MiB);
        await s.put(h, bytes);
        const got = await s.get(h, { offset: 3 * MiB + 7, length: MiB });
        assert.ok(got.equals(bytes.subarray(3 * MiB + 7, 4 * MiB + 7)));
      });

      it('refuses a negative offset', async () => {
        const h = data();
        await s.put(h, pattern(10));
        await rejectsWith(s.get(h, { offset: -1, length: 5 }), 'INTERNAL');
      });
    });

    describe('missing objects and stat', () => {
      it('stats the size of an object', async () => {
        const h = { type: 'index', name: 'idx-1' } as const;
        await s.put(h, pattern(1234));
        assert.deepEqual(await s.stat(h), { name: 'idx-1', size: 1234 });
      });

      it('throws OBJECT_NOT_FOUND naming the object on get, ranged get and stat', async () => {
        const h = data();
        await rejectsWith(s.get(h), 'OBJECT_NOT_FOUND', h.name);
        await rejectsWith(s.get(h, { offset: 0, length: 1 }), 'OBJECT_NOT_FOUND', h.name);
        await rejectsWith(s.stat(h), 'OBJECT_NOT_FOUND', h.name);
        await rejectsWith(s.get({ type: 'config', name: '' }), 'OBJECT_NOT_FOUND', 'config');
      });

      it('refuses names that are not a single safe path component', async () => {
        const bad: ObjectHandle[] = [
          { type: 'keys', name: '' },
          { type: 'keys', name: '../escape' },
          { type: 'index', name: 'a/b' },
          { type: 'locks', name: '.tmp-hidden' },
          { type: 'data', name: 'zz-not-hex' },
        ];
        for (const h of bad) await rejectsWith(s.put(h, pattern(1)), 'INTERNAL');
      });
    });

    describe('delete', () => {
      it('removes an object', async () => {
        const h = data();
        await s.put(h, pattern(10));
        await s.delete(h);
        await rejectsWith(s.get(h), 'OBJECT_NOT_FOUND');
      });

      it('is idempotent', async () => {
        const h = data();
        await s.delete(h);
        await s.put(h, pattern(10));
        await s.delete(h);
        await s.delete(h);
      });
    });

    describe('list', () => {
      it('lists nothing in a new repository', async () => {
        for (const type of [...NAMED_TYPES, 'config'] as const) assert.deepEqual(await collect(s.list(type)), []);
      });

      it('lists each type’s objects and no others', async () => {
        for (const type of NAMED_TYPES) {
          const name = type === 'data' ? randomId() : `${type}-only`;
          await s.put({ type, name }, pattern(type.length));
        }
        for (const type of NAMED_TYPES) {
          const listed = await collect(s.list(type));
          assert.equal(listed.length, 1, type);
          assert.equal(listed[0]?.size, type.length);
        }
      });

      it('lists several hundred data objects across subfolders once each with sizes', async () => {
        const names = Array.from({ length: 300 }, () => randomId());
        await inBatches(names, 32, (n) => s.put(data(n), pattern(n.charCodeAt(0))));
        const listed = await collect(s.list('data'));
        assert.equal(listed.length, names.length);
        assert.equal(new Set(listed.map((i) => i.name)).size, names.length, 'no duplicates');
        assert.deepEqual(new Set(listed.map((i) => i.name)), new Set(names));
        for (const info of listed) assert.equal(info.size, info.name.charCodeAt(0));
        assert.ok(new Set(names.map((n) => n.slice(0, 2))).size > 100, 'names spread over subfolders');
      });

      it('does not list deleted objects', async () => {
        const [a, b] = [data(), data()];
        await s.put(a, pattern(1));
        await s.put(b, pattern(2));
        await s.delete(a);
        assert.deepEqual(await collect(s.list('data')), [{ name: b.name, size: 2 }]);
      });

      it('lists the config object once it exists', async () => {
        await s.put({ type: 'config', name: '' }, pattern(7));
        assert.deepEqual(await collect(s.list('config')), [{ name: 'config', size: 7 }]);
      });
    });

    describe('exists', () => {
      it('is false before create, false after create, true once config is put', async () => {
        const fresh = await make();
        try {
          assert.equal(await fresh.storage.exists(), false);
          await fresh.storage.create();
          await fresh.storage.create();
          assert.equal(await fresh.storage.exists(), false);
          await fresh.storage.put({ type: 'keys', name: 'k1' }, pattern(3));
          assert.equal(await fresh.storage.exists(), false);
          await fresh.storage.put({ type: 'config', name: 'config' }, pattern(3));
          assert.equal(await fresh.storage.exists(), true);
        } finally {
          await fresh.storage.close();
          await fresh.cleanup();
        }
      });
    });
  });
}
