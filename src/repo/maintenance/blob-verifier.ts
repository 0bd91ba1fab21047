/**
 * The CPU-heavy part of `check --read-data`: decrypting, decompressing and
 * authenticating every blob of a pack. `check` owns reading packs and matching them to
 * the index; this seam lets a caller run the decoding elsewhere (the CLI hands in one
 * backed by the mover's worker threads), while `inlineVerifier` decodes on this thread.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../blob.ts';
import type { Repository } from '../repository.ts';

export interface DamagedBlob {
  readonly blob: Id;
  readonly message: string;
}

export interface BlobVerifier {
  /** How many packs `check` keeps in flight (read and being verified) at once. */
  readonly parallelism: number;
  /**
   * Decodes each of `blobs` from `data` (the whole pack) and returns those that fail, in
   * the order given. May take over `data`: the caller must not use it afterwards.
   */
  verify(pack: Id, data: Buffer, blobs: readonly BlobLocation[]): Promise<DamagedBlob[]>;
  /**
   * A buffer to read a pack of `size` bytes into, which `verify` then decodes in place
   * (no copy into the verifier's own memory); `giveBack` returns one that was not used.
   */
  bufferFor?(size: number): Uint8Array;
  giveBack?(buffer: Uint8Array): void;
}

/** Decodes on the calling thread, reading up to three packs ahead. */
export function inlineVerifier(repo: Repository): BlobVerifier {
  return {
    parallelism: 3,
    verify: async (_pack, data, blobs) => {
      const damaged: DamagedBlob[] = [];
      for (const loc of blobs) {
        try {
          repo.decodeBlob(loc, data.subarray(loc.offset, loc.offset + loc.length));
        } catch (err) {
          damaged.push({ blob: loc.id, message: messageOf(err) });
        }
      }
      return damaged;
    },
  };
}
