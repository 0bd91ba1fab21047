import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixedClock } from '../../core/clock.ts';
import { HoldfastError, isHoldfastError } from '../../core/errors.ts';
import { captureFrozen } from './freeze.ts';
import type { FreezeOptions, FreezeStrategy, Frozen } from './freeze.ts';

interface Script {
  readonly failFreeze?: boolean;
  readonly failThaw?: boolean;
  /** held() turns false when the capture runs (the watchdog fired). */
  readonly expireDuringCut?: boolean;
}

/** A strategy that records what happens to it in a shared journal. */
function recording(name: string, journal: string[], script: Script = {}): FreezeStrategy & { expire(): void } {
  let expired = false;
  return {
    what: name,
    expire: () => { expired = true; },
    freeze: (timeoutMs): Promise<Frozen> => {
      journal.push(`freeze ${name} ${timeoutMs}`);
      if (script.failFreeze) return Promise.reject(new HoldfastError('FREEZE_FAILED', `${name} refused`));
      return Promise.resolve({
        held: () => !expired,
        thaw: () => {
          journal.push(`thaw ${name}`);
          return script.failThaw ? Promise.reject(new Error(`${name} thaw broke`)) : Promise.resolve(`label of ${name}`);
        },
      });
    },
  };
}

function options(journal: string[], thawAt: FreezeOptions['thawAt'] = 'ready'): FreezeOptions & { clock: ReturnType<typeof fixedClock> } {
  return { timeoutMs: 5000, thawAt, clock: fixedClock(new Date('2026-01-01T00:00:00Z')), onThawError: (_w, err) => journal.push(`thaw error: ${(err as Error).message}`) };
}

describe('captureFrozen', () => {
  it('freezes in order, cuts, thaws in reverse order and reports the window and what each thaw released', async () => {
    const journal: string[] = [];
    const opts = options(journal);
    const r = await captureFrozen([recording('a', journal), recording('b', journal)], opts, () => {
      journal.push('cut');
      opts.clock.advance(1500);
      return Promise.resolve(42);
    });
    assert.deepEqual(journal, ['freeze a 5000', 'freeze b 5000', 'cut', 'thaw b', 'thaw a']);
    assert.equal(r.cut, 42);
    assert.deepEqual(r.window, { frozenAt: '2026-01-01T00:00:00.000Z', thawedAt: '2026-01-01T00:00:01.500Z', released: { a: 'label of a', b: 'label of b' } });
  });

  for (const c of [
    { thawAt: 'cut' as const, order: ['freeze a 5000', 'cut', 'thaw a', 'ready 7'] },
    { thawAt: 'ready' as const, order: ['freeze a 5000', 'cut', 'ready 7', 'thaw a'] },
  ]) {
    it(`thawAt: ${c.thawAt} thaws ${c.thawAt === 'cut' ? 'before' : 'after'} the ready step`, async () => {
      const journal: string[] = [];
      const r = await captureFrozen([recording('a', journal)], options(journal, c.thawAt),
        () => { journal.push('cut'); return Promise.resolve(7); },
        (v) => { journal.push(`ready ${v}`); return Promise.resolve('published'); });
      assert.deepEqual(journal, c.order);
      assert.equal(r.ready, 'published');
    });
  }

  it('thaws everything, in reverse order, when the capture fails, and rethrows the capture error', async () => {
    const journal: string[] = [];
    await assert.rejects(
      captureFrozen([recording('a', journal), recording('b', journal)], options(journal), () => Promise.reject(new HoldfastError('DUMP_FAILED', 'dump broke'))),
      (err: unknown) => isHoldfastError(err, 'DUMP_FAILED'),
    );
    assert.deepEqual(journal, ['freeze a 5000', 'freeze b 5000', 'thaw b', 'thaw a']);
  });

  it('thaws the freezes already taken when a later freeze fails, and never cuts', async () => {
    const journal: string[] = [];
    const strategies = [recording('a', journal), recording('b', journal), recording('c', journal, { failFreeze: true }), recording('d', journal)];
    await assert.rejects(captureFrozen(strategies, options(journal), () => { journal.push('cut'); return Promise.resolve(0); }),
      (err: unknown) => isHoldfastError(err, 'FREEZE_FAILED') && err.message === 'c refused');
    assert.deepEqual(journal, ['freeze a 5000', 'freeze b 5000', 'freeze c 5000', 'thaw b', 'thaw a']);
  });

  it('thaws when the ready step fails after the cut (thawAt: ready)', async () => {
    const journal: string[] = [];
    await assert.rejects(captureFrozen([recording('a', journal)], options(journal), () => Promise.resolve(1), () => Promise.reject(new Error('publish failed'))), /publish failed/);
    assert.deepEqual(journal, ['freeze a 5000', 'thaw a']);
  });

  it('attempts every thaw when one fails, and fails with FREEZE_FAILED naming it', async () => {
    const journal: string[] = [];
    await assert.rejects(captureFrozen([recording('a', journal), recording('b', journal, { failThaw: true })], options(journal), () => Promise.resolve(1)),
      (err: unknown) => isHoldfastError(err, 'FREEZE_FAILED') && err.message === 'could not thaw b: b thaw broke');
    assert.deepEqual(journal, ['freeze a 5000', 'freeze b 5000', 'thaw b', 'thaw a']);
  });

  it('keeps the capture error and reports a failed thaw beside it', async () => {
    const journal: string[] = [];
    await assert.rejects(captureFrozen([recording('a', journal, { failThaw: true })], options(journal), () => Promise.reject(new Error('cut broke'))), /cut broke/);
    assert.deepEqual(journal, ['freeze a 5000', 'thaw a', 'thaw error: could not thaw a: a thaw broke']);
  });

  it('fails with FREEZE_EXPIRED when the capture outlived a freeze, and still thaws the others', async () => {
    const journal: string[] = [];
    const b = recording('b', journal);
    await assert.rejects(captureFrozen([recording('a', journal), b], options(journal), () => { b.expire(); journal.push('cut'); return Promise.resolve(1); }, () => { journal.push('ready'); return Promise.resolve(); }),
      (err: unknown) => {
        assert.ok(isHoldfastError(err, 'FREEZE_EXPIRED'));
        assert.equal(err.message, 'the freeze of b ended before the capture was cut (timeout 5 s); the capture would not be consistent');
        return true;
      });
    assert.deepEqual(journal, ['freeze a 5000', 'freeze b 5000', 'cut', 'thaw b', 'thaw a'], 'nothing is published from an inconsistent cut');
  });
});
