import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { LocalCommandExecutor } from '../executors/local-command.ts';
import type { Hook, Phase } from '../hooks.ts';
import { RecipeStepsFreeze } from './recipe-freeze.ts';
import type { QuiesceStep } from './recipe-freeze.ts';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

describe('recipe quiesce/unquiesce as a freeze', () => {
  let dir = '';
  let journal = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdfast-recipe-freeze-'));
    journal = join(dir, 'journal');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const sh = (script: string): string[] => ['/bin/sh', '-c', script];
  const hook = (name: string, phase: Phase, script: string): Hook => ({ name, phase, onError: 'fail', retries: 0, executor: new LocalCommandExecutor({ argv: sh(script), timeoutMs: 5000 }, ENV) });
  const lines = async (): Promise<string[]> => (await readFile(journal, 'utf8')).trim().split('\n').filter((l) => l !== '');
  const freeze = (quiesce: QuiesceStep[]): RecipeStepsFreeze => new RecipeStepsFreeze({
    what: 'quiesce of recipe t',
    quiesce,
    unquiesce: [hook('thaw-a', 'unquiesce', `echo thaw-a >> ${journal}; exit 1`), hook('thaw-b', 'unquiesce', `echo thaw-b >> ${journal}`)],
    watchdog: [sh(`echo watchdog >> ${journal}`)],
  }, ENV);
  const held = (script: string): QuiesceStep => ({
    hook: hook('hold', 'quiesce', 'true'),
    hold: { pattern: /^frozen/, stepTimeoutMs: 5000, executor: (limitMs) => new LocalCommandExecutor({ argv: sh(script), timeoutMs: limitMs }, ENV) },
  });

  it('runs quiesce in order, holds a held step, and on thaw runs every unquiesce step (reporting the failed one) and ends the held command', async () => {
    await writeFile(journal, '');
    const f = await freeze([{ hook: hook('q1', 'quiesce', `echo q1 >> ${journal}`) }, held(`echo frozen; cat > /dev/null; echo released >> ${journal}`)]).freeze(10_000);
    assert.ok(f.held());
    await assert.rejects(f.thaw(), (err: unknown) => isHoldfastError(err, 'FREEZE_FAILED') && /unquiesce step 'thaw-a' failed/.test(err.message));
    assert.deepEqual(await lines(), ['q1', 'thaw-a', 'thaw-b', 'released']);
  });

  it('unquiesces when a quiesce step fails, and reports that step', async () => {
    await writeFile(journal, '');
    await assert.rejects(freeze([{ hook: hook('q1', 'quiesce', `echo q1 >> ${journal}`) }, { hook: hook('q2', 'quiesce', 'echo "error: locked" >&2; exit 2') }]).freeze(10_000),
      (err: unknown) => isHoldfastError(err, 'FREEZE_FAILED') && err.message.startsWith("quiesce step 'q2' failed: "));
    assert.deepEqual(await lines(), ['q1', 'thaw-a', 'thaw-b']);
  });

  it('fails a held step that never reports the freeze within its time, leaving nothing frozen', async () => {
    await writeFile(journal, '');
    const step = held('sleep 30');
    const hold = step.hold;
    assert.ok(hold);
    await assert.rejects(freeze([{ ...step, hold: { ...hold, stepTimeoutMs: 300 } }]).freeze(10_000), (err: unknown) => isHoldfastError(err, 'ACTION_TIMEOUT'));
    assert.deepEqual(await lines(), ['thaw-a', 'thaw-b']);
  });

  it('is ended by the watchdog when nobody thaws it in time', async () => {
    await writeFile(journal, '');
    const f = await freeze([{ hook: hook('q1', 'quiesce', `echo q1 >> ${journal}`) }]).freeze(1000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(f.held(), false);
    assert.deepEqual(await lines(), ['q1', 'watchdog']);
    await f.thaw().catch(() => undefined);
  });
});
