/**
 * Leader election on a `coordination.k8s.io/v1` Lease (after client-go's leaderelection):
 * of several operator replicas exactly one reconciles. A candidate takes the Lease when
 * it is free or its holder has not renewed within the lease duration, renews it every
 * retry period while leading, and gives up leadership when it could not renew within
 * the renew deadline. Writes use the Lease's resourceVersion, so two candidates never
 * both win: the loser's update is refused (409) and it stays a follower.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';

export interface LeaseRecord {
  readonly holder: string | undefined;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: Date | undefined;
  readonly renewTime: Date | undefined;
  readonly transitions: number;
}

export interface StoredLease extends LeaseRecord {
  readonly resourceVersion: string;
}

/** The Lease object as the elector needs it; `create`/`update` return false on a conflict. */
export interface LeaseStore {
  get(): Promise<StoredLease | undefined>;
  create(record: LeaseRecord): Promise<boolean>;
  update(record: LeaseRecord, resourceVersion: string): Promise<boolean>;
}

export interface ElectionOptions {
  readonly identity: string;
  readonly store: LeaseStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

export interface LeadershipCallbacks {
  /** Called once leadership is won; `lost` aborts when it ends. */
  onStartedLeading(lost: AbortSignal): void;
  /** Awaited before the Lease is released, so work stops before another replica may start it. */
  onStoppedLeading(): void | Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export class LeaderElector {
  readonly #o: Required<Omit<ElectionOptions, 'store' | 'clock' | 'logger' | 'identity'>> & ElectionOptions;
  #leading = false;

  constructor(options: ElectionOptions) {
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Campaigns until `stop` aborts; leads, and campaigns again after losing. Releases the Lease on stop. */
  async run(callbacks: LeadershipCallbacks, stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      if (!(await this.#tryAcquireOrRenew())) {
        await sleep(this.#o.retryPeriodMs, stop);
        continue;
      }
      await this.#lead(callbacks, stop);
    }
    if (this.#leading) await this.#release();
  }

  async #lead(callbacks: LeadershipCallbacks, stop: AbortSignal): Promise<void> {
    this.#leading = true;
    this.#o.logger.info({ identity: this.#o.identity }, 'became the leader');
    const lost = new AbortController();
    callbacks.onStartedLeading(lost.signal);
    let lastRenew = Date.now();
    while (!stop.aborted) {
      await sleep(this.#o.retryPeriodMs, stop);
      if (stop.aborted) break;
      if (await this.#tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > this.#o.renewDeadlineMs) {
        this.#o.logger.warn({ identity: this.#o.identity }, 'could not renew the lease in time; leadership lost');
        this.#leading = false;
        break;
      }
    }
    lost.abort();
    await callbacks.onStoppedLeading();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#o.clock.now();
    const mine = (current: StoredLease | undefined): LeaseRecord => ({
      holder: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: current?.holder === this.#o.identity ? current.acquireTime : now,
      renewTime: now,
      transitions: (current?.transitions ?? 0) + (current?.holder === this.#o.identity || current === undefined ? 0 : 1),
    });
    try {
      const current = await this.#o.store.get();
      if (current === undefined) return await this.#o.store.create(mine(undefined));
      if (current.holder !== this.#o.identity && current.holder && !expired(current, now)) return false;
      return await this.#o.store.update(mine(current), current.resourceVersion);
    } catch (err) {
      this.#o.logger.warn({ identity: this.#o.identity, err: String(err) }, 'lease request failed');
      return false;
    }
  }

  /** Hands the Lease back so a standby takes over at once instead of after the lease duration. */
  async #release(): Promise<void> {
    this.#leading = false;
    try {
      const current = await this.#o.store.get();
      if (current?.holder !== this.#o.identity) return;
      await this.#o.store.update({ ...current, holder: undefined, leaseDurationSeconds: 1, renewTime: this.#o.clock.now() }, current.resourceVersion);
    } catch (err) {
      this.#o.logger.warn({ err: String(err) }, 'could not release the lease');
    }
  }
}

function expired(lease: LeaseRecord, now: Date): boolean {
  const renewed = lease.renewTime?.getTime() ?? 0;
  return renewed + lease.leaseDurationSeconds * 1000 < now.getTime();
}
