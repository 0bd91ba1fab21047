/**
 * Everything set up once per bench before the runs: the tools that can run here, the
 * pristine kernel tree (cached across benches) and the PostgreSQL cluster with its
 * base databases (built anew each bench, stopped at the end).
 */
import type { BenchConfig, DatasetName } from './config.ts';
import { pgbenchDataset, randomDataset, type DumpDataset } from './data/databases.ts';
import { startCluster, type PgCluster } from './data/postgres.ts';
import { ensurePristineTree } from './data/tree.ts';
import type { DatasetDriver } from './drivers/driver.ts';
import { streamDriver } from './drivers/stream-driver.ts';
import { treeDriver } from './drivers/tree-driver.ts';
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
  /** Seconds spent on each preparation step. */
  prepSeconds: Record<string, number>;
  versions: Record<string, string>;
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

/** Starts the cluster and builds the selected base databases; `onCluster` registers its stop. */
export async function prepareDrivers(config: BenchConfig, log: Log, onCluster: (pg: PgCluster) => void): Promise<PreparedData> {
  const prepSeconds: Record<string, number> = {};
  const drivers: DatasetDriver[] = [];
  if (config.datasets.includes('tree')) {
    const tree = await timedStep(prepSeconds, 'kernel tree (extract once, then cached)', log, () => ensurePristineTree(config.kernelTarball, config.dataDir));
    drivers.push(treeDriver(tree.dir));
  }
  const dumps = config.datasets.flatMap((d) => DUMP_DATASETS[d] ?? []);
  if (dumps.length === 0) return { drivers, prepSeconds, versions: {} };
  const pg = await timedStep(prepSeconds, 'postgres cluster (initdb + start)', log, () => startCluster(config.pgBinDir));
  onCluster(pg);
  for (const dataset of dumps) {
    await timedStep(prepSeconds, `${dataset.name} base database`, log, () => dataset.createBase(pg));
    drivers.push(streamDriver(pg, dataset));
  }
  return { drivers, prepSeconds, versions: { postgres: pg.version } };
}
