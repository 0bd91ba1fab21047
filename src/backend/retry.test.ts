import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../core/errors.ts';
import { FaultyStorage, permanentFault, transientFault, type FaultRule } from './faulty.ts';
import { MemoryStorage } from './memory-storage.ts';
import { backoffDelayMs, withRetry, type RetryEvent, type RetryOptions } from './retry.ts';
import type { ObjectInfo, Storage } from './storage.ts';

const handle = { type: 'index', name: 'idx-1' } as const;

async function setup(rules: FaultRule[], options: Partial<RetryOptions> = {}) {
  const inner = new MemoryStorage();
  await inner.put(handle, Buffer.from('payload'));
  const faulty = new FaultyStorage(inner, rules);
  const sleeps: number[] = [];
  const events: RetryEvent[] = [];
  const storage = withRetry(faulty, {
    attempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRetry: (e) => events.push(e),
    ...options,
  });
  return { inner, faulty, storage, sleeps, events };
}

async function collect(storage: Storage): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of storage.list('index')) out.push(info);
  return out;
}

describe('withRetry', () => {
  it('retries transient errors until the call succeeds', async () => {
    const { faulty, storage, events } = await setup([
      { op: 'get', times: 2, action: { kind: 'fail', error: transientFault() } },
    ]);
    assert.equal((await storage.get(handle)).toString(), 'payload');
    assert.equal(faulty.calls('get'), 3);
    assert.deepEqual(
      events.map((e) => [e.operation, e.attempt]),
      [
        ['get index/idx-1', 1],
        ['get index/idx-1', 2],
      ],
    );
  });

  it('does not retry permanent errors', async () => {
    const error = permanentFault('STORAGE_PERMISSION');
    const { faulty, storage, events } = await setup([{ op: 'stat', action: { kind: 'fail', error } }]);
    await assert.rejects(storage.stat(handle), (err) => err === error);
    assert.equal(faulty.calls('stat'), 1);
    assert.equal(events.length, 0);
  });

  it('does not retry a missing object', async () => {
    const { faulty, storage } = await setup([]);
    await assert.rejects(storage.get({ type: 'index', name: 'absent' }), (err) => isHoldfastError(err, 'OBJECT_NOT_FOUND'));
    assert.equal(faulty.calls('get'), 1);
  });

  it('gives up after the configured attempts, keeping the code and the cause', async () => {
    const error = transientFault('server busy');
    const { faulty, storage, sleeps } = await setup([{ op: 'put', action: { kind: 'fail', error } }], { attempts: 4 });
    await assert.rejects(storage.put(handle, Buffer.from('x')), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'STORAGE_TRANSIENT'));
      assert.equal(err.message, 'server busy (gave up after 4 attempts)');
      assert.equal(err.cause, error);
      return true;
    });
    assert.equal(faulty.calls('put'), 4);
    assert.equal(sleeps.length, 3);
  });

  it('rethrows the first error unchanged when retrying is off', async () => {
    const error = transientFault();
    const { faulty, storage } = await setup([{ op: 'delete', action: { kind: 'fail', error } }], { attempts: 1 });
    await assert.rejects(storage.delete(handle), (err) => err === error);
    assert.equal(faulty.calls('delete'), 1);
  });

  it('backs off exponentially up to the maximum', async () => {
    const { storage, sleeps } = await setup([{ op: 'get', action: { kind: 'fail', error: transientFault() } }], {
      attempts: 7,
      random: () => 0.999999,
    });
    await assert.rejects(storage.get(handle));
    assert.deepEqual(sleeps, [99, 199, 399, 799, 999, 999]);
  });

  it('draws each wait uniformly below its ceiling (full jitter)', () => {
    const options = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    const cases = [
      { retry: 1, random: 0, expect: 0 },
      { retry: 1, random: 0.5, expect: 50 },
      { retry: 3, random: 0.5, expect: 200 },
      { retry: 20, random: 0.5, expect: 500 },
    ];
    for (const c of cases) assert.equal(backoffDelayMs(c.retry, { ...options, random: () => c.random }), c.expect);
    for (let retry = 1; retry < 40; retry++) assert.ok(backoffDelayMs(retry, options) < 1000);
  });

  it('retries a put that was stored before the error (put is idempotent)', async () => {
    const { inner, storage } = await setup([
      { op: 'put', times: 1, action: { kind: 'fail-after', error: transientFault() } },
    ]);
    await storage.put({ type: 'index', name: 'idx-2' }, Buffer.from('new'));
    assert.equal((await inner.get({ type: 'index', name: 'idx-2' })).toString(), 'new');
  });

  it('retries a listing that failed part-way without yielding a name twice', async () => {
    const { faulty, storage } = await setup([
      { op: 'list', times: 1, action: { kind: 'fail-after', error: transientFault() } },
    ]);
    await faulty.put({ type: 'index', name: 'idx-2' }, Buffer.from('x'));
    const names = (await collect(storage)).map((i) => i.name).sort();
    assert.deepEqual(names, ['idx-1', 'idx-2']);
    assert.equal(faulty.calls('list'), 2);
  });

  it('streams again after a transient failure part-way, yielding each byte once; a permanent one is not retried', async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const calls: number[] = [];
    const streaming = Object.assign(new MemoryStorage(), {
      // The first stream fails after 320 bytes, in 64-byte chunks; the second comes in 100-byte ones, so the retry skips into a chunk.
      async *getStream(): AsyncIterable<Uint8Array> {
        const first = calls.push(calls.length) === 1;
        const size = first ? 64 : 100;
        for (let at = 0; at < bytes.byteLength; at += size) {
          if (first && at >= 300) throw transientFault();
          yield bytes.subarray(at, at + size);
        }
      },
    });
    const storage = withRetry(streaming, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} });
    const chunks: Uint8Array[] = [];
    for await (const chunk of storage.getStream?.(handle) ?? []) chunks.push(chunk);
    assert.ok(Buffer.concat(chunks).equals(bytes));
    assert.equal(calls.length, 2);

    const failing = Object.assign(new MemoryStorage(), {
      async *getStream(): AsyncIterable<Uint8Array> {
        calls.push(calls.length);
        throw permanentFault();
      },
    });
    const read = async () => {
      for await (const chunk of withRetry(failing, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 }).getStream?.(handle) ?? []) void chunk;
    };
    await assert.rejects(read(), (err) => isHoldfastError(err, 'STORAGE_IO'));
    assert.equal(calls.length, 3);
    assert.equal(withRetry(new MemoryStorage(), { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 }).getStream, undefined);
  });

  it('does not retry a listing that failed permanently', async () => {
    const { faulty, storage } = await setup([{ op: 'list', action: { kind: 'fail', error: permanentFault() } }]);
    await assert.rejects(collect(storage), (err) => isHoldfastError(err, 'STORAGE_IO'));
    assert.equal(faulty.calls('list'), 1);
  });

  it('passes removeStaleTempFiles through the fault injector and retries it, only where the storage has it', async () => {
    const cutoffs: Date[] = [];
    let failures = 1;
    const sweeping = Object.assign(new MemoryStorage(), {
      removeStaleTempFiles: (before: Date): Promise<number> => {
        cutoffs.push(before);
        return failures-- > 0 ? Promise.reject(transientFault()) : Promise.resolve(3);
      },
    });
    const storage = withRetry(new FaultyStorage(sweeping), { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 });
    const cutoff = new Date('2030-01-01T00:00:00Z');
    assert.equal(await storage.removeStaleTempFiles?.(cutoff), 3);
    assert.deepEqual(cutoffs, [cutoff, cutoff]);
    assert.equal(withRetry(new FaultyStorage(new MemoryStorage()), { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }).removeStaleTempFiles, undefined);
  });

  it('refuses options that make no sense', () => {
    const inner = new MemoryStorage();
    for (const bad of [
      { attempts: 0, baseDelayMs: 1, maxDelayMs: 1 },
      { attempts: 1.5, baseDelayMs: 1, maxDelayMs: 1 },
      { attempts: 3, baseDelayMs: 10, maxDelayMs: 1 },
    ]) {
      assert.throws(() => withRetry(inner, bad), (err) => isHoldfastError(err, 'INTERNAL'));
    }
  });
});
