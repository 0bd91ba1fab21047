/**
 * The repository config: sealed with the master key, written once at `init`. It pins
 * everything that must stay the same for deduplication to work across backups: the
 * chunker parameters and the compression settings.
 */
import { z } from 'zod';
import { HoldfastError } from '../core/errors.ts';
import type { Id } from '../core/ids.ts';
import type { CompressionSettings } from './compression.ts';

export const REPO_VERSION = 1;
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

const chunkerParams = z.strictObject({
  minSize: z.number().int().positive(),
  avgSize: z.number().int().positive(),
  maxSize: z.number().int().positive(),
});

const configSchema = z.strictObject({
  version: z.literal(REPO_VERSION),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  created: z.string(),
  chunker: z.strictObject({ default: chunkerParams, fine: chunkerParams }),
  compression: z.strictObject({ algorithm: z.enum(['zstd', 'none']), level: z.number().int().min(-7).max(22) }),
  packSize: z.number().int().min(1024 * 1024).max(256 * 1024 * 1024),
});

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
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    throw new HoldfastError('REPO_CORRUPT', `${where}: invalid repository config: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
