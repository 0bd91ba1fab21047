/**
 * The one conformance suite every Executor runs (after the storage contract in
 * src/backend/storage.contract.ts). Each point of the contract in `executor.ts` has a
 * case here; an implementation's test file calls `executorContract` with a fixture that
 * builds its actions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { ActionError } from './executor.ts';
import type { Executor } from './executor.ts';

export interface ExecutorFixture {
  /** An action that succeeds and outputs exactly `output`. */
  succeeding(output: string): Executor;
  /** An action that fails and reports `detail` as the last line of its error output. */
  failing(detail: string): Executor;
  /** An action that runs until it is ended, bounded by `timeoutMs` (0: no limit). */
  hanging(timeoutMs: number): Executor;
  /** How many actions the fixture started are still running (processes alive, requests open). */
  running(): Promise<number>;
  cleanup(): Promise<void>;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, mentions: readonly string[]): Promise<unknown> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    assert.ok(isHoldfastError(err, code), `expected ${code}, got ${String(err)}`);
    for (const m of mentions) assert.ok(err.message.includes(m), `"${err.message}" lacks "${m}"`);
    return true;
  });
  return caught;
}

/** Nothing started is left running, allowing the implementation a moment to reap. */
async function nothingRunning(f: ExecutorFixture): Promise<void> {
  const until = Date.now() + 5000;
  let n = await f.running();
  while (n > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    n = await f.running();
  }
  assert.equal(n, 0, 'an ended action left something running');
}

export function executorContract(name: string, make: () => Promise<ExecutorFixture>): void {
  describe(`Executor contract: ${name}`, () => {
    let f: ExecutorFixture;
    before(async () => {
      f = await make();
    });
    after(async () => {
      await f.cleanup();
    });

    it('resolves with the output and a success status', async () => {
      const out = await f.succeeding('hello from the action').run();
      assert.equal(out.stdout, 'hello from the action');
      assert.ok(out.durationMs >= 0);
      assert.ok(out.status === 0 || (out.status >= 200 && out.status < 300), `status ${out.status}`);
    });

    it('can run the same action again', async () => {
      const e = f.succeeding('twice');
      assert.equal((await e.run()).stdout, 'twice');
      assert.equal((await e.run()).stdout, 'twice');
    });

    it('rejects a failed action with ActionError naming the action and the last line of detail', async () => {
      const e = f.failing('disk quota exceeded on /data');
      const err = await rejectsWith(e.run(), 'ACTION_FAILED', [e.what, 'disk quota exceeded on /data']);
      assert.ok(err instanceof ActionError, 'an ActionError keeps the full error text for recipes');
      assert.ok(err.stderr.includes('disk quota exceeded on /data'));
      assert.equal((err as Error).message.split('\n').length, 1, 'one line');
    });

    it('ends an action that runs past its timeout with ACTION_TIMEOUT', async () => {
      const e = f.hanging(300);
      assert.equal(e.timeoutMs, 300);
      const started = Date.now();
      await rejectsWith(e.run(), 'ACTION_TIMEOUT', [e.what]);
      assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
      await nothingRunning(f);
    });

    it('ends the action when the signal aborts, with INTERRUPTED', async () => {
      const e = f.hanging(0);
      const ac = new AbortController();
      const p = e.run({ signal: ac.signal });
      setTimeout(() => ac.abort(), 200);
      await rejectsWith(p, 'INTERRUPTED', [e.what]);
      await nothingRunning(f);
    });

    it('does not run (or ends at once) when the signal is already aborted', async () => {
      const e = f.hanging(0);
      const started = Date.now();
      await rejectsWith(e.run({ signal: AbortSignal.abort() }), 'INTERRUPTED', [e.what]);
      assert.ok(Date.now() - started < 4000);
      await nothingRunning(f);
    });

    it('leaves nothing running after a failure', async () => {
      await assert.rejects(f.failing('boom').run());
      await nothingRunning(f);
    });
  });
}
