/**
 * The main thread's side of the worker threads: posts tasks to the least busy worker,
 * routes each worker's messages, in order, to the task's handler, and returns credit
 * once the handler has taken the blobs (that is the pipeline's backpressure).
 *
 * Workers start on the first task (or `start()`): a backup that finds every file
 * unchanged never pays for loading them, and the known-id set they share is built only
 * then, from the index as it is at that moment.
 *
 * Each worker fills its own data pack and hands finished ones over (`pack` messages) to
 * `onPack`; `finishPacks` makes them hand over what they hold. Pack files of workers
 * that never finished (a failed or stopped session) are removed on `close`.
 */
import { readdirSync, rmSync } from 'node:fs';
import module from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { HoldfastError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { Repository } from '../../repo/repository.ts';
import { KnownIdSet } from '../../repo/index/known-set.ts';
import { ClaimSet } from '../../repo/index/claim-set.ts';
import type { FinishedPack } from '../../repo/pack/pack-sink.ts';
import type { FromWorker, PackSetup, ToWorker, WorkerBoot, WorkerSetup } from './protocol.ts';

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
/**
 * Workers start through a two-line plain script that turns on Node's compile cache
 * before it loads the TypeScript entry: with the stripped sources cached, a worker does
 * not load the type stripper (a WebAssembly module, ~12 MB per thread) and starts faster.
 * They share the main thread's cache folder when it has one (src/bin/holdfast-start.js).
 */
/** The main thread's cache root (Node reports the version folder inside it). */
const CACHE_DIR = ((dir) => (dir ? dirname(dir) : undefined))(module.getCompileCacheDir?.());
const WORKER_BOOT = `require('node:module').enableCompileCache?.(${CACHE_DIR ? JSON.stringify(CACHE_DIR) : ''}); import(${JSON.stringify(WORKER_URL.href)});`;

/**
 * Workers keep little on their heaps (their data is in ArrayBuffers): a young generation
 * of 2 MiB semi-spaces, whatever the main thread's, keeps each isolate small.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 6 };

/**
 * Workers started ahead of any pool, while the repository opens (the key derivation
 * leaves a CPU free): a pool takes them before it spawns its own, and hands each its
 * setup as the first message. Until then they do not keep the process alive.
 */
const warm: Worker[] = [];

/** Starts `count` workers now, for the next pool (restore, check --read-data, a stream backup). */
export function prewarmWorkers(count = availableParallelism()): void {
  while (warm.length < count) {
    const worker = new Worker(WORKER_BOOT, { eval: true, resourceLimits: WORKER_LIMITS });
    worker.unref();
    worker.once('error', () => {
      const at = warm.indexOf(worker);
      if (at >= 0) warm.splice(at, 1); // a pool will start a worker of its own instead
    });
    warm.push(worker);
  }
}

/** A warm worker given `setup`, or a new one started with it. */
function workerWith(setup: WorkerSetup): Worker {
  const worker = warm.shift();
  if (!worker) return new Worker(WORKER_BOOT, { eval: true, workerData: setup, resourceLimits: WORKER_LIMITS });
  worker.removeAllListeners('error');
  worker.ref();
  worker.postMessage({ kind: 'setup', setup } satisfies WorkerBoot);
  return worker;
}

export interface WorkerPoolOptions {
  readonly workers?: number;
  /** Ids the workers skip sealing; a function is called once, when the workers start. */
  readonly known?: KnownIdSet | (() => KnownIdSet);
  readonly maxInFlight?: number;
  /**
   * Start one worker and add the others only when every worker already has `maxInFlight`
   * tasks: a backup that finds few changed files then runs on one isolate (~14 MB and its
   * buffers less, ADR 0033). Not for sticky tasks, whose worker is `sticky % size`.
   */
  readonly grow?: boolean;
  /** Pack bytes a worker may have handed over and not yet seen taken (default: one pack). */
  readonly creditLimit?: number;
  /** Takes a pack a worker finished; the worker is held to its credit until this resolves. */
  readonly onPack?: (pack: FinishedPack) => Promise<void>;
}

export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #waiters: Array<() => void> = [];
  readonly #maxInFlight: number;
  readonly #count: number;
  readonly #repo: Repository;
  readonly #opts: WorkerPoolOptions;
  #nextTask = 1;
  #tempBase: string | undefined;
  #sets: { known: KnownIdSet; claims: ClaimSet } | undefined;

  constructor(repo: Repository, opts: WorkerPoolOptions = {}) {
    this.#repo = repo;
    this.#opts = opts;
    this.#maxInFlight = opts.maxInFlight ?? 2;
    this.#count = Math.max(1, opts.workers ?? availableParallelism());
  }

  /** Starts the workers now rather than on the first task (they load while the caller works). */
  start(): void {
    if (this.#slots.length > 0) return;
    const k = this.#opts.known ?? KnownIdSet.build([], 0);
    this.#sets = { known: typeof k === 'function' ? k() : k, claims: ClaimSet.create() };
    this.#tempBase = this.#repo.storage.files?.tempPath();
    const first = this.#opts.grow ? 1 : this.#count;
    for (let i = 0; i < first; i++) this.#addWorker();
    for (const extra of warm.splice(0)) void extra.terminate();
  }

  #addWorker(): Slot {
    const sets = this.#sets as { known: KnownIdSet; claims: ClaimSet };
    const slot = this.#spawn(sets.known, sets.claims, this.#packSetup(this.#slots.length));
    this.#slots.push(slot);
    return slot;
  }

  /** Whether a task now would start another worker (`grow`, and every worker is full). */
  #wouldGrow(): boolean {
    return this.#opts.grow === true && this.#slots.length > 0 && this.#slots.length < this.#count && this.#freeSlot() === undefined;
  }

  #packSetup(worker: number): PackSetup {
    const packSize = this.#repo.config.packSize;
    return {
      packSize, credit: new SharedArrayBuffer(4), creditLimit: this.#opts.creditLimit ?? packSize,
      ...(this.#tempBase !== undefined ? { tempPrefix: `${this.#tempBase}-w${worker}` } : {}),
    };
  }

  #spawn(known: KnownIdSet, claims: ClaimSet, packs: PackSetup): Slot {
    const repo = this.#repo;
    const credit = packs.credit;
    const setup: WorkerSetup = {
      encKey: repo.key.encKey, idKey: repo.key.idKey, chunkerSeed: repo.key.chunkerSeed,
      compression: repo.config.compression, known: known.buffer, claims: claims.buffer, packs,
    };
    const worker = workerWith(setup);
    const slot: Slot = { worker, credit: new Int32Array(credit), inFlight: 0, chain: Promise.resolve() };
    worker.on('message', (msg: FromWorker) => {
      slot.chain = slot.chain.then(() => this.#route(slot, msg));
    });
    worker.on('error', (err) => this.#failAll(slot, err));
    return slot;
  }

  get size(): number {
    return this.#count;
  }

  /** Workers started so far (fewer than `size` while a growing pool has not needed them). */
  get started(): number {
    return this.#slots.length;
  }

  /** Resolves once some worker can take another task. */
  async whenFree(): Promise<void> {
    while (!this.hasFree()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  hasFree(): boolean {
    return this.#slots.length === 0 || this.#freeSlot() !== undefined || this.#wouldGrow();
  }

  idle(): boolean {
    return this.#slots.every((s) => s.inFlight === 0);
  }

  /** Runs a task; `sticky` pins it to one worker (tasks on one worker run in order). */
  run(msg: TaskMessage, handler: TaskHandler, sticky?: number, transfer: ArrayBuffer[] = []): { worker: number; done: Promise<void> } {
    this.start();
    if (sticky === undefined && this.#wouldGrow()) this.#addWorker();
    const slot = sticky !== undefined ? this.#slots[sticky % this.#slots.length] : this.#leastBusy();
    if (!slot) throw new HoldfastError('INTERNAL', 'worker pool has no workers');
    const task = this.#nextTask++;
    slot.inFlight++;
    const done = new Promise<void>((resolve, reject) => this.#pending.set(task, { handler, resolve, reject, slot }));
    slot.worker.postMessage({ ...msg, task } as ToWorker, transfer);
    return { worker: this.#slots.indexOf(slot), done };
  }

  /** Has every worker hand over the pack it is filling (after its tasks so far). */
  async finishPacks(): Promise<void> {
    const noop = (): void => {};
    await Promise.all(this.#slots.map((_, i) => this.run({ kind: 'finish-pack' }, noop, i).done));
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#removePackFiles();
  }

  /** Pack files the workers left (stopped mid-pack, or handed over and never taken). */
  #removePackFiles(): void {
    const base = this.#tempBase;
    if (base === undefined) return;
    let names: string[];
    try {
      names = readdirSync(dirname(base));
    } catch {
      return;
    }
    for (const name of names) if (name.startsWith(`${basename(base)}-w`)) rmSync(join(dirname(base), name), { force: true });
  }

  #freeSlot(): Slot | undefined {
    return this.#slots.find((s) => s.inFlight < this.#maxInFlight);
  }

  #leastBusy(): Slot | undefined {
    return this.#slots.reduce<Slot | undefined>((best, s) => (!best || s.inFlight < best.inFlight ? s : best), undefined);
  }

  async #route(slot: Slot, msg: FromWorker): Promise<void> {
    const pending = this.#pending.get(msg.task);
    if (!pending) return msg.kind === 'pack' ? release(slot, msg.pack.size) : undefined;
    try {
      if (msg.kind === 'done') return this.#finish(msg.task, pending);
      if (msg.kind === 'failed') {
        throw new HoldfastError((msg.code as ErrorCode | undefined) ?? 'INTERNAL', msg.message);
      }
      await (msg.kind === 'pack' ? this.#takePack(msg.pack) : pending.handler(msg));
    } catch (err) {
      this.#finish(msg.task, pending, err);
    } finally {
      if (msg.kind === 'pack') release(slot, msg.pack.size);
    }
  }

  async #takePack(pack: FinishedPack): Promise<void> {
    if (!this.#opts.onPack) throw new HoldfastError('INTERNAL', `a worker finished pack ${pack.name} but nothing takes packs`);
    await this.#opts.onPack(pack);
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

/** Gives a worker back the credit of a pack that was taken (or dropped with its failed task). */
function release(slot: Slot, bytes: number): void {
  Atomics.sub(slot.credit, 0, bytes);
  Atomics.notify(slot.credit, 0);
}
