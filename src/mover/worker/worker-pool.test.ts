import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifierFixture } from '../verify/verifier.contract.ts';
import { WorkerPool } from './worker-pool.ts';

describe('WorkerPool', () => {
  it('starts every worker at once by default', async () => {
    const { repo } = await verifierFixture();
    const pool = new WorkerPool(repo, { workers: 2 });
    try {
      pool.start();
      assert.equal(pool.started, 2);
    } finally {
      await pool.close();
    }
  });

  it('grows only when every worker has all the tasks it takes, and never past its size', async () => {
    const f = await verifierFixture();
    const pool = new WorkerPool(f.repo, { workers: 2, grow: true, maxInFlight: 1 });
    try {
      pool.start();
      assert.equal(pool.started, 1, 'one worker to begin with');
      const verified = new Map<number, number>();
      const task = (n: number) => pool.run({ kind: 'verify', data: f.damaged(), blobs: f.blobs }, (msg) => {
        if (msg.kind === 'verified') verified.set(n, msg.damaged.length);
      }).done;
      await task(1);
      assert.equal(pool.started, 1, 'one task at a time fits one worker');
      assert.ok(pool.hasFree());
      const running = [task(2), task(3)];
      assert.equal(pool.started, 2, 'a second task while the first runs starts a second worker');
      const more = task(4);
      assert.equal(pool.started, 2, 'not past its size');
      await Promise.all([...running, more]);
      assert.deepEqual([...verified].sort((a, b) => a[0] - b[0]), [[1, 2], [2, 2], [3, 2], [4, 2]], 'every task ran to the end, on whichever worker');
    } finally {
      await pool.close();
    }
  });
});
