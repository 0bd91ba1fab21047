import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../core/errors.ts';
import { MemoryStorage } from './memory-storage.ts';
import { readOnly } from './read-only.ts';

const key = { type: 'keys', name: 'k1' } as const;

function refusedAsReadOnly(err: unknown): boolean {
  assert.ok(isHoldfastError(err, 'STORAGE_PERMISSION'));
  assert.match(err.message, /in memory:test: the repository is opened read-only$/);
  return true;
}

describe('readOnly', () => {
  it('refuses put, delete and create without touching the storage', async () => {
    const inner = new MemoryStorage('memory:test');
    await inner.put(key, Buffer.from('original'));
    const storage = readOnly(inner);
    await assert.rejects(storage.put(key, Buffer.from('changed')), refusedAsReadOnly);
    await assert.rejects(storage.put({ type: 'locks', name: 'l1' }, Buffer.from('x')), /locks\/l1/);
    await assert.rejects(storage.delete(key), refusedAsReadOnly);
    await assert.rejects(storage.create(), refusedAsReadOnly);
    assert.equal((await inner.get(key)).toString(), 'original');
  });

  it('passes reads through', async () => {
    const inner = new MemoryStorage('memory:test');
    await inner.put(key, Buffer.from('original'));
    await inner.put({ type: 'config', name: '' }, Buffer.from('cfg'));
    const storage = readOnly(inner);
    assert.equal(storage.location, 'memory:test');
    assert.equal((await storage.get(key, { offset: 0, length: 4 })).toString(), 'orig');
    assert.equal((await storage.stat(key)).size, 8);
    assert.equal(await storage.exists(), true);
    const names = [];
    for await (const info of storage.list('keys')) names.push(info.name);
    assert.deepEqual(names, ['k1']);
  });
});
