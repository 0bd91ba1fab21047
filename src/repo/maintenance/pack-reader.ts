/**
 * Reads one pack and verifies it against its name, its own header and the index: the
 * check --read-data unit of work. Pack-level problems (unreadable, wrong hash,
 * unreadable header) come back as issues; blobs the header disagrees about, or that do
 * not decode, come back as damaged blobs, in index order.
 *
 * A pack is read in pieces of ~2 MiB cut at blob boundaries (hashed as they pass, decoded
 * while the next is read), so a 16 MiB pack is never in memory whole: on local storage a
 * read per piece, on remote storage one streamed request (`getStream`) cut as it arrives,
 * after the header's. Remote storage without a stream gets one request per pack.
 */
import { releaseBuffer } from '../../core/buffers.ts';
import { HoldfastError, isHoldfastError, messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import { Limiter } from '../../core/limiter.ts';
import type { BlobLocation } from '../blob.ts';
import { ContentHasher, contentHash } from '../crypto/keyed-hash.ts';
import { packHeaderOf, packHeaderOfTail, readPackHeader } from '../pack/pack-header.ts';
import type { Repository } from '../repository.ts';
import type { BlobVerifier, DamagedBlob } from './blob-verifier.ts';
import type { CheckIssue } from './check-report.ts';

export type { DamagedBlob } from './blob-verifier.ts';

export interface PackCheck {
  readonly pack: Id;
  readonly bytesRead: number;
  readonly issues: CheckIssue[];
  readonly damaged: DamagedBlob[];
}

/** Pieces a local pack is read in (at least this long, cut where a blob starts). */
export const PIECE_BYTES = 2 << 20;
/**
 * Local pack pieces in memory at once, over all the packs being read: two being decoded,
 * one on each pool thread, and one being read. Each pack used to keep two or three of its
 * own (4 MiB then), ~24 MiB for the two packs in flight.
 */
export const PIECES_IN_MEMORY = 3;

/** How to read a pack: its size as listed, and the pieces a local one is read in. */
export interface PackReading {
  readonly size?: number | undefined;
  readonly pieceBytes?: number | undefined;
  /**
   * Places for pieces in memory, shared by the packs read at once: a piece takes one
   * before it is read and gives it back once decoded. Without it, the pack gets
   * PIECES_IN_MEMORY of its own.
   */
  readonly pieces?: Limiter | undefined;
}

/** Reads a pack (into the verifier's buffer when it offers one, or in pieces when local) and checks it. */
export async function readPack(repo: Repository, pack: Id, indexed: readonly BlobLocation[], verifier: BlobVerifier, how: PackReading = {}): Promise<PackCheck> {
  const { size } = how;
  const pieceBytes = how.pieceBytes ?? PIECE_BYTES;
  const source = size !== undefined && size > pieceBytes ? pieceSource(repo, pack) : undefined;
  if (source) return readInPieces(repo, source, { pack, indexed, verifier, pieces: how.pieces ?? new Limiter(PIECES_IN_MEMORY) }, size as number, pieceBytes);
  const into = size !== undefined ? verifier.bufferFor?.(size) : undefined;
  let handedOver = false;
  try {
    let data: Buffer;
    try {
      data = await repo.storage.get({ type: 'data', name: pack }, undefined, into);
    } catch (err) {
      return unreadable(pack, indexed, err, 0);
    }
    handedOver = into !== undefined && data.buffer === into.buffer;
    return await checkPackBytes(repo, pack, indexed, verifier, data);
  } finally {
    if (into && !handedOver) verifier.giveBack?.(into);
  }
}

/** Checks a pack's bytes against its name, its header and the index; hands them to `verifier.verify` (which may take them over). */
async function checkPackBytes(repo: Repository, pack: Id, indexed: readonly BlobLocation[], verifier: BlobVerifier, data: Buffer): Promise<PackCheck> {
  const issues: CheckIssue[] = [];
  const bytesRead = data.byteLength;
  if (contentHash(data).toString('hex') !== pack) {
    issues.push({ severity: 'error', pack, message: `pack ${pack}: content does not match its name (damaged in storage)` });
  }
  const header = headerLocations(repo, pack, data);
  if (typeof header === 'string') issues.push({ severity: 'error', pack, message: `pack ${pack}: ${header}` });
  const disagree = typeof header === 'string' ? new Set<Id>() : headerMismatches(indexed, header);
  const toDecode = disagree.size === 0 ? indexed : indexed.filter((l) => !disagree.has(l.id));
  const verified = await verifier.verify(pack, data, toDecode);
  releaseBuffer(data);
  const failed = new Map(verified.map((d) => [d.blob, d.message]));
  return { pack, bytesRead, issues, damaged: damagedInOrder(indexed, disagree, failed) };
}

/** The damaged blobs in index order: those the header disagrees about, and those that failed to decode. */
function damagedInOrder(indexed: readonly BlobLocation[], disagree: ReadonlySet<Id>, failed: ReadonlyMap<Id, string>): DamagedBlob[] {
  const damaged: DamagedBlob[] = [];
  for (const loc of indexed) {
    if (disagree.has(loc.id)) damaged.push({ blob: loc.id, message: 'index and pack header disagree about this blob' });
    else if (failed.has(loc.id)) damaged.push({ blob: loc.id, message: failed.get(loc.id) as string });
  }
  return damaged;
}

/**
 * Reads and checks a pack piece by piece: the same findings as reading it whole. With a
 * ranged source the header is read first and blobs it disagrees about are not decoded;
 * a streamed pack's header comes from its last piece (no request of its own), so every
 * indexed blob is decoded and the disagreement is applied to the findings.
 */
async function readInPieces(repo: Repository, source: PieceSource, of: { pack: Id; indexed: readonly BlobLocation[]; verifier: BlobVerifier; pieces: Limiter }, size: number, pieceBytes: number): Promise<PackCheck> {
  const { pack, indexed, verifier } = of;
  const first = source.headerInLastPiece ? { issues: [] } : await headerFirst(repo, pack, size);
  if ('unreadable' in first) return unreadable(pack, indexed, first.unreadable, 0);
  const issues: CheckIssue[] = first.issues;
  let disagree = first.header ? headerMismatches(indexed, first.header) : new Set<Id>();
  const hasher = new ContentHasher();
  const verifying: Array<Promise<DamagedBlob[]>> = [];
  let tail: BlobLocation[] | string = 'the pack ended before its header';
  let bytesRead = 0;
  try {
    for (const piece of cutPieces(indexed.filter((l) => !disagree.has(l.id)), size, pieceBytes)) {
      const release = await of.pieces.acquire();
      let data: Buffer;
      try {
        data = await source.read(piece.start, piece.end);
      } catch (err) {
        release();
        throw err;
      }
      bytesRead += data.byteLength;
      hasher.update(data);
      // Before the piece is handed on: the verifier may free it.
      if (source.headerInLastPiece && piece.end === size) tail = headerOfTail(repo, pack, data, piece.start + data.byteLength);
      const rebased = piece.blobs.map((l) => ({ ...l, offset: l.offset - piece.start }));
      verifying.push(verifier.verify(pack, data, rebased).finally(release));
    }
  } catch (err) {
    await Promise.allSettled(verifying);
    return unreadable(pack, indexed, err, bytesRead);
  } finally {
    await source.close();
  }
  if (source.headerInLastPiece) {
    if (typeof tail === 'string') issues.push({ severity: 'error', pack, message: `pack ${pack}: header unreadable: ${tail}` });
    else disagree = headerMismatches(indexed, tail);
  }
  if (hasher.digest().toString('hex') !== pack) issues.unshift({ severity: 'error', pack, message: `pack ${pack}: content does not match its name (damaged in storage)` });
  const failed = new Map((await Promise.all(verifying)).flat().map((d) => [d.blob, d.message]));
  return { pack, bytesRead, issues, damaged: damagedInOrder(indexed, disagree, failed) };
}

/** The header read ahead of the pieces: its blobs, or the issue it is, or why the pack cannot be read at all. */
async function headerFirst(repo: Repository, pack: Id, size: number): Promise<{ header?: BlobLocation[]; issues: CheckIssue[] } | { unreadable: unknown }> {
  try {
    return { header: await readPackHeader(repo.storage, repo.key.encKey, pack, size), issues: [] };
  } catch (err) {
    if (!isHoldfastError(err, 'REPO_CORRUPT') && !isHoldfastError(err, 'AUTH_FAILED')) return { unreadable: err };
    return { issues: [{ severity: 'error', pack, message: `pack ${pack}: header unreadable: ${messageOf(err)}` }] };
  }
}

/** The header from a pack's last piece (ending at `end`), or why it cannot be read. */
function headerOfTail(repo: Repository, pack: Id, piece: Buffer, end: number): BlobLocation[] | string {
  try {
    return packHeaderOfTail(repo.key.encKey, pack, piece, end);
  } catch (err) {
    return messageOf(err);
  }
}

/** Where a pack's pieces come from, in order: [start, end) each, shorter where the pack ends first. */
interface PieceSource {
  /** Whether the header is taken from the last piece rather than read ahead (a stream reads each byte once). */
  readonly headerInLastPiece: boolean;
  read(start: number, end: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Ranged reads on local storage, one stream on remote storage that has one; undefined when a remote pack must be read whole. */
function pieceSource(repo: Repository, pack: Id): PieceSource | undefined {
  const handle = { type: 'data', name: pack } as const;
  if (repo.storage.concurrency === undefined) return { headerInLastPiece: false, read: (start, end) => repo.storage.get(handle, { offset: start, length: end - start }), close: async () => {} };
  const stream = repo.storage.getStream?.(handle);
  return stream ? new StreamPieces(stream) : undefined;
}

/** Pieces cut from one streamed read of the pack, in order, as its bytes arrive. */
class StreamPieces implements PieceSource {
  readonly headerInLastPiece = true;
  readonly #chunks: AsyncIterator<Uint8Array>;
  /** Bytes of the last chunk not yet in a piece. */
  #left: Uint8Array = new Uint8Array(0);
  #at = 0;
  #ended = false;

  constructor(stream: AsyncIterable<Uint8Array>) {
    this.#chunks = stream[Symbol.asyncIterator]();
  }

  async read(start: number, end: number): Promise<Buffer> {
    if (start !== this.#at) throw new HoldfastError('INTERNAL', `pack pieces out of order: ${start} after ${this.#at}`);
    const piece = Buffer.allocUnsafeSlow(end - start);
    let filled = 0;
    while (filled < piece.byteLength) {
      if (this.#left.byteLength === 0 && !(await this.#pull())) break;
      const take = Math.min(this.#left.byteLength, piece.byteLength - filled);
      piece.set(this.#left.subarray(0, take), filled);
      this.#left = this.#left.subarray(take);
      filled += take;
    }
    this.#at += filled;
    return filled === piece.byteLength ? piece : piece.subarray(0, filled);
  }

  async close(): Promise<void> {
    // Ends the request early when the pieces stopped before the stream did (a failed pack).
    if (!this.#ended) await this.#chunks.return?.()?.catch(() => {});
  }

  async #pull(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#chunks.next();
    if (next.done) this.#ended = true;
    else this.#left = next.value;
    return !this.#ended;
  }
}

/**
 * [start, end) ranges that cover the whole pack, each at least `pieceBytes` long (but the
 * last) and cut only where a blob starts and no earlier blob still runs, with the blobs
 * that start in each.
 */
function cutPieces(blobs: readonly BlobLocation[], size: number, pieceBytes: number): Array<{ start: number; end: number; blobs: BlobLocation[] }> {
  const pieces: Array<{ start: number; end: number; blobs: BlobLocation[] }> = [];
  let current = { start: 0, end: size, blobs: [] as BlobLocation[] };
  let reach = 0;
  for (const loc of [...blobs].sort((a, b) => a.offset - b.offset)) {
    if (loc.offset - current.start >= pieceBytes && loc.offset >= reach && loc.offset < size) {
      pieces.push({ ...current, end: loc.offset });
      current = { start: loc.offset, end: size, blobs: [] };
    }
    current.blobs.push(loc);
    reach = Math.max(reach, loc.offset + loc.length);
  }
  pieces.push(current);
  return pieces;
}

/** A pack that could not be read: one issue, and every blob it holds damaged. */
function unreadable(pack: Id, indexed: readonly BlobLocation[], err: unknown, bytesRead: number): PackCheck {
  const issue: CheckIssue = { severity: 'error', pack, message: `pack ${pack}: cannot read: ${messageOf(err)}` };
  return { pack, bytesRead, issues: [issue], damaged: indexed.map((l) => ({ blob: l.id, message: 'pack unreadable' })) };
}

/** Indexed blobs the pack's header does not list at the same offset and length. */
function headerMismatches(indexed: readonly BlobLocation[], header: readonly BlobLocation[]): Set<Id> {
  const inHeader = new Map(header.map((l) => [l.id, l]));
  const out = new Set<Id>();
  for (const loc of indexed) {
    const h = inHeader.get(loc.id);
    if (!h || h.offset !== loc.offset || h.length !== loc.length) out.add(loc.id);
  }
  return out;
}

function headerLocations(repo: Repository, pack: Id, data: Buffer): BlobLocation[] | string {
  try {
    return packHeaderOf(repo.key.encKey, pack, data);
  } catch (err) {
    return `header unreadable: ${messageOf(err)}`;
  }
}
