/**
 * What the addon's sealing of a backup's chunks (native/src/chunk_sealer.h: a tree's
 * files, seal_files.c; a stream's chunks, seal_chunks.c) shares on this side: its
 * functions, the settings every call takes, and the records it answers with. Each new
 * chunk is claimed here, so a chunk met twice in one backup is stored once, and its
 * sealed bytes go into the session's packs (ADR 0040).
 */
import { nativeWith } from '../../core/native.ts';
import { ClaimSet } from '../../repo/index/claim-set.ts';
import type { KnownIdSet } from '../../repo/index/known-set.ts';
import type { PackSink } from '../../repo/pack/pack-sink.ts';
import type { Repository } from '../../repo/repository.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';

/** encKey, dataIdKey, known ids, zstd level (null: none), zstd minimum match (0: the level's). */
export type SealSettings = [Uint8Array, Uint8Array, Uint8Array, number | null, number];

export interface NativeSeal {
  sealFilesStart(...args: [...SealSettings, gear: Uint8Array, minSize: number, avgSize: number, maxSize: number, paths: string[]]): object;
  sealFilesNext(job: object, out: Uint8Array): Promise<Buffer>;
  sealFilesClose(job: object): void;
  sealChunks(...args: [...SealSettings, data: Uint8Array, table: Uint8Array, out: Uint8Array]): Promise<Buffer>;
}

/** The addon's chunk sealing, where it was built with it (and node has zstd's compressor). */
export function nativeSeal(): NativeSeal | undefined {
  return nativeWith<NativeSeal>('sealFilesStart', 'sealFilesNext', 'sealFilesClose', 'sealChunks');
}

export const RECORD = 56;
/** Record kinds (chunk_sealer.h). */
export const Rec = { Done: 0, Chunk: 1, Hole: 2, File: 3, Full: 4, Need: 5 } as const;

/** A session's sealed chunks: the settings the addon gets, and where what it sealed goes. */
export class SealedChunks {
  readonly #repo: Repository;
  readonly #sink: PackSink;
  readonly #known: () => KnownIdSet;
  readonly #claims = ClaimSet.create();
  #knownBytes: Uint8Array | undefined;

  constructor(repo: Repository, sink: PackSink, known: () => KnownIdSet) {
    this.#repo = repo;
    this.#sink = sink;
    this.#known = known;
  }

  /** The calls' first five arguments; the known ids are gathered on first use. */
  settings(minMatch: number): SealSettings {
    const { key, config } = this.#repo;
    this.#knownBytes ??= new Uint8Array(this.#known().buffer);
    return [key.encKey, key.idKey, this.#knownBytes, config.compression.algorithm === 'zstd' ? config.compression.level : null, minMatch];
  }

  /**
   * The chunk or hole of the record at `at` (kind Chunk or Hole); a chunk new to the
   * session is put into a pack from `out`. `pending` is set when that filled the pack
   * (await it before the next).
   */
  take(records: Buffer, at: number, out: Buffer): { ref: ContentRef; pending: Promise<void> | undefined } {
    if (records.readUInt32LE(at) === Rec.Hole) return { ref: records.readUInt32LE(at + 8), pending: undefined };
    const id = records.toString('hex', at + 24, at + 56);
    const sealedLength = records.readUInt32LE(at + 16);
    if (sealedLength === 0 || !this.#claims.claim(records.subarray(at + 24, at + 56))) return { ref: id, pending: undefined };
    const offset = records.readUInt32LE(at + 12);
    const sealed = out.subarray(offset, offset + sealedLength);
    const pending = this.#sink.addClaimed({ id, type: 'data', rawLength: records.readUInt32LE(at + 8), compressed: records.readUInt32LE(at + 20) === 1, sealed });
    return { ref: id, pending };
  }
}
