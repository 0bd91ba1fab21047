/**
 * A controller: watch sources turn object events into keys (`namespace/name`), a work
 * queue collapses them, and a few workers run the reconciler on each key. A reconcile
 * that throws is retried with the key's backoff; one that asks to requeue is run again
 * after that delay; every known key is requeued each resync period, so a missed event
 * costs at most one period.
 */
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { WorkQueue } from './work-queue.ts';

export interface ReconcileResult {
  /** Run again after this many milliseconds (e.g. to poll a Job, or the next schedule). */
  readonly requeueAfterMs?: number;
}

export interface Reconciler {
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | undefined>;
}

/** Where keys come from: an informer on a resource, or a mapping from related objects. */
export interface WatchSource {
  start(enqueue: (key: string) => void): Promise<void>;
  /** Every key the source currently knows, for resyncs. */
  keys(): string[];
  stop(): Promise<void>;
}

export interface ControllerOptions {
  readonly name: string;
  readonly reconciler: Reconciler;
  readonly sources: readonly WatchSource[];
  readonly logger: Logger;
  readonly workers?: number;
  readonly resyncMs?: number;
  readonly queue?: WorkQueue;
  /** Called after every reconcile, for metrics. */
  readonly observe?: (outcome: { controller: string; key: string; ms: number; error?: unknown }) => void;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #o: ControllerOptions;
  #resync: NodeJS.Timeout | undefined;
  #workers: Promise<void>[] = [];
  #abort = new AbortController();

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.name = options.name;
    this.queue = options.queue ?? new WorkQueue();
  }

  async start(): Promise<void> {
    const enqueue = (key: string): void => this.queue.add(key);
    for (const source of this.#o.sources) await source.start(enqueue);
    const resyncMs = this.#o.resyncMs ?? 10 * 60_000;
    this.#resync = setInterval(() => {
      for (const source of this.#o.sources) for (const key of source.keys()) this.queue.add(key);
    }, resyncMs);
    this.#resync.unref();
    this.#workers = Array.from({ length: this.#o.workers ?? 2 }, () => this.#work());
  }

  /** Stops taking keys, lets running reconciles finish (they see the abort signal), stops the sources. */
  async stop(): Promise<void> {
    clearInterval(this.#resync);
    this.#abort.abort(new HoldfastError('INTERRUPTED', `the ${this.name} controller is stopping`));
    this.queue.shutDown();
    await Promise.all(this.#workers);
    for (const source of this.#o.sources) await source.stop();
  }

  async #work(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      await this.#process(key);
    }
  }

  async #process(key: string): Promise<void> {
    const started = Date.now();
    const log = this.#o.logger.child({ controller: this.name, key });
    try {
      const result = await this.#o.reconciler.reconcile(key, this.#abort.signal);
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      this.#o.observe?.({ controller: this.name, key, ms: Date.now() - started });
    } catch (err) {
      if (this.#abort.signal.aborted) {
        log.info({ error: messageOf(err) }, 'reconcile interrupted: the controller is stopping');
        return;
      }
      const delay = this.queue.addRateLimited(key);
      log.warn({ error: messageOf(err), retryInMs: delay, failures: this.queue.failures(key) }, 'reconcile failed; retrying');
      this.#o.observe?.({ controller: this.name, key, ms: Date.now() - started, error: err });
    } finally {
      this.queue.done(key);
    }
  }
}
