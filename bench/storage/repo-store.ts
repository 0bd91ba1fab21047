/**
 * Where a dataset's repositories live. The local store (the default) gives each tool a
 * directory under the run dir; the MinIO store (minio-store.ts) gives it a prefix in a
 * bucket of the bench's MinIO server. The scenario asks the store for a fresh location
 * per tool and run, for its size (du -sb of `sizePath`) and, where there is a server,
 * for the server's counters around every timed step.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerCounters } from './server-counters.ts';

export interface RepoLocation {
  /** What the tool is given as its repository (restic -r, HOLDFAST_REPOSITORY). */
  location: string;
  /** The directory whose `du -sb` is the repository's size. */
  sizePath: string;
  /** Extra environment for the tool's commands (S3 credentials). */
  env: Record<string, string>;
}

export interface ObjectStats {
  objects: number;
  /** The sum of the objects' sizes as the server lists them. */
  bytes: number;
}

export interface RepoStore {
  readonly kind: 'local' | 's3';
  /** An empty repository location named `name` (anything left there from before is removed). */
  newRepo(name: string, runDir: string): Promise<RepoLocation>;
  removeRepo(repo: RepoLocation): Promise<void>;
  /** The server's counters (S3 requests, server CPU), read before and after each timed step. */
  counters?(): Promise<ServerCounters>;
  /** The repository's objects as the server lists them. */
  objectStats?(repo: RepoLocation): Promise<ObjectStats>;
}

export const localStore: RepoStore = {
  kind: 'local',
  async newRepo(name, runDir) {
    const path = join(runDir, 'repos', name);
    await rm(path, { recursive: true, force: true });
    await mkdir(join(runDir, 'repos'), { recursive: true });
    return { location: path, sizePath: path, env: {} };
  },
  removeRepo: (repo) => rm(repo.sizePath, { recursive: true, force: true }),
};

/** `s3:http://host:port/bucket/prefix`, the location form holdfast and restic share. */
export function s3Location(endpoint: string, bucket: string, prefix: string): string {
  return `s3:${endpoint.replace(/\/+$/, '')}/${bucket}/${prefix}`;
}
