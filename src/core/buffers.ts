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
