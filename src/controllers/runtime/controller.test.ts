import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../core/logger.ts';
import { Controller, type WatchSource } from './controller.ts';
import { WorkQueue } from './work-queue.ts';

function staticSource(keys: string[]): WatchSource & { emit(key: string): void } {
  let enqueue: (key: string) => void = () => {};
  return {
    start: async (e) => {
      enqueue = e;
      for (const k of keys) e(k);
    },
    keys: () => keys,
    stop: async () => {},
    emit: (k) => enqueue(k),
  };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(2);
  }
}

describe('Controller', () => {
  it('reconciles every key from its sources, retries failures with backoff, honours requeue', async () => {
    const calls: string[] = [];
    let failuresLeft = 2;
    const source = staticSource(['ns/a', 'ns/b']);
    const c = new Controller({
      name: 'test',
      logger: silentLogger,
      sources: [source],
      queue: new WorkQueue({ baseDelayMs: 1 }),
      reconciler: {
        reconcile: async (key) => {
          calls.push(key);
          if (key === 'ns/b' && failuresLeft-- > 0) throw new Error('transient');
          return key === 'ns/a' && calls.filter((k) => k === 'ns/a').length === 1 ? { requeueAfterMs: 5 } : undefined;
        },
      },
    });
    await c.start();
    await until(() => calls.filter((k) => k === 'ns/b').length === 3 && calls.filter((k) => k === 'ns/a').length === 2);
    source.emit('ns/c');
    await until(() => calls.includes('ns/c'));
    await c.stop();
    assert.equal(c.queue.failures('ns/b'), 0, 'a success resets the backoff');
  });

  it('never runs one key in two workers at once', async () => {
    let running = 0;
    let overlap = false;
    let runs = 0;
    const source = staticSource(['ns/x']);
    const c = new Controller({
      name: 'serial',
      logger: silentLogger,
      sources: [source],
      workers: 4,
      reconciler: {
        reconcile: async () => {
          running++;
          if (running > 1) overlap = true;
          await sleep(5);
          running--;
          runs++;
          return undefined;
        },
      },
    });
    await c.start();
    for (let i = 0; i < 20; i++) source.emit('ns/x');
    await until(() => runs >= 2);
    await c.stop();
    assert.equal(overlap, false);
  });
  it('stop() aborts a running reconcile with INTERRUPTED and does not retry it', async () => {
    const calls: string[] = [];
    let reason: unknown;
    const c = new Controller({
      name: 'long',
      logger: silentLogger,
      sources: [staticSource(['ns/long'])],
      queue: new WorkQueue({ baseDelayMs: 1 }),
      reconciler: {
        reconcile: async (key, signal) => {
          calls.push(key);
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject((reason = signal.reason) as Error), { once: true }));
          return undefined;
        },
      },
    });
    await c.start();
    await until(() => calls.length === 1);
    await c.stop();
    assert.equal((reason as { code?: string }).code, 'INTERRUPTED');
    assert.match(String((reason as Error).message), /the long controller is stopping/);
    assert.equal(c.queue.failures('ns/long'), 0, 'an interrupted reconcile is not counted as a failure');
    assert.deepEqual(calls, ['ns/long']);
  });
});
