/**
 * Everything set up once per bench before the runs: the tools that can run here, the
 * pristine kernel tree (cached across benches), the MinIO server of the S3 datasets and
 * the PostgreSQL cluster with its base databases (both started anew each bench, stopped
 * at the end).
 */
import type { BenchConfig, DatasetName } from './config.ts';
import { pgbenchDataset, randomDataset, type DumpDataset } from './data/databases.ts';
import { startCluster, type PgCluster } from './data/postgres.ts';
import { ensurePristineTree } from './data/tree.ts';
import { startPgStreamDatabase } from './pg-stream/database.ts';
import { pgStreamScenario } from './pg-stream/scenario.ts';
import type { StandaloneScenario } from './standalone.ts';
import type { DatasetDriver } from './drivers/driver.ts';
import { streamDriver } from './drivers/stream-driver.ts';
import { treeDriver } from './drivers/tree-driver.ts';
import { BENCH_BUCKET, minioUnavailable, startMinioStore, type MinioStore } from './storage/minio-store.ts';
import { holdfast } from './tools/holdfast.ts';
import { restic } from './tools/restic.ts';
import type { ToolAdapter } from './tools/tool.ts';

export interface SelectedTools {
  tools: ToolAdapter[];
  versions: Record<string, string>;
  skipped: string[];
}

export interface PreparedData {
  drivers: DatasetDriver[];
  /** Scenarios with their own sequence (pg-stream). */
  standalone: StandaloneScenario[];
  /** Seconds spent on each preparation step. */
  prepSeconds: Record<string, number>;
  versions: Record<string, string>;
  /** Datasets that cannot run here, with the reason. */
  skipped: string[];
}

export type Prepared = SelectedTools & PreparedData;

type Log = (line: string) => void;

export async function selectTools(config: BenchConfig, log: Log): Promise<SelectedTools> {
  const all: ToolAdapter[] = config.tools.map((name) => (name === 'restic' ? restic : holdfast(config.holdfastEntry)));
  const out: SelectedTools = { tools: [], versions: {}, skipped: [] };
  for (const tool of all) {
    const reason = await tool.unavailable();
    if (reason !== undefined) {
      log(`bench: SKIPPING ${tool.name}: ${reason}`);
      out.skipped.push(`${tool.name}: ${reason}`);
      continue;
    }
    out.tools.push(tool);
    out.versions[tool.name] = await tool.version();
  }
  return out;
}

async function timedStep<T>(prep: Record<string, number>, label: string, log: Log, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`bench: ${label} …`);
  const value = await step();
  prep[label] = Math.round((performance.now() - started) / 10) / 100;
  log(`bench: ${label}: ${prep[label]} s`);
  return value;
}

const DUMP_DATASETS: Partial<Record<DatasetName, DumpDataset>> = { pgdump: pgbenchDataset, random: randomDataset };

/** Where a dataset's preparation puts what it found and what must be undone at the end. */
interface Prep {
  readonly config: BenchConfig;
  readonly runDir: string;
  readonly log: Log;
  /** Registers a step for the end of the bench (stopping a server). */
  readonly onCleanup: (step: () => Promise<void>) => void;
  readonly out: PreparedData;
}

/** The notes printed under the S3 dataset's tables. */
export function s3Notes(store: Pick<MinioStore, 'version' | 'endpoint' | 'warning'>, bucket: string): string[] {
  return [
    `repositories: s3:${store.endpoint}/${bucket}/<dataset>-<tool> on one ${store.version} (single drive, 127.0.0.1, data dir under the run dir); each tool with its default S3 concurrency.`,
    "repository size = du -sb of MinIO's directory of the prefix: the objects' data plus one xl.meta per object (metadata; objects up to 128 KiB are stored inline in it) and the directories; MinIO's .minio.sys is not counted.",
    "MinIO's CPU and memory are in neither tool's CPU-s / RSS columns: the server table lists MinIO's CPU and S3 requests per step.",
    ...(store.warning ? [`WARNING: ${store.warning}`] : []),
  ];
}

async function prepareTrees(p: Prep): Promise<void> {
  const wanted = p.config.datasets.filter((d) => d === 'tree' || d === 'tree-s3');
  if (wanted.length === 0) return;
  const tree = await timedStep(p.out.prepSeconds, 'kernel tree (extract once, then cached)', p.log, () => ensurePristineTree(p.config.kernelTarball, p.config.dataDir));
  if (wanted.includes('tree')) p.out.drivers.push(treeDriver(tree.dir));
  if (!wanted.includes('tree-s3')) return;
  const missing = minioUnavailable();
  if (missing !== undefined) {
    p.log(`bench: SKIPPING tree-s3: ${missing}`);
    p.out.skipped.push(`tree-s3: ${missing}`);
    return;
  }
  const store = await timedStep(p.out.prepSeconds, 'minio (start + bucket)', p.log, () => startMinioStore(p.runDir));
  p.onCleanup(() => store.stop(p.config.keep));
  if (store.warning) p.log(`bench: WARNING ${store.warning}`);
  p.out.versions.minio = store.version;
  p.out.drivers.push(treeDriver(tree.dir, { name: 'tree-s3', store, notes: s3Notes(store, BENCH_BUCKET) }));
}

async function prepareDumps(p: Prep, onCluster: (pg: PgCluster) => void): Promise<void> {
  const dumps = p.config.datasets.flatMap((d) => DUMP_DATASETS[d] ?? []);
  if (dumps.length === 0) return;
  const pg = await timedStep(p.out.prepSeconds, 'postgres cluster (initdb + start)', p.log, () => startCluster(p.config.pgBinDir));
  onCluster(pg);
  p.out.versions.postgres = pg.version;
  for (const dataset of dumps) {
    await timedStep(p.out.prepSeconds, `${dataset.name} base database`, p.log, () => dataset.createBase(pg));
    p.out.drivers.push(streamDriver(pg, dataset));
  }
}

async function preparePgStream(p: Prep): Promise<void> {
  if (!p.config.datasets.includes('pg-stream')) return;
  const db = await timedStep(p.out.prepSeconds, 'pg-stream server + pgbench base database', p.log, () => startPgStreamDatabase());
  p.onCleanup(() => db.stop());
  p.out.versions.postgres ??= db.version;
  p.out.standalone.push(pgStreamScenario(db));
}

/**
 * Prepares the selected datasets in the order tree, tree-s3, pgdump, random, pg-stream:
 * extracts the kernel tree, starts MinIO (data under `runDir`), the clusters and their
 * base databases. `onCleanup` registers the servers' stops.
 */
export async function prepareDrivers(config: BenchConfig, runDir: string, log: Log, onCleanup: (step: () => Promise<void>) => void): Promise<PreparedData> {
  const out: PreparedData = { drivers: [], standalone: [], prepSeconds: {}, versions: {}, skipped: [] };
  const p: Prep = { config, runDir, log, onCleanup, out };
  await prepareTrees(p);
  await prepareDumps(p, (pg) => onCleanup(() => pg.stop()));
  await preparePgStream(p);
  return out;
}
