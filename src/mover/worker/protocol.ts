/**
 * Messages between the mover's main thread and its worker threads. The main thread walks
 * sources, stores and indexes packs and talks to storage; workers do the CPU work: read
 * and chunk files, hash, compress, encrypt and pack (each worker fills its own data
 * pack), on restore decrypt, verify and write, and
 * for `check --read-data` decode blobs of a pack (`verify`: the pack's bytes are in
 * shared memory, so several workers can take slices of one pack without copies).
 */
import type { Id } from '../../core/ids.ts';
import type { BlobRef } from '../../repo/blob-opener.ts';
import type { CompressionSettings } from '../../repo/compression.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import type { FinishedPack } from '../../repo/pack/pack-sink.ts';
import type { ContentRef, NodeType } from '../../repo/tree/tree.ts';

/** How a worker assembles its data packs. */
export interface PackSetup {
  readonly packSize: number;
  /** Pack files are `<tempPrefix>-<n>` (the storage's temporary place); absent: packs in memory. */
  readonly tempPrefix?: string;
  /** Int32 counter of pack bytes handed to the main thread and not yet taken. */
  readonly credit: SharedArrayBuffer;
  readonly creditLimit: number;
}

export interface WorkerSetup {
  readonly encKey: Uint8Array;
  readonly idKey: Uint8Array;
  readonly chunkerSeed: Uint8Array;
  readonly compression: CompressionSettings;
  /** Data blob ids the repository holds (KnownIdSet). */
  readonly known: SharedArrayBuffer;
  /** Data blob ids this session's workers are storing (ClaimSet). */
  readonly claims: SharedArrayBuffer;
  readonly packs: PackSetup;
}

/** The first message to a worker started without its setup (prewarmWorkers). */
export interface WorkerBoot {
  readonly kind: 'setup';
  readonly setup: WorkerSetup;
}

export interface FileJob {
  readonly index: number;
  readonly path: string;
}

/** A chunk of a stream: `length` bytes at `offset` of its task's `data`. */
export interface ChunkJob {
  readonly seq: number;
  readonly offset: number;
  readonly length: number;
}

export interface RestoreMeta {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
}

/** One file, or a part of one, to write on restore. */
export interface RestorePiece {
  readonly path: string;
  readonly fileOffset: number;
  readonly refs: readonly ContentRef[];
  /** Create (truncate to `size`) before writing. */
  readonly create: boolean;
  readonly size: number;
  /** Apply metadata after writing (last piece of the file). */
  readonly meta?: RestoreMeta;
  readonly type?: NodeType;
}

export interface PackRange {
  readonly pack: Id;
  readonly offset: number;
  readonly data: Uint8Array;
}

export type ToWorker =
  | { kind: 'files'; task: number; profile: ChunkerParams; files: FileJob[] }
  | { kind: 'chunks'; task: number; data: Uint8Array; chunks: ChunkJob[] }
  | { kind: 'restore'; task: number; ranges: PackRange[]; blobs: Array<BlobRef & { offset: number }>; pieces: RestorePiece[]; ownership: boolean; umask?: number }
  | { kind: 'verify'; task: number; data: Uint8Array; blobs: Array<BlobRef & { offset: number }> }
  | { kind: 'finish-pack'; task: number };

export interface FileDone {
  readonly index: number;
  readonly content: ContentRef[];
  readonly bytesRead: number;
  readonly error?: string;
}

/** `files`: the files of a task finished so far; `pack`: a data pack the worker finished. */
export type FromWorker =
  | { kind: 'files'; task: number; files: FileDone[] }
  | { kind: 'pack'; task: number; pack: FinishedPack }
  | { kind: 'chunks'; task: number; refs: Array<{ seq: number; ref: ContentRef }> }
  | { kind: 'restored'; task: number; bytes: number; errors: Array<{ path: string; message: string }> }
  | { kind: 'verified'; task: number; damaged: Array<{ blob: Id; message: string }> }
  | { kind: 'done'; task: number }
  | { kind: 'failed'; task: number; message: string; code?: string };
