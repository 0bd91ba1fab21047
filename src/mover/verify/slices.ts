/** How a verifier cuts a pack's blobs into units of work. */
import type { BlobLocation } from '../../repo/blob.ts';

/** Consecutive runs of blobs of about `sliceBytes` (at least one blob each), in order. */
export function sliceBlobs(blobs: readonly BlobLocation[], sliceBytes: number): BlobLocation[][] {
  const slices: BlobLocation[][] = [];
  let current: BlobLocation[] = [];
  let bytes = 0;
  for (const b of blobs) {
    current.push(b);
    bytes += b.length;
    if (bytes >= sliceBytes) {
      slices.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) slices.push(current);
  return slices;
}
