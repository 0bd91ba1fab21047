/**
 * The main thread's side of the worker threads: posts tasks to the least busy worker,
 * routes each worker's messages, in order, to the task's handler, and returns credit
 * once the handler has taken the blobs (that is the pipeline's backpressure).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HoldfastError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { Repository } from '../../repo/repository.ts';
import type { KnownIdSet } from '../../repo/index/known-set.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './protocol.ts';

export type TaskMessage = ToWorker extends infer T ? (T extends { task: number } ? Omit<T, 'task'> : never) : never;
export type TaskHandler = (msg: FromWorker) => void | Promise<void>;

interface Slot {
  readonly worker: Worker;
  readonly credit: Int32Array;
  inFlight: number;
  chain: Promise<void>;
}

interface Pending {
  readonly handler: TaskHandler;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly slot: Slot;
}

const WORKER_URL = new URL('./worker-main.ts', import.meta.url);

export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #waiters: Array<() => void> = [];
  readonly #maxInFlight: number;
  #nextTask = 1;

  constructor(repo: Repository, opts: { workers?: number; known: KnownIdSet; maxInFlight?: number; creditLimit?: number }) {
    this.#maxInFlight = opts.maxInFlight ?? 2;
    const count = Math.max(1, opts.workers ?? availableParallelism());
    for (let i = 0; i < count; i++) this.#slots.push(this.#spawn(repo, opts.known, opts.creditLimit ?? 32 << 20));
  }

  #spawn(repo: Repository, known: KnownIdSet, creditLimit: number): Slot {
    const credit = new SharedArrayBuffer(4);
    const setup: WorkerSetup = {
      encKey: repo.key.encKey, idKey: repo.key.idKey, chunkerSeed: repo.key.chunkerSeed,
      compression: repo.config.compression, known: known.buffer, credit, creditLimit,
    };
    const worker = new Worker(WORKER_URL, { workerData: setup });
    const slot: Slot = { worker, credit: new Int32Array(credit), inFlight: 0, chain: Promise.resolve() };
    worker.on('message', (msg: FromWorker) => {
      slot.chain = slot.chain.then(() => this.#route(slot, msg));
    });
    worker.on('error', (err) => this.#failAll(slot, err));
    return slot;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Resolves once some worker can take another task. */
  async whenFree(): Promise<void> {
    while (!this.#freeSlot()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  hasFree(): boolean {
    return this.#freeSlot() !== undefined;
  }

  idle(): boolean {
    return this.#slots.every((s) => s.inFlight === 0);
  }

  /** Runs a task; `sticky` pins it to one worker (tasks on one worker run in order). */
  run(msg: TaskMessage, handler: TaskHandler, sticky?: number, transfer: ArrayBuffer[] = []): { worker: number; done: Promise<void> } {
    const slot = sticky !== undefined ? this.#slots[sticky % this.#slots.length] : this.#leastBusy();
    if (!slot) throw new HoldfastError('INTERNAL', 'worker pool has no workers');
    const task = this.#nextTask++;
    slot.inFlight++;
    const done = new Promise<void>((resolve, reject) => this.#pending.set(task, { handler, resolve, reject, slot }));
    slot.worker.postMessage({ ...msg, task } as ToWorker, transfer);
    return { worker: this.#slots.indexOf(slot), done };
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #freeSlot(): Slot | undefined {
    return this.#slots.find((s) => s.inFlight < this.#maxInFlight);
  }

  #leastBusy(): Slot | undefined {
    return this.#slots.reduce<Slot | undefined>((best, s) => (!best || s.inFlight < best.inFlight ? s : best), undefined);
  }

  async #route(slot: Slot, msg: FromWorker): Promise<void> {
    const pending = this.#pending.get(msg.task);
    if (!pending) return;
    try {
      if (msg.kind === 'done') return this.#finish(msg.task, pending);
      if (msg.kind === 'failed') {
        throw new HoldfastError((msg.code as ErrorCode | undefined) ?? 'INTERNAL', msg.message);
      }
      await pending.handler(msg);
    } catch (err) {
      this.#finish(msg.task, pending, err);
    } finally {
      if (msg.kind === 'blobs') {
        Atomics.sub(slot.credit, 0, msg.bytes);
        Atomics.notify(slot.credit, 0);
      }
    }
  }

  #finish(task: number, pending: Pending, err?: unknown): void {
    this.#pending.delete(task);
    pending.slot.inFlight--;
    if (err === undefined) pending.resolve();
    else pending.reject(err);
    this.#waiters.splice(0).forEach((wake) => wake());
  }

  #failAll(slot: Slot, err: unknown): void {
    for (const [task, pending] of this.#pending) {
      if (pending.slot === slot) this.#finish(task, pending, new HoldfastError('INTERNAL', `mover worker crashed: ${String(err)}`, { cause: err }));
    }
  }
}
