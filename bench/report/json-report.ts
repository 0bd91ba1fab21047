/** The machine-readable result of one bench: settings, environment, raw samples, medians, ratios. */
import { writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchConfig } from '../config.ts';
import { ratio, SPEEDUP_GOAL } from '../goals.ts';
import { OPERATIONS, type DatasetRun, type DatasetSummary, type Operation, type ToolSummary } from '../results.ts';
import { totalRequests } from '../storage/server-counters.ts';

export interface BenchReport {
  startedAt: string;
  totalSeconds: number;
  config: Pick<BenchConfig, 'runs' | 'datasets' | 'tools' | 'keep'>;
  host: { cpus: number; memoryBytes: number; kernel: string; node: string };
  versions: Record<string, string>;
  skipped: string[];
  prepSeconds: Record<string, number>;
  summaries: (DatasetSummary & { title: string })[];
  runs: DatasetRun[];
  /** Scenarios with their own sequence (pg-stream): their runs and medians. */
  standalone?: Record<string, unknown>;
}

export function hostInfo(): BenchReport['host'] {
  return { cpus: cpus().length, memoryBytes: totalmem(), kernel: release(), node: process.version };
}

/** S3 datasets: how many more requests and MinIO CPU holdfast caused than restic. */
function serverRatios(op: Operation, hfTool: ToolSummary | undefined, rsTool: ToolSummary | undefined): Record<string, number | undefined> {
  const hf = hfTool?.server?.[op];
  const rs = rsTool?.server?.[op];
  if (!hf || !rs) return {};
  return {
    [`s3 requests ${op} holdfast/restic`]: ratio(totalRequests(hf), totalRequests(rs)),
    [`minio cpu ${op} holdfast/restic`]: ratio(hf.cpuS, rs.cpuS),
  };
}

function floorRatio(hf: ToolSummary | undefined, rs: ToolSummary | undefined): number | undefined {
  return ratio(hf?.floor?.rssMB, rs?.floor?.rssMB);
}

function ratios(summary: DatasetSummary): Record<string, number | undefined> {
  const hf = summary.tools.holdfast;
  const rs = summary.tools.restic;
  const out: Record<string, number | undefined> = {};
  for (const op of OPERATIONS) {
    out[`speedup ${op} (goal ≥${SPEEDUP_GOAL[op]})`] = ratio(rs?.ops[op]?.wallS, hf?.ops[op]?.wallS);
    out[`rss ${op} holdfast/restic (goal ≤1)`] = ratio(hf?.ops[op]?.rssMB, rs?.ops[op]?.rssMB);
    Object.assign(out, serverRatios(op, hf, rs));
  }
  out['rss floor (snapshots) holdfast/restic'] = floorRatio(hf, rs);
  out['repo bytes holdfast/restic (goal ≤1)'] = ratio(hf?.repoBytes, rs?.repoBytes);
  out['incremental added bytes holdfast/restic (goal ≤1)'] = ratio(hf?.incrementalAddedBytes, rs?.incrementalAddedBytes);
  return out;
}

export async function writeJsonReport(dir: string, stamp: string, report: BenchReport): Promise<string> {
  const file = join(dir, `results-${stamp}.json`);
  const summaries = report.summaries.map((s) => ({ ...s, ratios: ratios(s) }));
  await writeFile(file, `${JSON.stringify({ ...report, summaries }, null, 2)}\n`);
  return file;
}
