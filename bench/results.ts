/**
 * What one run of one dataset produced, and the medians over runs. Samples are kept
 * per tool and operation; repository sizes come from `du -sb` of the repo dir (for S3:
 * of MinIO's directory of the repository's prefix); S3 datasets also keep the server's
 * counters per operation and the repository's objects after the incremental backup.
 */
import type { DatasetName, ToolName } from './config.ts';
import type { Sample } from './measure.ts';
import type { ObjectStats } from './storage/repo-store.ts';
import { medianCounters, type ServerCounters } from './storage/server-counters.ts';

export const OPERATIONS = ['first backup', 'unchanged re-backup', 'incremental backup', 'restore', 'check --read-data'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface RepoSizes {
  afterFirst?: number;
  afterRebackup?: number;
  afterIncremental?: number;
}

export interface ToolRun {
  samples: Partial<Record<Operation, Sample>>;
  sizes: RepoSizes;
  errors: string[];
  notes: string[];
  /** S3 only: what the server did during each timed operation. */
  server?: Partial<Record<Operation, ServerCounters>>;
  /** S3 only: the repository's objects as listed after the incremental backup. */
  objects?: ObjectStats;
  /** `snapshots` after the first backup: the process's floor, which every operation's peak includes. */
  floor?: Sample;
}

export interface DatasetRun {
  dataset: DatasetName;
  run: number;
  /** Logical bytes of the data before and after the incremental change. */
  bytesBefore: number;
  bytesAfter: number;
  /** Reference timings of the data source alone (e.g. pg_dump → /dev/null). */
  baselines: Record<string, Sample>;
  tools: Partial<Record<ToolName, ToolRun>>;
}

export function emptyToolRun(): ToolRun {
  return { samples: {}, sizes: {}, errors: [], notes: [] };
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? 0) + hi) / 2;
}

/** Field-wise median of the samples present; undefined when there are none. */
export function medianSample(samples: (Sample | undefined)[]): Sample | undefined {
  const present = samples.filter((s): s is Sample => s !== undefined);
  const field = (k: keyof Sample): number => median(present.map((s) => s[k])) ?? 0;
  if (present.length === 0) return undefined;
  return { wallS: field('wallS'), userS: field('userS'), sysS: field('sysS'), cpuS: field('cpuS'), rssMB: field('rssMB') };
}

export interface ToolSummary {
  ops: Partial<Record<Operation, Sample>>;
  repoBytes?: number;
  rebackupAddedBytes?: number;
  incrementalAddedBytes?: number;
  /** Largest peak RSS over all operations. */
  peakRssMB?: number;
  errors: string[];
  notes: string[];
  server?: Partial<Record<Operation, ServerCounters>>;
  objects?: ObjectStats;
  /** Median of the runs' floors (see ToolRun). */
  floor?: Sample;
}

export interface DatasetSummary {
  dataset: DatasetName;
  runs: number;
  bytesBefore: number;
  bytesAfter: number;
  baselines: Record<string, Sample>;
  tools: Partial<Record<ToolName, ToolSummary>>;
}

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

function summarizeTool(runs: ToolRun[]): ToolSummary {
  const ops: Partial<Record<Operation, Sample>> = {};
  for (const op of OPERATIONS) {
    const s = medianSample(runs.map((r) => r.samples[op]));
    if (s) ops[op] = s;
  }
  const sizes = (pick: (s: RepoSizes) => number | undefined) =>
    median(runs.map((r) => pick(r.sizes)).filter((n): n is number => n !== undefined));
  const rss = Object.values(ops).map((s) => s.rssMB);
  const floor = medianSample(runs.map((r) => r.floor));
  return {
    ...(floor ? { floor } : {}),
    ...serverSummary(runs),
    ops,
    repoBytes: sizes((s) => s.afterFirst),
    rebackupAddedBytes: sizes((s) => diff(s.afterRebackup, s.afterFirst)),
    incrementalAddedBytes: sizes((s) => diff(s.afterIncremental, s.afterRebackup)),
    peakRssMB: rss.length > 0 ? Math.max(...rss) : undefined,
    errors: [...new Set(runs.flatMap((r) => r.errors))],
    notes: [...new Set(runs.flatMap((r) => r.notes))],
  };
}

function serverSummary(runs: ToolRun[]): Pick<ToolSummary, 'server' | 'objects'> {
  const out: Pick<ToolSummary, 'server' | 'objects'> = {};
  const server: Partial<Record<Operation, ServerCounters>> = {};
  for (const op of OPERATIONS) {
    const c = medianCounters(runs.map((r) => r.server?.[op]));
    if (c) server[op] = c;
  }
  if (Object.keys(server).length > 0) out.server = server;
  const listed = runs.flatMap((r) => (r.objects ? [r.objects] : []));
  if (listed.length > 0) {
    out.objects = { objects: median(listed.map((o) => o.objects)) ?? 0, bytes: median(listed.map((o) => o.bytes)) ?? 0 };
  }
  return out;
}

export function summarize(runs: DatasetRun[]): DatasetSummary | undefined {
  const first = runs[0];
  if (first === undefined) return undefined;
  const tools: Partial<Record<ToolName, ToolSummary>> = {};
  for (const name of Object.keys(first.tools) as ToolName[]) {
    tools[name] = summarizeTool(runs.map((r) => r.tools[name]).filter((t): t is ToolRun => t !== undefined));
  }
  const baselines: Record<string, Sample> = {};
  for (const key of Object.keys(first.baselines)) {
    const s = medianSample(runs.map((r) => r.baselines[key]));
    if (s) baselines[key] = s;
  }
  return {
    dataset: first.dataset,
    runs: runs.length,
    bytesBefore: median(runs.map((r) => r.bytesBefore)) ?? 0,
    bytesAfter: median(runs.map((r) => r.bytesAfter)) ?? 0,
    baselines,
    tools,
  };
}
