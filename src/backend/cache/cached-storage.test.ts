import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { blake3 } from '@napi-rs/blake-hash';
import { MemoryStorage } from '../memory-storage.ts';
import type { ByteRange, ObjectHandle, Storage } from '../storage.ts';
import { CachedStorage } from './cached-storage.ts';
import { ObjectCache } from './object-cache.ts';

/** Counts the reads that reach the storage. */
function counting(inner: Storage): { storage: Storage; gets: string[] } {
  const gets: string[] = [];
  const storage: Storage = {
    location: inner.location,
    create: () => inner.create(),
    exists: () => inner.exists(),
    get: (h: ObjectHandle, range?: ByteRange) => {
      gets.push(`${h.type}/${h.name.slice(0, 4)}${range ? `@${range.offset}+${range.length}` : ''}`);
      return inner.get(h, range);
    },
    stat: (h) => inner.stat(h),
    list: (t) => inner.list(t),
    put: (h, d) => inner.put(h, d),
    delete: (h) => inner.delete(h),
    close: () => inner.close(),
  };
  return { storage, gets };
}

function named(data: Buffer): string {
  return blake3(data).toString('hex');
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function setup(cacheable = (h: ObjectHandle) => h.type !== 'locks') {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-cache-'));
  dirs.push(dir);
  const memory = new MemoryStorage();
  const { storage, gets } = counting(memory);
  const cached = new CachedStorage(storage, new ObjectCache(dir), cacheable);
  return { dir, memory, cached, gets };
}

describe('CachedStorage', () => {
  it('fetches a cacheable object once, whole, and serves ranges from the copy', async () => {
    const { memory, cached, gets } = await setup();
    const pack = Buffer.from('tree pack bytes '.repeat(100));
    const name = named(pack);
    await memory.put({ type: 'data', name }, pack);
    assert.deepEqual(await cached.get({ type: 'data', name }, { offset: 5, length: 4 }), pack.subarray(5, 9));
    assert.deepEqual(await cached.get({ type: 'data', name }, { offset: 100, length: 10 }), pack.subarray(100, 110));
    assert.deepEqual(await cached.get({ type: 'data', name }), pack);
    assert.deepEqual(gets, [`data/${name.slice(0, 4)}`]);
    assert.equal(cached.cache.stats.hits, 2);
  });

  it('shares one fetch between concurrent readers', async () => {
    const { memory, cached, gets } = await setup();
    const pack = Buffer.from('x'.repeat(1000));
    const name = named(pack);
    await memory.put({ type: 'data', name }, pack);
    await Promise.all([0, 1, 2, 3].map((i) => cached.get({ type: 'data', name }, { offset: i, length: 1 })));
    assert.equal(gets.length, 1);
  });

  it('drops a damaged or truncated entry and fetches the object again', async () => {
    const { dir, memory, cached, gets } = await setup();
    const index = Buffer.from('sealed index bytes');
    const name = named(index);
    await cached.put({ type: 'index', name }, index);
    assert.deepEqual(await cached.get({ type: 'index', name }), index);
    assert.equal(gets.length, 0, 'written through on put');
    writeFileSync(join(dir, 'index', name), 'garbage');
    const fresh = new CachedStorage(counting(memory).storage, new ObjectCache(dir), () => true);
    assert.deepEqual(await fresh.get({ type: 'index', name }), index);
    assert.equal(fresh.cache.stats.dropped, 1);
    truncateSync(join(dir, 'index', name), 3);
    const again = new CachedStorage(memory, new ObjectCache(dir), () => true);
    assert.deepEqual(await again.get({ type: 'index', name }), index);
    assert.equal(again.cache.stats.dropped, 1);
    assert.deepEqual(await new CachedStorage(memory, new ObjectCache(dir), () => true).get({ type: 'index', name }), index, 'repaired');
  });

  it('never caches what does not match its name, nor what the policy excludes', async () => {
    const { dir, memory, cached, gets } = await setup((h) => h.type === 'index');
    const wrong = '0'.repeat(64);
    await memory.put({ type: 'index', name: wrong }, Buffer.from('not the hash of its name'));
    await cached.get({ type: 'index', name: wrong });
    await cached.get({ type: 'index', name: wrong });
    const data = Buffer.from('a data pack');
    await memory.put({ type: 'data', name: named(data) }, data);
    await cached.get({ type: 'data', name: named(data) }, { offset: 0, length: 1 });
    assert.equal(gets.length, 3);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('forgets a deleted object', async () => {
    const { dir, cached } = await setup();
    const snap = Buffer.from('a snapshot');
    const name = named(snap);
    await cached.put({ type: 'snapshots', name }, snap);
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), [name]);
    await cached.delete({ type: 'snapshots', name });
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), []);
  });
});
