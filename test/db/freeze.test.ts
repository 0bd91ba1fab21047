/**
 * `--freeze suspend:PID` through the real command: the application process is stopped
 * (SIGSTOP) for the capture and resumed after it, and when holdfast is killed with
 * SIGKILL mid-freeze, the detached watchdog resumes it once the freeze timeout passes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { show } from '../helpers/cli.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

function state(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.charAt(stat.lastIndexOf(')') + 2);
}

async function until(what: string, ok: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!ok()) {
    if (Date.now() - started > ms) assert.fail(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now();
}

describe('--freeze suspend:PID', () => {
  let t: TestRepository;
  let app: ChildProcess | undefined;
  before(async () => {
    t = await createTestRepository();
  });
  after(() => t.cleanup());
  afterEach(() => {
    app?.kill('SIGKILL');
  });
  const startApp = (): number => {
    app = spawn('sleep', ['120'], { stdio: 'ignore' });
    assert.ok(app.pid !== undefined);
    return app.pid;
  };

  it('stops the application while the capture runs and resumes it afterwards', async () => {
    const pid = startApp();
    // The capture records the application's state as seen from inside the freeze.
    const probe = `awk '{print $3}' /proc/${pid}/stat`;
    const r = await t.cli.run(['backup', '--stdin-from-command', probe, '--freeze', `suspend:${pid}`, '--freeze-timeout', '30']);
    assert.equal(r.code, 0, show(r));
    const dump = await t.cli.run(['dump', 'latest']);
    assert.equal(dump.stdout.trim(), 'T', show(dump));
    assert.notEqual(state(pid), 'T');
  });

  it('the watchdog resumes the application after the timeout when holdfast is killed with SIGKILL', async () => {
    const pid = startApp();
    const holdfast = t.cli.start(['backup', '--stdin-from-command', 'sleep 15', '--freeze', `suspend:${pid}`, '--freeze-timeout', '3']);
    const frozenAt = await until('stopped', () => state(pid) === 'T', 20_000);
    holdfast.kill('SIGKILL');
    await new Promise((r) => holdfast.once('exit', r));
    assert.equal(state(pid), 'T', 'still stopped right after holdfast died');
    const resumedAt = await until('resumed by the watchdog', () => state(pid) !== 'T', 10_000);
    assert.ok(resumedAt - frozenAt < 3000 + 2500, `resumed ${resumedAt - frozenAt} ms after the freeze (timeout 3 s)`);
    assert.ok(resumedAt - frozenAt > 1500, 'not long before the timeout');
  });
});
