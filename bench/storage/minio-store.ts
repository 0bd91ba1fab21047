/**
 * The S3 datasets' repositories: one MinIO server per bench (the pinned build from
 * scripts/install-minio.sh, started by test/helpers/minio.ts) on 127.0.0.1, single drive,
 * its data dir under the bench's run dir so it sits on the same disk as the local
 * repositories. Each tool's repository is the prefix `<dataset>-<tool>` of one bucket;
 * both tools get the root user's keys through AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 * MinIO's Prometheus metrics are public so the scenario can read its counters.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { createBucket, minioBinary, pinnedMinioVersion, s3Client, startMinio, type Minio } from '../../test/helpers/minio.ts';
import { s3Location, type ObjectStats, type RepoLocation, type RepoStore } from './repo-store.ts';
import { countersFrom, type ServerCounters } from './server-counters.ts';

export const BENCH_BUCKET = 'holdfast-bench';

export interface MinioStore extends RepoStore {
  readonly version: string;
  readonly endpoint: string;
  readonly dataDir: string;
  /** Set when the data dir is not on the run dir's filesystem. */
  readonly warning: string | undefined;
  /** Stops the server and removes its data; with `keep`, leaves both (the server dies with the bench). */
  stop(keep: boolean): Promise<void>;
}

/** Why no MinIO can be started here, or undefined when the pinned binary is installed. */
export function minioUnavailable(): string | undefined {
  try {
    minioBinary();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * startMinio() puts its folder under os.tmpdir(), which follows $TMPDIR: pointing that at
 * the run dir for the duration of the start keeps MinIO's data on the repositories' disk.
 */
async function startUnder(dir: string): Promise<Minio> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await startMinio({ env: { MINIO_PROMETHEUS_AUTH_TYPE: 'public' } });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

async function listPrefix(client: S3Client, prefix: string): Promise<{ keys: string[]; bytes: number }> {
  const keys: string[] = [];
  let bytes = 0;
  for await (const page of paginateListObjectsV2({ client }, { Bucket: BENCH_BUCKET, Prefix: `${prefix}/` })) {
    for (const obj of page.Contents ?? []) {
      if (obj.Key === undefined) continue;
      keys.push(obj.Key);
      bytes += obj.Size ?? 0;
    }
  }
  return { keys, bytes };
}

async function deletePrefix(client: S3Client, prefix: string): Promise<void> {
  const { keys } = await listPrefix(client, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await client.send(new DeleteObjectsCommand({ Bucket: BENCH_BUCKET, Delete: { Objects: batch, Quiet: true } }));
  }
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

async function readCounters(endpoint: string): Promise<ServerCounters> {
  const [requests, proc] = await Promise.all([
    fetchText(`${endpoint}/minio/metrics/v3/api/requests`),
    fetchText(`${endpoint}/minio/metrics/v3/system/process`),
  ]);
  return countersFrom(requests, proc);
}

async function sameDisk(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  return sa.dev === sb.dev;
}

/** Starts the server, creates the bench bucket and returns the store over it. */
export async function startMinioStore(runDir: string): Promise<MinioStore> {
  const minio = await startUnder(runDir);
  const client = s3Client(minio);
  try {
    await createBucket(minio, BENCH_BUCKET);
  } catch (err) {
    client.destroy();
    await minio.stop();
    throw err;
  }
  const onSameDisk = await sameDisk(minio.dataDir, runDir);
  const prefixOf = (repo: RepoLocation): string => repo.location.slice(s3Location(minio.endpoint, BENCH_BUCKET, '').length);
  return {
    kind: 's3',
    version: `minio ${pinnedMinioVersion()}`,
    endpoint: minio.endpoint,
    dataDir: minio.dataDir,
    warning: onSameDisk ? undefined : `MinIO's data dir ${minio.dataDir} is not on the filesystem of ${runDir}`,
    async newRepo(name) {
      await deletePrefix(client, name);
      return {
        location: s3Location(minio.endpoint, BENCH_BUCKET, name),
        sizePath: join(minio.dataDir, BENCH_BUCKET, name),
        env: { AWS_ACCESS_KEY_ID: minio.accessKeyId, AWS_SECRET_ACCESS_KEY: minio.secretAccessKey },
      };
    },
    removeRepo: (repo) => deletePrefix(client, prefixOf(repo)),
    counters: () => readCounters(minio.endpoint),
    async objectStats(repo): Promise<ObjectStats> {
      const { keys, bytes } = await listPrefix(client, prefixOf(repo));
      return { objects: keys.length, bytes };
    },
    async stop(keep) {
      client.destroy();
      if (!keep) await minio.stop();
    },
  };
}
