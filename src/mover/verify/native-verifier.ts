/**
 * A `BlobVerifier` for `check --read-data` that decodes on libuv's thread pool through
 * the native addon (`native/src/verify.c`): each slice of a pack's blobs is opened,
 * decompressed and hashed in C while this thread reads the next pack. It needs no worker
 * isolates, whose ~14 MB each were most of check's memory floor (ADRs 0033, 0035).
 *
 * The addon answers only whether each blob is sound. A blob that is not is decoded
 * again here, on the same path as `inlineVerifier`, so the damage is named in the same
 * words whichever verifier found it.
 */
import { nativeWith } from '../../core/native.ts';
import { releaseBuffer } from '../../core/buffers.ts';
import { Limiter } from '../../core/limiter.ts';
import { addonKeys, blobFlags, poolCalls } from '../native-blobs.ts';
import type { AddonKeys } from '../native-blobs.ts';
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../../repo/blob.ts';
import type { BlobVerifier, DamagedBlob } from '../../repo/maintenance/blob-verifier.ts';
import type { Repository } from '../../repo/repository.ts';
import { sliceBlobs } from './slices.ts';
import { WorkerBlobVerifier } from './worker-verifier.ts';

interface NativeVerify {
  verifyBlobs(encKey: Uint8Array, dataIdKey: Uint8Array, treeIdKey: Uint8Array, pack: Uint8Array, table: Uint8Array): Promise<Uint8Array>;
}

const ENTRY_BYTES = 48;
const SLICE_BYTES = 2 << 20;

/** The addon's verifyBlobs, when it is built and its node exports zstd; else undefined. */
export function nativeVerify(): NativeVerify | undefined {
  return nativeWith<NativeVerify>('verifyBlobs');
}

export class NativeBlobVerifier implements BlobVerifier {
  readonly #repo: Repository;
  readonly #native: NativeVerify;
  readonly #keys: AddonKeys;
  readonly #sliceBytes: number;
  readonly #threads: Limiter;

  /**
   * `threads`: slices decoded at once (default: poolCalls(), which leaves libuv's pool a
   * thread free for the reads of the next pack).
   */
  constructor(repo: Repository, native: NativeVerify, opts: { threads?: number; sliceBytes?: number } = {}) {
    this.#repo = repo;
    this.#native = native;
    this.#keys = addonKeys(repo.key);
    this.#sliceBytes = opts.sliceBytes ?? SLICE_BYTES;
    this.#threads = new Limiter(poolCalls(opts.threads));
  }

  /** One pack being decoded and one being read. */
  readonly parallelism = 2;

  async verify(_pack: Id, data: Buffer, blobs: readonly BlobLocation[]): Promise<DamagedBlob[]> {
    try {
      const slices = sliceBlobs(blobs, this.#sliceBytes);
      // Every slice settles before `data` is released: the addon reads it until then.
      const settled = await Promise.allSettled(slices.map((slice) => this.#threads.run(() => this.#native.verifyBlobs(...this.#keys, data, table(slice)))));
      const statuses = settled.map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      });
      const damaged: DamagedBlob[] = [];
      slices.forEach((slice, s) => {
        slice.forEach((loc, i) => {
          const status = statuses[s]?.[i] ?? -1;
          if (status !== 0) damaged.push({ blob: loc.id, message: this.#whyDamaged(loc, data, status) });
        });
      });
      return damaged;
    } finally {
      releaseBuffer(data);
    }
  }

  /** The message decoding `loc` here gives (the addon reported `status`). */
  #whyDamaged(loc: BlobLocation, data: Buffer, status: number): string {
    try {
      this.#repo.decodeBlob(loc, data.subarray(loc.offset, loc.offset + loc.length));
    } catch (err) {
      return messageOf(err);
    }
    return `the native check failed it (status ${status}) but it decodes here: report this as a bug`;
  }


  async close(): Promise<void> {
    // Nothing to stop: every verify has settled by the time check closes its verifier.
  }
}

const U32 = 0xffff_ffff;

/**
 * The addon's table of `blobs`: offset, length, raw length, flags, id (48 bytes each). A
 * location past 32 bits (a damaged index) goes in as an empty range, which the addon
 * fails, so it is decoded here and named.
 */
function table(blobs: readonly BlobLocation[]): Buffer {
  const out = Buffer.alloc(blobs.length * ENTRY_BYTES);
  blobs.forEach((b, i) => {
    const at = i * ENTRY_BYTES;
    const fits = [b.offset, b.length, b.rawLength].every((n) => Number.isInteger(n) && n >= 0 && n <= U32);
    out.writeUInt32LE(fits ? b.offset : U32, at);
    out.writeUInt32LE(fits ? b.length : 0, at + 4);
    out.writeUInt32LE(fits ? b.rawLength : 0, at + 8);
    out.writeUInt32LE(blobFlags(b), at + 12);
    out.write(b.id, at + 16, 32, 'hex');
  });
  return out;
}

/**
 * The verifier `check --read-data` uses: the native one where the addon has it, else
 * worker threads. `workers` caps how many slices are decoded at once.
 */
export function checkVerifier(repo: Repository, opts: { workers?: number } = {}): BlobVerifier & { close(): Promise<void> } {
  const native = nativeVerify();
  if (native) return new NativeBlobVerifier(repo, native, opts.workers ? { threads: opts.workers } : {});
  return new WorkerBlobVerifier(repo, opts.workers ? { workers: opts.workers } : {});
}
