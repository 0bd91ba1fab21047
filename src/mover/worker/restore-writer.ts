/**
 * The worker side of a restore: open the blobs of the pack ranges it was handed
 * (authenticating each), and write file pieces at their offsets; zero runs stay holes.
 */
import { closeSync, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, writeSync } from 'node:fs';
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobRef } from '../../repo/blob-opener.ts';
import type { BlobChecker } from './blob-checker.ts';
import type { PackRange, RestoreMeta, RestorePiece, ToWorker } from './protocol.ts';

type RestoreTask = Extract<ToWorker, { kind: 'restore' }>;

export function runRestore(opener: BlobChecker, task: RestoreTask): { bytes: number; errors: Array<{ path: string; message: string }> } {
  const blobs = new BlobSource(opener, task);
  const errors: Array<{ path: string; message: string }> = [];
  let bytes = 0;
  for (const piece of task.pieces) {
    try {
      bytes += writePiece(piece, blobs, task.ownership, task.umask);
    } catch (err) {
      errors.push({ path: piece.path, message: messageOf(err) });
    }
  }
  return { bytes, errors };
}

/**
 * Opens the task's blobs as the pieces ask for them. A blob is decoded into a reused
 * buffer and written at once; only a blob that later pieces of the task use again is
 * kept (copied) until its last use, so a task holds its sealed ranges and little more.
 */
class BlobSource {
  readonly #opener: BlobChecker;
  readonly #ranges: PackRange[];
  readonly #refs = new Map<Id, BlobRef & { offset: number }>();
  readonly #uses = new Map<Id, number>();
  readonly #kept = new Map<Id, Uint8Array>();

  constructor(opener: BlobChecker, task: RestoreTask) {
    this.#opener = opener;
    this.#ranges = task.ranges;
    for (const r of task.blobs) this.#refs.set(r.id, r);
    for (const piece of task.pieces) {
      for (const ref of piece.refs) if (typeof ref === 'string') this.#uses.set(ref, (this.#uses.get(ref) ?? 0) + 1);
    }
  }

  /** The blob's plaintext, valid until the next call. */
  get(id: Id): Uint8Array {
    const left = (this.#uses.get(id) ?? 1) - 1;
    this.#uses.set(id, left);
    const kept = this.#kept.get(id);
    if (kept) {
      if (left <= 0) this.#kept.delete(id);
      return kept;
    }
    const plain = this.#open(id);
    if (left > 0) this.#kept.set(id, Uint8Array.prototype.slice.call(plain));
    return plain;
  }

  #open(id: Id): Uint8Array {
    const ref = this.#refs.get(id);
    if (!ref) throw new Error(`blob ${id} was not sent with the restore task`);
    const range = this.#ranges[rangeOf(this.#ranges, ref)];
    if (!range) throw new Error(`blob ${id} is outside the pack ranges read`);
    const start = ref.offset - range.offset;
    return this.#opener.openTransient(ref, range.data.subarray(start, start + ref.length), true);
  }
}

/** The index of the range read that holds all of `ref`'s bytes, or -1. */
export function rangeOf(ranges: readonly PackRange[], ref: BlobRef & { offset: number }): number {
  return ranges.findIndex((r) => r.pack === ref.pack && r.offset <= ref.offset && ref.offset + ref.length <= r.offset + r.data.byteLength);
}

/**
 * A file's first piece opens it with O_TRUNC (empty, whatever was there) and later pieces
 * write after it, so the file only needs extending when its last piece ends in a hole
 * (a zero run or skipped zero blocks): one ftruncate then, none for most files.
 *
 * `umask` is given when every file is new (a fresh target): a file written in one piece
 * is then created with its mode, and needs no chmod when the umask leaves that mode as it
 * is (no set-id or sticky bits, no bit the umask clears).
 */
function writePiece(piece: RestorePiece, blobs: BlobSource, ownership: boolean, umask: number | undefined): number {
  const createMode = piece.create && piece.meta && umask !== undefined ? exactCreateMode(piece.meta.mode, umask) : undefined;
  const fd = openSync(piece.path, piece.create ? 'w' : 'r+', createMode ?? 0o666);
  let written = 0;
  try {
    let pos = piece.fileOffset;
    let end = 0;
    for (const ref of piece.refs) {
      if (typeof ref === 'number') {
        pos += ref;
        continue;
      }
      const data = blobs.get(ref);
      end = Math.max(end, writeSkippingZeros(fd, data, pos));
      pos += data.byteLength;
      written += data.byteLength;
    }
    if (piece.meta) {
      if (end < piece.size) ftruncateSync(fd, piece.size);
      applyMeta(fd, piece.meta, ownership, createMode === undefined);
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.byteLength) done += writeSync(fd, data, done, data.byteLength - done, position + done);
}

const ZERO_BLOCK = 64 << 10;
const ZEROS = new Uint8Array(ZERO_BLOCK);

/**
 * Into a fresh file: skip aligned all-zero blocks, keeping them holes. Every piece writes
 * into holes: the first piece of a file empties it, and the later pieces reach the same
 * worker after it, in file order (PieceScheduler), each into its own range. Returns the
 * file offset just past the last byte written, 0 when none was.
 */
function writeSkippingZeros(fd: number, data: Uint8Array, position: number): number {
  if (data.byteLength < 2 * ZERO_BLOCK) {
    writeAll(fd, data, position);
    return position + data.byteLength;
  }
  let runStart = 0;
  let end = 0;
  for (let at = 0; at < data.byteLength; at += ZERO_BLOCK) {
    const stop = Math.min(at + ZERO_BLOCK, data.byteLength);
    if (stop - at === ZERO_BLOCK && Buffer.compare(data.subarray(at, stop), ZEROS) === 0) {
      if (at > runStart) {
        writeAll(fd, data.subarray(runStart, at), position + runStart);
        end = position + at;
      }
      runStart = stop;
    }
  }
  if (runStart === data.byteLength) return end;
  writeAll(fd, data.subarray(runStart), position + runStart);
  return position + data.byteLength;
}

/** The mode to create a file with so that it needs no chmod, if there is one. */
function exactCreateMode(mode: number, umask: number): number | undefined {
  const bits = mode & 0o7777;
  return (bits & ~umask) === bits && bits <= 0o777 ? bits : undefined;
}

function applyMeta(fd: number, meta: RestoreMeta, ownership: boolean, chmod: boolean): void {
  if (ownership) fchownSync(fd, meta.uid, meta.gid);
  if (chmod) fchmodSync(fd, meta.mode & 0o7777);
  futimesSync(fd, meta.mtime / 1000, meta.mtime / 1000);
}
