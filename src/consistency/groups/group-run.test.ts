import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../../core/clock.ts';
import { isHoldfastError } from '../../core/errors.ts';
import { runGroup } from './group-run.ts';
import type { GroupDeps } from './group-run.ts';
import type { GroupSpec } from './group-spec.ts';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

describe('runGroup', () => {
  let dir = '';
  let journal = '';
  let processes = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdfast-group-'));
    journal = join(dir, 'journal');
    processes = join(dir, 'processes');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const spec = (extra: Partial<GroupSpec> = {}): GroupSpec => ({
    name: 'g',
    // No native freezes: the pause command alone pauses the group.
    members: [{ url: 'redis://127.0.0.1:1', freeze: false }, { url: 'mariadb://127.0.0.1:1/orders', freeze: false }],
    pause: { pause: ['/bin/sh', '-c', `echo pause >> ${journal}`], resume: ['/bin/sh', '-c', `echo resume >> ${journal}`] },
    probe: { shell: `cat ${processes}` },
    clockSkewMarginMs: 2000,
    timeoutMs: 30_000,
    ...extra,
  });
  const deps = (): GroupDeps & { clock: ReturnType<typeof fixedClock> } => {
    const clock = fixedClock(new Date('2026-03-01T12:00:00Z'));
    return { env: ENV, clock, sleep: async (ms) => { await appendFile(journal, `wait ${ms}\n`); clock.advance(ms); } };
  };
  const reset = async (): Promise<void> => {
    await writeFile(journal, '');
    await writeFile(processes, '{"name":"app","pid":100,"state":"running","restarts":0}\n');
  };

  it('pauses, waits the margin, captures each member, records the window, resumes; unchanged probe → consistent', async () => {
    await reset();
    const d = deps();
    const r = await runGroup(spec(), d, async (m, pausedAt) => {
      await appendFile(journal, `capture ${m.url} ${pausedAt}\n`);
      d.clock.advance(500);
      return m.url;
    });
    assert.deepEqual((await readFile(journal, 'utf8')).trim().split('\n'), [
      'pause', 'wait 2000',
      'capture redis://127.0.0.1:1 2026-03-01T12:00:00.000Z', 'capture mariadb://127.0.0.1:1/orders 2026-03-01T12:00:00.000Z',
      'resume',
    ]);
    assert.deepEqual(r, {
      captures: ['redis://127.0.0.1:1', 'mariadb://127.0.0.1:1/orders'],
      window: { pausedAt: '2026-03-01T12:00:00.000Z', unpausedAt: '2026-03-01T12:00:03.000Z' },
      consistent: true, changes: [],
    });
  });

  it('is inconsistent when a process changed while paused, and keeps the captures', async () => {
    await reset();
    const r = await runGroup(spec(), deps(), async (m) => {
      await writeFile(processes, '{"name":"app","pid":200,"state":"running","restarts":1}\n');
      return m.url;
    });
    assert.equal(r.consistent, false);
    assert.deepEqual(r.changes, ['app: pid 100 → 200', 'app: restarts 0 → 1']);
    assert.equal(r.captures.length, 2);
  });

  it('is inconsistent when the probe after the pause fails', async () => {
    await reset();
    const r = await runGroup(spec(), deps(), async () => { await rm(processes, { force: true }); });
    assert.equal(r.consistent, false);
    assert.match(r.changes[0] ?? '', /^the members probe after the pause failed: shell 'cat .*' exited with status 1: cat: .*No such file/);
  });

  it('resumes when a capture fails, and rethrows its error', async () => {
    await reset();
    await assert.rejects(runGroup(spec(), deps(), () => Promise.reject(new Error('dump broke'))), /dump broke/);
    assert.deepEqual((await readFile(journal, 'utf8')).trim().split('\n'), ['pause', 'wait 2000', 'resume']);
  });

  it('does not pause when the first probe fails', async () => {
    await reset();
    await assert.rejects(runGroup(spec({ probe: { shell: 'echo nonsense' } }), deps(), () => Promise.resolve()), (err: unknown) => isHoldfastError(err, 'ACTION_FAILED'));
    assert.equal(await readFile(journal, 'utf8'), '');
  });

  it('refuses a group that nothing pauses', async () => {
    const { pause: _p, ...rest } = spec();
    await assert.rejects(runGroup(rest, deps(), () => Promise.resolve()), (err: unknown) =>
      isHoldfastError(err, 'CONFIG_INVALID') && err.message === 'group g: nothing pauses it (no pause command, no member with a native freeze)');
  });
});
