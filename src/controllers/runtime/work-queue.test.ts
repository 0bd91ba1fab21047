import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue } from './work-queue.ts';

describe('WorkQueue', () => {
  it('collapses repeated adds of a queued key into one', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'a', 'a', 'c', 'b']) q.add(k);
    assert.equal(q.length, 3);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
  });

  it('hands a key to one worker at a time and once more if it changed meanwhile', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    assert.equal(q.length, 0, 'not handed out while processing');
    q.done(key ?? '');
    assert.equal(await q.get(), 'a');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    assert.equal(await waiting, 'x');
  });

  it('backs off exponentially per key until forget', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 70 });
    const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited('k'));
    assert.deepEqual(delays, [10, 20, 40, 70, 70]);
    assert.equal(q.failures('k'), 5);
    q.forget('k');
    assert.equal(q.addRateLimited('k'), 10);
    q.shutDown();
  });

  it('delivers a delayed key after its delay, keeping the earliest of two', async () => {
    const q = new WorkQueue();
    q.addAfter('k', 200);
    q.addAfter('k', 20);
    const started = Date.now();
    assert.equal(await q.get(), 'k');
    const waited = Date.now() - started;
    assert.ok(waited >= 15 && waited < 150, `waited ${waited} ms`);
  });

  it('wakes waiting workers with undefined on shutdown and ignores later adds', async () => {
    const q = new WorkQueue();
    const waiting = [q.get(), q.get()];
    q.shutDown();
    assert.deepEqual(await Promise.all(waiting), [undefined, undefined]);
    q.add('late');
    assert.equal(await q.get(), undefined);
    await sleep(1);
  });
});
