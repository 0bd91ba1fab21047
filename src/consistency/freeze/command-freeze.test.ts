import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { CommandFreeze, processState, suspendFreeze } from './command-freeze.ts';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('suspend freeze (SIGSTOP / SIGCONT)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });
  const startApp = (): number => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    assert.ok(child.pid !== undefined);
    return child.pid;
  };

  it('stops the process while frozen and resumes it on thaw', async () => {
    const pid = startApp();
    const frozen = await suspendFreeze(pid, ENV).freeze(30_000);
    assert.equal(await processState(pid), 'T');
    assert.equal(frozen.held(), true);
    await frozen.thaw();
    assert.notEqual(await processState(pid), 'T');
  });

  it('the watchdog resumes the process when the timeout passes without a thaw', async () => {
    const pid = startApp();
    const started = Date.now();
    const frozen = await suspendFreeze(pid, ENV).freeze(1000);
    assert.equal(await processState(pid), 'T');
    await until('resumed by the watchdog', async () => (await processState(pid)) !== 'T', 5000);
    assert.ok(Date.now() - started >= 900, 'not before the timeout');
    assert.equal(frozen.held(), false);
  });

  it('a thaw disarms the watchdog (it does not fire later)', async () => {
    const pid = startApp();
    const frozen = await suspendFreeze(pid, ENV).freeze(1000);
    await frozen.thaw();
    process.kill(pid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 1800));
    assert.equal(await processState(pid), 'T', 'still stopped: no watchdog sent SIGCONT');
  });

  it('fails with FREEZE_FAILED for a process that does not exist', async () => {
    await assert.rejects(suspendFreeze(999_999_999, ENV).freeze(5000), (err: unknown) =>
      isHoldfastError(err, 'FREEZE_FAILED') && err.message.startsWith('could not freeze (suspend of process 999999999): '));
  });

  it('runs the thaw when the freeze command fails half-way', async () => {
    const pid = startApp();
    const f = new CommandFreeze({ what: 'stop then fail', freeze: ['/bin/sh', '-c', `kill -STOP ${pid}; exit 1`], thaw: ['kill', '-CONT', String(pid)] }, ENV);
    await assert.rejects(f.freeze(30_000), (err: unknown) => isHoldfastError(err, 'FREEZE_FAILED'));
    assert.notEqual(await processState(pid), 'T');
  });
});
