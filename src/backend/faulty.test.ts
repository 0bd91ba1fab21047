import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../core/errors.ts';
import { FaultyStorage, permanentFault, transientFault } from './faulty.ts';
import { MemoryStorage } from './memory-storage.ts';

const key = { type: 'keys', name: 'k1' } as const;
const index = { type: 'index', name: 'idx-1' } as const;

async function setup() {
  const inner = new MemoryStorage();
  await inner.put(key, Buffer.from('key bytes'));
  await inner.put(index, Buffer.from('index bytes'));
  const sleeps: number[] = [];
  const faulty = new FaultyStorage(inner, [], {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { inner, faulty, sleeps };
}

describe('FaultyStorage', () => {
  it('fails a put before writing', async () => {
    const { inner, faulty } = await setup();
    faulty.addRule({ op: 'put', action: { kind: 'fail', error: transientFault() } });
    await assert.rejects(faulty.put({ type: 'locks', name: 'l1' }, Buffer.from('x')), (err) => isHoldfastError(err, 'STORAGE_TRANSIENT'));
    await assert.rejects(inner.stat({ type: 'locks', name: 'l1' }), (err) => isHoldfastError(err, 'OBJECT_NOT_FOUND'));
  });

  it('writes a put, then fails it', async () => {
    const { inner, faulty } = await setup();
    faulty.addRule({ op: 'put', action: { kind: 'fail-after', error: permanentFault() } });
    await assert.rejects(faulty.put({ type: 'locks', name: 'l1' }, Buffer.from('x')), (err) => isHoldfastError(err, 'STORAGE_IO'));
    assert.equal((await inner.get({ type: 'locks', name: 'l1' })).toString(), 'x');
  });

  it('fails N times, then lets calls through', async () => {
    const { faulty } = await setup();
    faulty.addRule({ op: 'get', times: 2, action: { kind: 'fail', error: transientFault() } });
    await assert.rejects(faulty.get(key));
    await assert.rejects(faulty.get(key));
    assert.equal((await faulty.get(key)).toString(), 'key bytes');
    assert.equal(faulty.calls('get'), 3);
  });

  it('truncates the data a get returns', async () => {
    const { faulty } = await setup();
    faulty.addRule({ op: 'get', action: { kind: 'truncate', length: 3 } });
    assert.equal((await faulty.get(key)).toString(), 'key');
  });

  it('delays through the injected sleep, then runs the call', async () => {
    const { faulty, sleeps } = await setup();
    faulty.addRule({ op: 'stat', action: { kind: 'delay', ms: 250 } });
    assert.equal((await faulty.stat(key)).size, 9);
    assert.deepEqual(sleeps, [250]);
  });

  it('matches on type and name', async () => {
    const { faulty } = await setup();
    faulty.addRule({ op: 'get', type: 'index', action: { kind: 'fail', error: permanentFault() } });
    faulty.addRule({ op: 'delete', name: (n) => n.startsWith('k'), action: { kind: 'fail', error: permanentFault() } });
    await faulty.get(key);
    await assert.rejects(faulty.get(index));
    await assert.rejects(faulty.delete(key));
    await faulty.delete(index);
  });

  it('applies the first matching rule with firings left, in order', async () => {
    const { faulty, sleeps } = await setup();
    faulty.addRule({ op: 'get', times: 1, action: { kind: 'fail', error: transientFault() } });
    faulty.addRule({ op: 'get', action: { kind: 'delay', ms: 10 } });
    await assert.rejects(faulty.get(key));
    await faulty.get(key);
    await faulty.get(key);
    assert.deepEqual(sleeps, [10, 10]);
  });

  it('fails a listing before or after it yields', async () => {
    const { faulty } = await setup();
    faulty.addRule({ op: 'list', times: 1, action: { kind: 'fail', error: transientFault() } });
    faulty.addRule({ op: 'list', times: 1, action: { kind: 'fail-after', error: transientFault() } });
    const seen: string[] = [];
    const drain = async () => {
      for await (const info of faulty.list('keys')) seen.push(info.name);
    };
    await assert.rejects(drain());
    assert.deepEqual(seen, []);
    await assert.rejects(drain());
    assert.deepEqual(seen, ['k1']);
    await drain();
    assert.deepEqual(seen, ['k1', 'k1']);
  });

  it('stops faulting once the rules are cleared', async () => {
    const { faulty } = await setup();
    faulty.addRule({ op: 'get', action: { kind: 'fail', error: permanentFault() } });
    faulty.clearRules();
    await faulty.get(key);
  });
});
