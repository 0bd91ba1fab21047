/**
 * The blob ids a backup session has started to store, shared by its worker threads, so
 * that of two workers meeting the same new chunk only the first compresses, encrypts and
 * packs it (restic's "pending" blobs). `claim` inserts an id and says whether this caller
 * was first.
 *
 * A fixed table in a SharedArrayBuffer: 16-byte keys (the first half of the 32-byte
 * keyed id: a false match among 10^9 blobs has odds below 10^-20), open addressing,
 * one spin lock taken for a few hundred nanoseconds per claim. The table is not grown:
 * past three quarters full, `claim` answers true (store it) without remembering, so a
 * session with more new blobs than the table holds may pack a chunk twice. That costs
 * space, never data: the index keeps one location and `prune` drops the other copy.
 * Pages of the table become resident only as they are written.
 */
import { firstSlot } from './known-set.ts';

const KEY = 16;
const LOCK = 0;
const COUNT = 1;
const HEADER = 8;

export class ClaimSet {
  readonly buffer: SharedArrayBuffer;
  readonly #state: Int32Array;
  readonly #keys: Uint8Array;
  readonly #view: DataView;
  readonly #mask: number;
  readonly #limit: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#state = new Int32Array(buffer, 0, 2);
    this.#keys = new Uint8Array(buffer, HEADER);
    this.#view = new DataView(buffer, HEADER);
    const slots = (buffer.byteLength - HEADER) / KEY;
    this.#mask = slots - 1;
    this.#limit = (slots * 3) >>> 2;
  }

  /** A table of `slots` keys (a power of two; 2^18 = 4 MiB holds ~196,000 claims). */
  static create(slots = 1 << 18): ClaimSet {
    if (slots < 2 || (slots & (slots - 1)) !== 0) throw new RangeError(`claim table size must be a power of two, got ${slots}`);
    return new ClaimSet(new SharedArrayBuffer(HEADER + slots * KEY));
  }

  static from(buffer: SharedArrayBuffer): ClaimSet {
    return new ClaimSet(buffer);
  }

  /** Claims a 32-byte id: true when no one claimed it before (or the table is full). */
  claim(id: Uint8Array): boolean {
    this.#lock();
    try {
      return this.#insert(id);
    } finally {
      Atomics.store(this.#state, LOCK, 0);
    }
  }

  /** Claims so far (those remembered). */
  get size(): number {
    return Atomics.load(this.#state, COUNT);
  }

  #insert(id: Uint8Array): boolean {
    let slot = firstSlot(id, this.#mask);
    for (;;) {
      const at = slot * KEY;
      if (this.#isEmpty(at)) break;
      if (this.#equals(at, id)) return false;
      slot = (slot + 1) & this.#mask;
    }
    const count = this.#state[COUNT] as number;
    if (count >= this.#limit) return true;
    this.#keys.set(id.subarray(0, KEY), slot * KEY);
    this.#state[COUNT] = count + 1;
    return true;
  }

  /** Spins briefly (the holder is done within microseconds), then sleeps a millisecond at a time: workers only, the main thread may not wait. */
  #lock(): void {
    for (let spins = 0; Atomics.compareExchange(this.#state, LOCK, 0, 1) !== 0; spins++) {
      if (spins > 1000) Atomics.wait(this.#state, LOCK, 1, 1);
    }
  }

  #isEmpty(at: number): boolean {
    const v = this.#view;
    return v.getUint32(at) === 0 && v.getUint32(at + 4) === 0 && v.getUint32(at + 8) === 0 && v.getUint32(at + 12) === 0;
  }

  #equals(at: number, id: Uint8Array): boolean {
    for (let i = 0; i < KEY; i++) if (this.#keys[at + i] !== id[i]) return false;
    return true;
  }
}
