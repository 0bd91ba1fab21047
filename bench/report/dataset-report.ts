/** The printed report of one dataset: an operations table, a repository-size table, (S3) the server's table, notes. */
import type { ToolName } from '../config.ts';
import { atLeast, atMost, ratio, RSS_RATIO_GOAL, SIZE_RATIO_GOAL, SPEEDUP_GOAL, type Verdict } from '../goals.ts';
import type { Sample } from '../measure.ts';
import { OPERATIONS, type DatasetSummary, type Operation, type ToolSummary } from '../results.ts';
import { renderServer } from './server-report.ts';
import { renderTable, type Column } from './text-table.ts';

const MARK: Record<Verdict, string> = { met: '✓', missed: '✗', 'n/a': '' };
const DASH = '–';

function num(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? DASH : n.toFixed(digits);
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? DASH : (bytes / 1e6).toFixed(1);
}

function goalCell(goal: string, verdict: Verdict): string {
  return MARK[verdict] ? `${goal} ${MARK[verdict]}` : goal;
}

function inputBytes(summary: DatasetSummary, op: Operation): number {
  return op === 'first backup' || op === 'unchanged re-backup' ? summary.bytesBefore : summary.bytesAfter;
}

function toolCells(sample: Sample | undefined, bytes: number): string[] {
  if (sample === undefined) return [DASH, DASH, DASH, DASH];
  const mbps = sample.wallS > 0 ? bytes / 1e6 / sample.wallS : undefined;
  return [num(sample.wallS, 2), num(sample.cpuS, 2), num(mbps, 1), num(sample.rssMB, 1)];
}

function ratioCells(op: Operation, hf: Sample | undefined, rs: Sample | undefined): string[] {
  const speedup = ratio(rs?.wallS, hf?.wallS);
  const rss = ratio(hf?.rssMB, rs?.rssMB);
  return [
    speedup === undefined ? DASH : `${speedup.toFixed(2)}×`,
    goalCell(`≥${SPEEDUP_GOAL[op]}×`, atLeast(speedup, SPEEDUP_GOAL[op])),
    rss === undefined ? DASH : rss.toFixed(2),
    goalCell(`≤${RSS_RATIO_GOAL}`, atMost(rss, RSS_RATIO_GOAL)),
  ];
}

function operationsTable(summary: DatasetSummary, tools: ToolName[]): string {
  const columns: Column[] = [{ header: 'operation', align: 'left' }];
  for (const t of tools) {
    columns.push({ header: `${t} s`, align: 'right' }, { header: 'CPU-s', align: 'right' });
    columns.push({ header: 'MB/s', align: 'right' }, { header: 'RSS MB', align: 'right' });
  }
  columns.push({ header: 'speed-up', align: 'right' }, { header: 'goal', align: 'left' });
  columns.push({ header: 'RSS h/r', align: 'right' }, { header: 'goal', align: 'left' });
  const rows = OPERATIONS.map((op) => [
    op,
    ...tools.flatMap((t) => toolCells(summary.tools[t]?.ops[op], inputBytes(summary, op))),
    ...ratioCells(op, summary.tools.holdfast?.ops[op], summary.tools.restic?.ops[op]),
  ]);
  return renderTable(columns, rows);
}

type SizeKey = 'repoBytes' | 'rebackupAddedBytes' | 'incrementalAddedBytes';
const SIZE_ROWS: [string, SizeKey][] = [
  ['repository after first backup', 'repoBytes'],
  ['added by unchanged re-backup', 'rebackupAddedBytes'],
  ['added by incremental backup', 'incrementalAddedBytes'],
];

function sizeTable(summary: DatasetSummary, tools: ToolName[]): string {
  const columns: Column[] = [
    { header: 'repository (du -sb)', align: 'left' },
    ...tools.map((t): Column => ({ header: `${t} MB`, align: 'right' })),
    { header: 'h/r', align: 'right' },
    { header: 'goal', align: 'left' },
  ];
  const rows = SIZE_ROWS.map(([label, key]) => {
    const r = ratio(summary.tools.holdfast?.[key], summary.tools.restic?.[key]);
    return [label, ...tools.map((t) => mb(summary.tools[t]?.[key])), num(r, 2), goalCell(`≤${SIZE_RATIO_GOAL}`, atMost(r, SIZE_RATIO_GOAL))];
  });
  return renderTable(columns, rows);
}

function problemLines(tools: Partial<Record<ToolName, ToolSummary>>): string[] {
  return Object.entries(tools).flatMap(([name, t]) => [
    ...t.errors.map((e) => `  ${name} FAILED: ${e.split('\n').slice(0, 6).join('\n    ')}`),
    ...t.notes.map((n) => `  ${name}: ${n}`),
  ]);
}

/**
 * The floor: what `snapshots` peaks at (start, key derivation, one listing), and each
 * operation's peak above it, so a reader sees how much of a row is the runtime and how
 * much the operation's own work.
 */
function floorLines(summary: DatasetSummary, tools: ToolName[]): string[] {
  const withFloor = tools.filter((t) => summary.tools[t]?.floor !== undefined);
  if (withFloor.length === 0) return [];
  const floors = withFloor.map((t) => `${t} ${num(summary.tools[t]?.floor?.rssMB, 1)}`).join(', ');
  const above = OPERATIONS.flatMap((op) => {
    const cells = withFloor.map((t) => {
      const tool = summary.tools[t];
      const peak = tool?.ops[op]?.rssMB;
      return peak === undefined || tool?.floor === undefined ? DASH : num(peak - tool.floor.rssMB, 1);
    });
    return cells.every((c) => c === DASH) ? [] : [`${op} ${cells.join(' / ')}`];
  });
  return [`  floor (\`snapshots\`: start, key, one listing), MB RSS: ${floors}`, `  peak above the floor, MB (${withFloor.join(' / ')}): ${above.join('; ')}`];
}

function baselineLines(summary: DatasetSummary): string[] {
  return Object.entries(summary.baselines).map(
    ([label, s]) => `  ${label}: ${s.wallS.toFixed(2)} s, ${s.cpuS.toFixed(2)} CPU-s, ${s.rssMB.toFixed(1)} MB RSS`,
  );
}

export function renderDataset(summary: DatasetSummary, title: string, tools: ToolName[], notes: string[]): string {
  const head = `== ${summary.dataset}: ${title} — ${summary.runs} run(s), medians ==`;
  return [
    head, operationsTable(summary, tools), '', sizeTable(summary, tools), ...renderServer(summary, tools), ...floorLines(summary, tools), ...baselineLines(summary),
    ...notes.map((n) => `  ${n}`), ...problemLines(summary.tools),
  ].join('\n');
}
