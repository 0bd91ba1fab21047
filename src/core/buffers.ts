/**
 * Frees a large buffer's memory now rather than at the next garbage collection: the
 * collector learns of off-heap memory only in steps, so on a data path every pack read,
 * decrypted blob and sealed chunk otherwise lingers until a collection happens to run.
 * `ArrayBuffer.prototype.transfer(0)` detaches the buffer and lets its store go.
 *
 * Only for a view that owns its whole ArrayBuffer (never a slice of a pooled or shared
 * buffer) and that nobody reads again: every other view of it becomes empty.
 */
const MIN_RELEASE = 64 << 10;

export function releaseBuffer(view: Uint8Array | undefined): void {
  const buf = view?.buffer;
  if (!view || !(buf instanceof ArrayBuffer) || view.byteOffset !== 0 || view.byteLength !== buf.byteLength || buf.byteLength < MIN_RELEASE) return;
  try {
    buf.transfer(0);
  } catch {
    // Not detachable (memory owned by native code): the collector frees it as before.
  }
}

const SCRATCH_STEP = 64 << 10;

/**
 * `current` when it holds `size` bytes, else a new scratch buffer of `size` rounded up to
 * 64 KiB (the old one freed at once). No doubling: a worker's scratch for 8 MiB chunks
 * would otherwise jump to 16 MiB on the first blob just past a power of two, and each
 * worker keeps its scratch for the whole run.
 */
export function grownScratch(current: Buffer<ArrayBuffer>, size: number): Buffer<ArrayBuffer> {
  if (current.byteLength >= size) return current;
  releaseBuffer(current);
  return Buffer.allocUnsafeSlow(Math.ceil(size / SCRATCH_STEP) * SCRATCH_STEP);
}
