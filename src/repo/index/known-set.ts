/**
 * A read-only set of blob ids in a SharedArrayBuffer, so worker threads and the addon
 * (native/src/chunk_sealer.c) can tell that a chunk is already in the repository and skip
 * compressing and encrypting it. Open addressing with linear probing over 32-byte slots;
 * an all-zero slot is empty. The table is at most three quarters full (a lookup that misses
 * probes ~8 slots on average): at half full it was 8 MiB for a kernel tree's 83,000 ids,
 * as much again as the whole index.
 */
import { idToBytes } from '../../core/ids.ts';
import type { Id } from '../../core/ids.ts';

const SLOT = 32;

export class KnownIdSet {
  readonly buffer: SharedArrayBuffer;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #mask: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#bytes = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
    this.#mask = buffer.byteLength / SLOT - 1;
  }

  static build(ids: Iterable<Id>, count: number): KnownIdSet {
    const slots = slotsFor(count);
    const set = new KnownIdSet(new SharedArrayBuffer(slots * SLOT));
    for (const id of ids) set.#insert(idToBytes(id));
    return set;
  }

  /** Like `build`, from ids as 32 raw bytes each (copied in). */
  static fromBytes(ids: Iterable<Uint8Array>, count: number): KnownIdSet {
    const slots = slotsFor(count);
    const set = new KnownIdSet(new SharedArrayBuffer(slots * SLOT));
    for (const id of ids) set.#insert(id);
    return set;
  }

  static from(buffer: SharedArrayBuffer): KnownIdSet {
    return new KnownIdSet(buffer);
  }

  has(id: Uint8Array): boolean {
    let slot = this.#start(id);
    for (;;) {
      const at = slot * SLOT;
      if (this.#isEmpty(at)) return false;
      if (this.#equals(at, id)) return true;
      slot = (slot + 1) & this.#mask;
    }
  }

  #insert(id: Uint8Array): void {
    let slot = this.#start(id);
    for (;;) {
      const at = slot * SLOT;
      if (this.#isEmpty(at)) {
        this.#bytes.set(id, at);
        return;
      }
      if (this.#equals(at, id)) return;
      slot = (slot + 1) & this.#mask;
    }
  }

  #start(id: Uint8Array): number {
    return firstSlot(id, this.#mask);
  }

  #isEmpty(at: number): boolean {
    const v = this.#view;
    return v.getUint32(at) === 0 && v.getUint32(at + 4) === 0 && v.getUint32(at + 8) === 0 && v.getUint32(at + 12) === 0 &&
      v.getUint32(at + 16) === 0 && v.getUint32(at + 20) === 0 && v.getUint32(at + 24) === 0 && v.getUint32(at + 28) === 0;
  }

  #equals(at: number, id: Uint8Array): boolean {
    for (let i = 0; i < SLOT; i++) if (this.#bytes[at + i] !== id[i]) return false;
    return true;
  }
}

/** A power of two of slots, at least 16, at most three quarters of them used. */
function slotsFor(count: number): number {
  let slots = 16;
  while (slots * 3 < count * 4) slots *= 2;
  return slots;
}

/** Where probing for an id starts in a table of `mask + 1` slots (ids are hashes: their first bytes are uniform). */
export function firstSlot(id: Uint8Array, mask: number): number {
  return ((id[0] ?? 0) | ((id[1] ?? 0) << 8) | ((id[2] ?? 0) << 16) | ((id[3] ?? 0) << 24)) & mask;
}
