/**
 * Per-blob zstd compression. A blob is stored compressed only when that saves at least
 * 1/32 of its size; otherwise it is stored as is and flagged uncompressed.
 *
 * The native zstd-napi binding (an optional dependency, built from source at install)
 * keeps one compression context per thread: for the many small blobs of a source tree
 * that is ~1.5x faster than node:zlib, which sets up a new context on every call. When
 * the binding is not installed, node:zlib produces the same format.
 *
 * Streams (`--stdin`, in practice database dumps) compress with a minimum match of 6
 * bytes instead of level 3's 5: short matches in dumps' hex ids, numbers and timestamps
 * cost more than the literals they replace (pgbench dump -4.9%, random-valued dump -1.6%),
 * while on source trees they pay (+2.7% without them), so files keep the level's own.
 * Only the writer's choice: any zstd frame decompresses the same way (ADR 0030).
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { grownScratch } from '../core/buffers.ts';

export interface CompressionSettings {
  readonly algorithm: 'zstd' | 'none';
  readonly level: number;
}

export const DEFAULT_COMPRESSION: CompressionSettings = { algorithm: 'zstd', level: 3 };

/** What the bytes come from: files of a tree, or a stream (a dump piped in). */
export type CompressionTuning = 'files' | 'stream';

/** zstd's minimum match length for streams (files keep the level's default). */
export const STREAM_MIN_MATCH = 6;

export interface BlobCompressor {
  compress(plain: Uint8Array, tuning?: CompressionTuning): { data: Uint8Array; compressed: boolean };
}

interface NativeCompressor {
  setParameters(p: { compressionLevel: number; contentSizeFlag: boolean; checksumFlag: boolean; minMatch?: number }): void;
  compress(data: Uint8Array): Buffer;
}

interface NativeDecompressor {
  decompress(data: Uint8Array): Buffer;
}

type NativeModule = { Compressor: new () => NativeCompressor; Decompressor: new () => NativeDecompressor };

function loadNative(): NativeModule | undefined {
  try {
    return createRequire(import.meta.url)('zstd-napi') as NativeModule;
  } catch {
    return undefined;
  }
}

type Compress = (plain: Uint8Array) => Uint8Array;

function zlibCompress(level: number, tuning: CompressionTuning): Compress {
  const params = {
    [zlib.constants.ZSTD_c_compressionLevel]: level,
    [zlib.constants.ZSTD_c_checksumFlag]: 0,
    [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
    ...(tuning === 'stream' ? { [zlib.constants.ZSTD_c_minMatch]: STREAM_MIN_MATCH } : {}),
  };
  return (plain) => zlib.zstdCompressSync(plain, { params });
}

interface NativeCCtx {
  setParameter(param: number, value: number): void;
  compress2(dst: Uint8Array, src: Uint8Array): number;
}

/** The raw binding's one-shot context: compresses into a buffer the caller owns. */
interface NativeBinding {
  CCtx: new () => NativeCCtx;
  CParameter: Record<'compressionLevel' | 'contentSizeFlag' | 'checksumFlag' | 'minMatch', number>;
  compressBound(size: number): number;
}

function loadBinding(): NativeBinding | undefined {
  try {
    return createRequire(import.meta.url)('zstd-napi/binding') as NativeBinding;
  } catch {
    return undefined;
  }
}

/**
 * One-shot compression into a buffer reused from call to call (a single frame with the
 * content size and no checksum, as the format asks): a backup compresses gigabytes, and
 * a fresh output buffer per blob was garbage the worker's collector had to reclaim.
 */
function reusingCompressor(binding: NativeBinding, level: number, tuning: CompressionTuning): Compress {
  const ctx = new binding.CCtx();
  const p = binding.CParameter;
  ctx.setParameter(p.compressionLevel, level);
  ctx.setParameter(p.contentSizeFlag, 1);
  ctx.setParameter(p.checksumFlag, 0);
  if (tuning === 'stream') ctx.setParameter(p.minMatch, STREAM_MIN_MATCH);
  let scratch = Buffer.alloc(0);
  return (plain) => {
    scratch = grownScratch(scratch, binding.compressBound(plain.byteLength));
    return scratch.subarray(0, ctx.compress2(scratch, plain));
  };
}

/** One thread's compressor for `tuning`, from the fastest implementation at hand. */
function compressorFor(level: number, tuning: CompressionTuning, preferNative: boolean): Compress {
  const binding = preferNative ? loadBinding() : undefined;
  if (binding) return reusingCompressor(binding, level, tuning);
  const native = preferNative ? loadNative() : undefined;
  if (!native) return zlibCompress(level, tuning);
  const ctx = new native.Compressor();
  ctx.setParameters({ compressionLevel: level, contentSizeFlag: true, checksumFlag: false, ...(tuning === 'stream' ? { minMatch: STREAM_MIN_MATCH } : {}) });
  return (plain) => ctx.compress(plain);
}

/**
 * A compressor for one thread (it keeps a native context; do not share across threads).
 * The compressed bytes it returns may live in a buffer the next call reuses: seal or copy
 * them before compressing again.
 */
export function createBlobCompressor(settings: CompressionSettings, preferNative = true): BlobCompressor {
  if (settings.algorithm === 'none') return { compress: (plain) => ({ data: plain, compressed: false }) };
  const runs: Partial<Record<CompressionTuning, Compress>> = {};
  return {
    compress(plain, tuning = 'files') {
      if (plain.byteLength < 64) return { data: plain, compressed: false };
      const run = (runs[tuning] ??= compressorFor(settings.level, tuning, preferNative));
      const out = run(plain);
      if (out.byteLength + (plain.byteLength >>> 5) > plain.byteLength) return { data: plain, compressed: false };
      return { data: out, compressed: true };
    },
  };
}

export function decompressBlob(data: Uint8Array, rawLength: number): Buffer {
  return zlib.zstdDecompressSync(data, { maxOutputLength: Math.max(rawLength, 1) });
}

export type BlobDecompressor = (data: Uint8Array, rawLength: number) => Buffer;

/** A decompressor for one thread; the native one reuses its context across blobs. */
export function createBlobDecompressor(preferNative = true): BlobDecompressor {
  const native = preferNative ? loadNative() : undefined;
  if (!native) return decompressBlob;
  const ctx = new native.Decompressor();
  return (data, rawLength) => {
    const out = ctx.decompress(data);
    if (out.byteLength !== rawLength) throw new Error(`decompressed to ${out.byteLength} bytes, expected ${rawLength}`);
    return out;
  };
}
