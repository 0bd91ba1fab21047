/**
 * The repository config: sealed with the master key, written once at `init`. It pins
 * everything that must stay the same for deduplication to work across backups: the
 * chunker parameters and the compression settings.
 */
import { HoldfastError } from '../core/errors.ts';
import { fields, hexId, integer, oneOf, readShape, text } from '../core/json-shape.ts';
import type { Id } from '../core/ids.ts';
import type { CompressionSettings } from './compression.ts';

export const REPO_VERSION = 1;
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

function readChunker(value: unknown, path: string): { minSize: number; avgSize: number; maxSize: number } {
  const f = fields(value, path, ['minSize', 'avgSize', 'maxSize']);
  return { minSize: integer(f.minSize, `${path}.minSize`, { min: 1 }), avgSize: integer(f.avgSize, `${path}.avgSize`, { min: 1 }), maxSize: integer(f.maxSize, `${path}.maxSize`, { min: 1 }) };
}

function readConfig(json: unknown): RepoConfig {
  const f = fields(json, 'config', ['version', 'id', 'created', 'chunker', 'compression', 'packSize']);
  const chunker = fields(f.chunker, 'chunker', ['default', 'fine']);
  const compression = fields(f.compression, 'compression', ['algorithm', 'level']);
  return {
    version: oneOf(f.version, 'version', [REPO_VERSION] as const),
    id: hexId(f.id, 'id'),
    created: text(f.created, 'created'),
    chunker: { default: readChunker(chunker.default, 'chunker.default'), fine: readChunker(chunker.fine, 'chunker.fine') },
    compression: { algorithm: oneOf(compression.algorithm, 'compression.algorithm', ['zstd', 'none'] as const), level: integer(compression.level, 'compression.level', { min: -7, max: 22 }) },
    packSize: integer(f.packSize, 'packSize', { min: 1024 * 1024, max: 256 * 1024 * 1024 }),
  };
}

export type ChunkerProfile = 'default' | 'fine';

export interface RepoConfig {
  readonly version: typeof REPO_VERSION;
  readonly id: Id;
  readonly created: string;
  readonly chunker: Readonly<Record<ChunkerProfile, { minSize: number; avgSize: number; maxSize: number }>>;
  readonly compression: CompressionSettings;
  readonly packSize: number;
}

export function parseRepoConfig(json: unknown, where: string): RepoConfig {
  if (typeof json === 'object' && json !== null && 'version' in json && json.version !== REPO_VERSION) {
    throw new HoldfastError('REPO_VERSION', `${where}: repository version ${String(json.version)} is not supported (this holdfast reads version ${REPO_VERSION})`);
  }
  return readShape(`${where}: invalid repository config`, () => readConfig(json));
}
