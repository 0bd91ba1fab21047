/** The worker side of `check --read-data`: decode every listed blob of one pack. */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobRef } from '../../repo/blob-opener.ts';
import type { BlobChecker } from './blob-checker.ts';

/** The blobs that do not decrypt, decompress and hash to their id, in the order given. */
export function verifyBlobs(checker: BlobChecker, pack: Uint8Array, blobs: ReadonlyArray<BlobRef & { offset: number }>): Array<{ blob: Id; message: string }> {
  const damaged: Array<{ blob: Id; message: string }> = [];
  for (const ref of blobs) {
    try {
      checker.check(ref, pack.subarray(ref.offset, ref.offset + ref.length));
    } catch (err) {
      damaged.push({ blob: ref.id, message: messageOf(err) });
    }
  }
  return damaged;
}
