/** Chunker profiles pinned in the repository config, chosen per source kind. */
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import type { Repository } from '../../repo/repository.ts';
import type { ChunkerProfile } from '../../repo/repo-config.ts';

export type ChunkProfileName = ChunkerProfile;

export function chunkerParams(repo: Repository, profile: ChunkProfileName): ChunkerParams {
  return repo.config.chunker[profile];
}
