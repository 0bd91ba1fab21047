/** The printed tables of pg-stream: medians over the runs of time, CPU, RSS and the bytes each backup added. */
import type { ToolName } from '../config.ts';
import { ratio } from '../goals.ts';
import { median, medianSample } from '../results.ts';
import { renderTable, type Column } from '../report/text-table.ts';
import { PG_STREAM_STEPS, type PgStreamRun, type PgStreamStep, type StepResult } from './run.ts';

const DASH = '–';

type Figure = 'readBytes' | 'addedBytes' | 'storedBytes' | 'repoGrowthBytes';

export interface PgStreamSummary {
  runs: number;
  dumpBytes: Partial<Record<PgStreamStep, number>>;
  tools: Partial<Record<ToolName, Partial<Record<PgStreamStep, StepResult>>>>;
  errors: string[];
}

function medianStep(results: (StepResult | undefined)[]): StepResult {
  const ok = results.filter((r): r is StepResult => r !== undefined && r.error === undefined);
  const out: StepResult = {};
  const sample = medianSample(ok.map((r) => r.sample));
  if (sample) out.sample = sample;
  for (const key of ['readBytes', 'addedBytes', 'storedBytes', 'repoGrowthBytes'] as const) {
    const m = median(ok.flatMap((r) => (r[key] === undefined ? [] : [r[key]])));
    if (m !== undefined) out[key] = m;
  }
  return out;
}

export function summarizePgStream(runs: PgStreamRun[], tools: ToolName[]): PgStreamSummary {
  const summary: PgStreamSummary = { runs: runs.length, dumpBytes: {}, tools: {}, errors: [] };
  for (const step of PG_STREAM_STEPS) {
    const d = median(runs.flatMap((r) => r.dumpBytes[step] ?? []));
    if (d !== undefined) summary.dumpBytes[step] = d;
  }
  for (const tool of tools) {
    const steps: Partial<Record<PgStreamStep, StepResult>> = {};
    for (const step of PG_STREAM_STEPS) steps[step] = medianStep(runs.map((r) => r.tools[tool]?.[step]));
    summary.tools[tool] = steps;
    const errors = runs.flatMap((r) => PG_STREAM_STEPS.flatMap((s) => r.tools[tool]?.[s]?.error ?? []));
    summary.errors.push(...new Set(errors.map((e) => `${tool} FAILED: ${e.split('\n').slice(0, 6).join('\n    ')}`)));
  }
  return summary;
}

const mb = (n: number | undefined): string => (n === undefined ? DASH : (n / 1e6).toFixed(1));
const fixed = (n: number | undefined, digits: number): string => (n === undefined || !Number.isFinite(n) ? DASH : n.toFixed(digits));
const pct = (part: number | undefined, whole: number | undefined): string => {
  const r = ratio(part, whole);
  return r === undefined ? DASH : `${(100 * r).toFixed(1)}%`;
};

function timeTable(s: PgStreamSummary, tools: ToolName[]): string {
  const columns: Column[] = [{ header: 'backup', align: 'left' }, { header: 'dump MB', align: 'right' }];
  for (const t of tools) columns.push({ header: `${t} s`, align: 'right' }, { header: 'CPU-s', align: 'right' }, { header: 'RSS MB', align: 'right' });
  columns.push({ header: 'speed-up', align: 'right' }, { header: 'RSS h/r', align: 'right' });
  const rows = PG_STREAM_STEPS.map((step) => {
    const hf = s.tools.holdfast?.[step]?.sample;
    const rs = s.tools.restic?.[step]?.sample;
    const speedup = ratio(rs?.wallS, hf?.wallS);
    return [
      step, mb(s.dumpBytes[step]),
      ...tools.flatMap((t) => {
        const x = s.tools[t]?.[step]?.sample;
        return [fixed(x?.wallS, 2), fixed(x?.cpuS, 2), fixed(x?.rssMB, 1)];
      }),
      speedup === undefined ? DASH : `${speedup.toFixed(2)}×`, fixed(ratio(hf?.rssMB, rs?.rssMB), 2),
    ];
  });
  return renderTable(columns, rows);
}

function bytesCell(s: PgStreamSummary, tool: ToolName, step: PgStreamStep, key: Figure): string {
  const v = s.tools[tool]?.[step]?.[key];
  return step === 'first backup' ? mb(v) : `${mb(v)} (${pct(v, s.dumpBytes[step])})`;
}

function bytesTable(s: PgStreamSummary, tools: ToolName[]): string {
  const columns: Column[] = [{ header: 'bytes added', align: 'left' }];
  for (const t of tools) {
    columns.push({ header: `${t} new MB (reported)`, align: 'right' });
    if (t === 'holdfast') columns.push({ header: 'stored MB (reported)', align: 'right' });
    columns.push({ header: `${t} repo +MB (du)`, align: 'right' });
  }
  columns.push({ header: 'repo +h/r', align: 'right' });
  const rows = PG_STREAM_STEPS.map((step) => [
    step,
    ...tools.flatMap((t) => [
      bytesCell(s, t, step, 'addedBytes'),
      ...(t === 'holdfast' ? [bytesCell(s, t, step, 'storedBytes')] : []),
      bytesCell(s, t, step, 'repoGrowthBytes'),
    ]),
    fixed(ratio(s.tools.holdfast?.[step]?.repoGrowthBytes, s.tools.restic?.[step]?.repoGrowthBytes), 2),
  ]);
  return renderTable(columns, rows);
}

export function renderPgStream(s: PgStreamSummary, title: string, tools: ToolName[], notes: string[]): string {
  return [
    `== pg-stream: ${title} — ${s.runs} run(s), medians ==`,
    timeTable(s, tools), '', bytesTable(s, tools),
    ...notes.map((n) => `  ${n}`),
    ...s.errors.map((e) => `  ${e}`),
  ].join('\n');
}
