/**
 * Per-blob zstd compression. A blob is stored compressed only when that saves at least
 * 1/32 of its size; otherwise it is stored as is and flagged uncompressed.
 */
import zlib from 'node:zlib';

export interface CompressionSettings {
  readonly algorithm: 'zstd' | 'none';
  readonly level: number;
}

export const DEFAULT_COMPRESSION: CompressionSettings = { algorithm: 'zstd', level: 3 };

export function compressBlob(plain: Uint8Array, settings: CompressionSettings): { data: Uint8Array; compressed: boolean } {
  if (settings.algorithm === 'none' || plain.byteLength < 64) return { data: plain, compressed: false };
  const out = zlib.zstdCompressSync(plain, {
    params: {
      [zlib.constants.ZSTD_c_compressionLevel]: settings.level,
      [zlib.constants.ZSTD_c_checksumFlag]: 0,
      [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
    },
  });
  if (out.byteLength + (plain.byteLength >>> 5) > plain.byteLength) return { data: plain, compressed: false };
  return { data: out, compressed: true };
}

export function decompressBlob(data: Uint8Array, rawLength: number): Buffer {
  return zlib.zstdDecompressSync(data, { maxOutputLength: Math.max(rawLength, 1) });
}
