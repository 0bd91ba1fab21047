import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limiter } from './limiter.ts';

describe('Limiter', () => {
  it('runs at most `limit` tasks at once, all of them, and passes results and failures through', async () => {
    const limiter = new Limiter(2);
    let now = 0;
    let most = 0;
    const task = (n: number) => limiter.run(async () => {
      most = Math.max(most, ++now);
      await new Promise((resolve) => setTimeout(resolve, 5));
      now--;
      if (n === 3) throw new Error('three');
      return n;
    });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(task));
    assert.equal(most, 2);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [1, 2, 'three', 4, 5]);
    assert.equal(new Limiter(0).limit, 1);
  });

  it('hands places out in order to acquire, and a place given back twice counts once', async () => {
    const limiter = new Limiter(1);
    const first = await limiter.acquire();
    const order: string[] = [];
    const second = limiter.acquire().then((release) => {
      order.push('second');
      return release;
    });
    const third = limiter.acquire().then((release) => {
      order.push('third');
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, []);
    first();
    first();
    const releaseSecond = await second;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ['second'], 'the place given back twice let in one waiter, not two');
    releaseSecond();
    (await third)();
    assert.deepEqual(order, ['second', 'third']);
  });

  it('says whether a place is free, takes one at once when it is, and wakes a waiter when one comes back', async () => {
    const limiter = new Limiter(1);
    assert.ok(limiter.free && limiter.idle);
    const release = limiter.tryAcquire();
    assert.ok(release);
    assert.equal(limiter.free, false);
    assert.equal(limiter.idle, false);
    assert.equal(limiter.tryAcquire(), undefined);
    let woke = false;
    const waiting = limiter.whenFree().then(() => void (woke = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woke, false);
    release();
    await waiting;
    assert.ok(woke && limiter.free && limiter.idle, 'whenFree does not take the place');
  });
});
