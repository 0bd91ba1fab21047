/**
 * Freeze modes as strategies, and the one function that holds a freeze around a
 * capture. Two guarantees, whatever fails in between:
 * - every freeze that started is thawed (in reverse order, each attempted even when
 *   another thaw fails);
 * - each strategy arms a watchdog *outside* this process when it freezes (a server
 *   session that ends itself, a detached timer process), so even a mover killed with
 *   SIGKILL leaves nothing frozen past the timeout.
 * A capture that outlived its freeze is not consistent and fails with FREEZE_EXPIRED.
 */
import type { Clock } from '../../core/clock.ts';
import { HoldfastError, messageOf } from '../../core/errors.ts';

export interface Frozen {
  /** False once the freeze ended without `thaw` (watchdog fired, session lost). */
  held(): boolean;
  /** Ends the freeze; resolves with what the release reported (e.g. a backup label), if anything. */
  thaw(): Promise<string>;
}

export interface FreezeStrategy {
  /** What is frozen, for messages: "FLUSH TABLES WITH READ LOCK on mariadb 127.0.0.1:3306". */
  readonly what: string;
  /** Freezes, bounded by `timeoutMs` through the strategy's watchdog. On failure nothing stays frozen. */
  freeze(timeoutMs: number): Promise<Frozen>;
}

/** When to thaw: as soon as the capture is cut, or only once it is ready (stored, published). */
export type ThawAt = 'cut' | 'ready';

export interface FreezeOptions {
  readonly timeoutMs: number;
  readonly thawAt: ThawAt;
  readonly clock: Clock;
  /** Told about a thaw that failed while another error is already on its way out. */
  readonly onThawError?: (what: string, err: unknown) => void;
}

export interface FreezeWindow {
  readonly frozenAt: string;
  readonly thawedAt: string;
  /** What each thaw reported, by strategy. */
  readonly released: Readonly<Record<string, string>>;
}

export interface FrozenCapture<C, R> {
  readonly cut: C;
  readonly ready: R | undefined;
  readonly window: FreezeWindow;
}

interface Held {
  readonly strategy: FreezeStrategy;
  readonly frozen: Frozen;
}

async function thawAll(held: readonly Held[], released: Record<string, string>): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const h of [...held].reverse()) {
    try {
      released[h.strategy.what] = await h.frozen.thaw();
    } catch (err) {
      errors.push(new HoldfastError('FREEZE_FAILED', `could not thaw ${h.strategy.what}: ${messageOf(err)}`, { cause: err }));
    }
  }
  return errors;
}

function checkHeld(held: readonly Held[], timeoutMs: number): void {
  const lost = held.filter((h) => !h.frozen.held());
  if (lost.length === 0) return;
  const names = lost.map((h) => h.strategy.what).join(', ');
  throw new HoldfastError('FREEZE_EXPIRED', `the freeze of ${names} ended before the capture was cut (timeout ${timeoutMs / 1000} s); the capture would not be consistent`);
}

/**
 * Freezes every strategy (in order), runs `cut`, and thaws either right after the cut
 * or after `ready`. The thaw runs whatever happens after the first freeze started.
 */
export async function captureFrozen<C, R = undefined>(
  strategies: readonly FreezeStrategy[], opts: FreezeOptions, cut: () => Promise<C>, ready?: (c: C) => Promise<R>,
): Promise<FrozenCapture<C, R>> {
  const held: Held[] = [];
  const released: Record<string, string> = {};
  let thawed = false;
  let frozenAt = opts.clock.now().toISOString();
  let thawedAt = frozenAt;
  const thaw = async (): Promise<void> => {
    thawed = true;
    const errors = await thawAll(held, released);
    thawedAt = opts.clock.now().toISOString();
    if (errors.length > 0) throw errors[0];
  };
  try {
    for (const strategy of strategies) held.push({ strategy, frozen: await strategy.freeze(opts.timeoutMs) });
    frozenAt = opts.clock.now().toISOString();
    const value = await cut();
    checkHeld(held, opts.timeoutMs);
    if (opts.thawAt === 'cut') await thaw();
    const later = ready ? await ready(value) : undefined;
    if (!thawed) await thaw();
    return { cut: value, ready: later, window: { frozenAt, thawedAt, released } };
  } finally {
    if (!thawed) {
      for (const err of await thawAll(held, released)) opts.onThawError?.('thaw', err);
    }
  }
}
